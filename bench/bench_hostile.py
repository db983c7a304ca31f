"""Hostile-input probes (issue 17) against a local `duluan api`: wildcard stalls and rate limits.

    .venv/bin/python bench/bench_hostile.py [--posts 5000] [--wildcards 333] [--timeout 60]

Builds a temporary SQLite store of synthetic posts (plus random words, so one-letter prefixes
expand to many terms), starts `python -m duluan.cli api` on 127.0.0.1 with default settings
(the way users run it), then measures, with bounded loops and client timeouts:

- one relevance search of `a* OR b* OR ...` (the hostile query) and its status;
- a plain `q=xang` search while four hostile searches run in parallel (one per API thread);
- requests let through (not 429) out of 300 searches with a rotating X-Forwarded-For, and 300
  without; feedback submissions let through out of 50 with a rotating header.

Loopback only; nothing is sent elsewhere. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import random
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_store(data_dir: Path, n: int) -> str:
    """A store of `n` posts with a wide vocabulary; returns an admin key for the campaign."""
    from bench.synthetic import synthetic_posts
    from duluan.apikeys.repository import ApiKeyRepository
    from duluan.storage.sqlite.store import SQLiteStore

    rng = random.Random(17)
    store = SQLiteStore(data_dir / "duluan.db")
    batch = []
    for post in synthetic_posts(n):
        extra = " ".join(
            "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 8))) for _ in range(6)
        )
        batch.append(post.model_copy(update={"text": f"{post.text} {extra}"}))
        if len(batch) == 1000:
            store.upsert(batch)
            batch = []
    if batch:
        store.upsert(batch)
    store.close()
    keys = ApiKeyRepository(data_dir / "duluan.db", pepper="")
    _, plain = keys.create("bench", "admin")
    keys.close()
    return plain


def start(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DULUAN_DATA_DIR": str(data_dir), "DULUAN_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "duluan.cli", "api", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the API did not start")


def hostile_query(n: int, shift: int = 0) -> str:
    """`n` one-letter prefixes; `shift` rotates them so no two queries share a cached answer."""
    letters = string.ascii_lowercase
    return " OR ".join(f"{letters[(i + shift) % len(letters)]}*" for i in range(n))


def timed_get(url: str, params: dict[str, str], timeout: float) -> tuple[float, str]:
    t0 = time.perf_counter()
    try:
        status = str(httpx.get(url, params=params, timeout=timeout).status_code)
    except httpx.TimeoutException:
        status = "timeout"
    return time.perf_counter() - t0, status


def probe_wildcards(url: str, n: int, timeout: float) -> None:
    q = hostile_query(n)
    params = {"q": q, "sort": "relevance"}
    took, status = timed_get(url + "/v1/search", params, timeout)
    print(f"hostile relevance search ({n} wildcards, {len(q)} chars): {took:.2f} s, {status}")
    took, status = timed_get(url + "/v1/search", {"q": q}, timeout)
    print(f"hostile newest-first search: {took:.2f} s, {status}")
    within = " OR ".join(f"{a}{b}*" for a, b in zip("abcdefgh", "aeiouaei", strict=True))
    took, status = timed_get(url + "/v1/search", {"q": within, "sort": "relevance"}, timeout)
    print(f"within-budget relevance search (8 two-letter prefixes): {took:.2f} s, {status}")
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        hostile = [
            pool.submit(
                timed_get,
                url + "/v1/search",
                {"q": hostile_query(n, shift), "sort": "relevance"},
                timeout,
            )
            for shift in range(1, 5)
        ]
        time.sleep(0.3)  # let the four take the API's threads
        took, status = timed_get(url + "/v1/search", {"q": "xang"}, timeout)
        print(f"plain search while 4 hostile ones run: {took:.2f} s, {status}")
        got = [f.result() for f in hostile]
    print("  the 4 hostile ones: " + ", ".join(f"{t:.2f} s {s}" for t, s in got))


def probe_rate(url: str, admin_key: str) -> None:
    def through(rotate: bool, n: int) -> int:
        ok = 0
        with httpx.Client(timeout=10) as c:
            for i in range(n):
                headers = {"X-Forwarded-For": f"10.{i // 256 % 256}.{i % 256}.7"} if rotate else {}
                if (
                    c.get(url + "/v1/search", params={"q": "xang"}, headers=headers).status_code
                    != 429
                ):
                    ok += 1
        return ok

    print(f"API searches let through, rotating X-Forwarded-For: {through(True, 300)} of 300")
    time.sleep(1)
    print(f"API searches let through, no header (fresh client): {through(False, 300)} of 300")
    with httpx.Client(timeout=10) as c:
        c.post(
            url + "/v1/feedback/campaigns",
            json={"slug": "bench", "title": "bench"},
            headers={"Authorization": f"Bearer {admin_key}"},
        )
        ok = 0
        for i in range(50):
            r = c.post(
                url + "/f/bench",
                data={"text": f"ý kiến {i}"},
                headers={"X-Forwarded-For": f"10.9.{i}.1"},
            )
            ok += r.status_code != 429
    print(f"feedback submissions let through, rotating X-Forwarded-For: {ok} of 50")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--wildcards", type=int, default=333)
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout per request")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="duluan-hostile-") as tmp:
        data_dir = Path(tmp)
        t0 = time.perf_counter()
        key = build_store(data_dir, args.posts)
        print(f"store: {args.posts} posts in {time.perf_counter() - t0:.1f} s")
        proc, url = start(data_dir)
        try:
            probe_wildcards(url, args.wildcards, args.timeout)
            probe_rate(url, key)
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
