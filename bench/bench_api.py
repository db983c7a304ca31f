"""API latency under concurrent clients (HTTP through uvicorn), and post-to-alert latency.

    .venv/bin/python bench/bench_api.py --store sqlite --db var/bench/store.db [--cache off|on|both]
    .venv/bin/python bench/bench_api.py --store elasticsearch --es-index bench-posts
    .venv/bin/python bench/bench_api.py --alert-latency

The server runs as its own process (`uvicorn api.app:create_app --factory`) on loopback, rate
limiting off; N keep-alive connections in one asyncio loop send a fixed mix of searches, timelines and trends.
`--cache` runs it with the query cache off (every request computed), on (identical requests
reuse an answer while the store is unchanged), or both, one server each, labelled. Before each
measured run the same mix runs once untimed (`--warmup`, as a long-running server would have
seen it); `--ingest N` writes N posts/s into the store during the measured runs, as the pipeline
would, so caches keep catching up; `--workers` serves with several uvicorn processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
SEARCHES = ["xăng", "giá AND dầu", "bóng đá", "bệnh viện", '"giá xăng"', "học -đấu", "tuyển"]
FILTERS: list[dict[str, str]] = [{}, {"source": "voz"}, {"sentiment": "negative"}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env={**os.environ, "DULUAN_API_RATE_LIMIT_PER_MINUTE": "0", **env},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the API did not start")


def requests_for(
    kind: str, n: int, until: str, rng: random.Random
) -> list[tuple[str, dict[str, str]]]:
    out = []
    for _ in range(n):
        params = dict(rng.choice(FILTERS))
        if kind == "search":
            params.update(q=rng.choice(SEARCHES), limit="20")
            out.append(("/v1/search", params))
        elif kind == "timeline":
            if rng.random() < 0.5:
                params["q"] = rng.choice(SEARCHES)
            params.update(interval=rng.choice(["hour", "day"]), split="sentiment")
            out.append(("/v1/timeline", params))
        else:
            q = rng.choice([None, "xăng", "giá"])
            params = {"window": "1h", "baseline": "24", "until": until, **({"q": q} if q else {})}
            out.append(("/v1/trends", params))
    return out


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, target: str
) -> int:
    """One keep-alive HTTP/1.1 GET; the body is read (by Content-Length) but not parsed."""
    writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _load(
    url: str, reqs: list[tuple[str, dict[str, str]]], clients: int
) -> tuple[list[float], int, float]:
    host = url.split("//", 1)[1]
    name, port = host.rsplit(":", 1)
    todo = iter(reqs)
    times: list[float] = []
    errors = 0

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(name, int(port))
        try:
            for path, params in todo:
                target = path + "?" + urlencode(params)
                t0 = time.perf_counter()
                status = await _get(reader, writer, host, target)
                if status == 200:
                    times.append(time.perf_counter() - t0)
                else:
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return times, errors, time.perf_counter() - started


def run_load(url: str, kind: str, n: int, clients: int, until: str) -> dict[str, float]:
    """`clients` connections in one asyncio loop, each sending its next request as soon as the
    last one is answered (closed loop, no think time); client CPU is measured to show what the
    load generator took from the cores the server shares."""
    reqs = requests_for(kind, n, until, random.Random(7))
    cpu0 = time.process_time()
    times, errors, wall = asyncio.run(_load(url, reqs, clients))
    cpu = time.process_time() - cpu0
    times.sort()

    def p(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))] * 1000

    return {
        "n": len(times),
        "errors": errors,
        "p50": p(0.5),
        "p95": p(0.95),
        "max": times[-1] * 1000,
        "rps": len(times) / wall,
        "client_cpu": cpu / wall,
    }


class Ingest:
    """Writes `rate` posts/s into the store while the load runs, as the pipeline would: every
    write invalidates the query cache and makes the postings cache catch up."""

    def __init__(self, args: argparse.Namespace) -> None:
        from bench.synthetic import synthetic_posts

        self.rate = args.ingest
        self.stop = threading.Event()
        self.written = 0
        if args.store == "sqlite":
            from duluan.storage.sqlite.store import SQLiteStore

            self.store: Any = SQLiteStore(args.db, postings_cache_mb=0)
        else:
            from duluan.storage.elasticsearch.store import ElasticsearchStore

            self.store = ElasticsearchStore(args.es_url, args.es_index)
        end = datetime.fromisoformat(args.until.replace("Z", "+00:00"))
        self.posts = (
            p.model_copy(
                update={
                    "id": f"bench-live:{i}",
                    "author": "bench-live",
                    "created_at": end - timedelta(seconds=random.random() * 86400),
                }
            )
            for i, p in enumerate(synthetic_posts(10**7, seed=99))
        )
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tick = 0.2
        batch = max(1, round(self.rate * tick))
        while not self.stop.wait(tick):
            self.store.upsert([next(self.posts) for _ in range(batch)])
            self.written += batch

    def __enter__(self) -> Ingest:
        if self.rate > 0:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        removed = self.store.delete_by_author("bench-live", actor="bench_api")
        print(f"  ingest: {self.written} posts written during the load, {removed} removed after")
        self.store.close()


def api_bench(args: argparse.Namespace) -> None:
    modes = ["off", "on"] if args.cache == "both" else [args.cache]
    for mode in modes:
        api_bench_one(args, mode)


def api_bench_one(args: argparse.Namespace, cache: str) -> None:
    ttl = "0" if cache == "off" else str(args.cache_ttl)
    env = {"DULUAN_STORE": args.store, "DULUAN_API_QUERY_CACHE_TTL_S": ttl}
    if args.store == "sqlite":
        env["DULUAN_STORE_PATH"] = str(Path(args.db).resolve())
    else:
        env["DULUAN_ELASTICSEARCH_URL"] = args.es_url
        env["DULUAN_ELASTICSEARCH_INDEX"] = args.es_index
        env["DULUAN_DATA_DIR"] = tempfile.mkdtemp(prefix="duluan-bench-")
    proc, url = start_server(env, args.workers)
    try:
        total = httpx.get(url + "/readyz", timeout=60).json().get("posts")
        print(
            f"store={args.store} posts={total} clients={args.clients} workers={args.workers} "
            f"warm-up={args.warmup} ingest={args.ingest:g}/s "
            f"query cache={cache}" + (f" (ttl {ttl} s)" if cache == "on" else ""),
            flush=True,
        )
        for kind in ("search", "timeline", "trends"):
            if kind == "trends":  # the first (cold) computation per query, then the load
                for q in (None, "xăng", "giá"):
                    t0 = time.perf_counter()
                    params = {"window": "1h", "baseline": "24", "until": args.until}
                    httpx.get(
                        url + "/v1/trends",
                        params={**params, **({"q": q} if q else {})},
                        timeout=300,
                    )
                    print(
                        f"  trends cold q={q!r}: {(time.perf_counter() - t0) * 1000:.0f} ms",
                        flush=True,
                    )
            # warm: the same mix once, as a long-running server (every worker process) would be
            run_load(url, kind, args.warmup, args.clients, args.until)
            with Ingest(args) if args.ingest > 0 else contextlib.nullcontext():
                s = run_load(url, kind, args.requests, args.clients, args.until)
            print(
                f"  {kind:<9} n={s['n']:<5} errors={s['errors']:<3} p50={s['p50']:7.1f} ms  "
                f"p95={s['p95']:7.1f} ms  max={s['max']:7.1f} ms  {s['rps']:6.1f} req/s  "
                f"client cpu {s['client_cpu']:.0%} of a core",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.wait(30)


def alert_latency(args: argparse.Namespace) -> None:
    """Publish a burst into the embedded pipeline; time until the AlertRunner records it."""
    from duluan.alerts.models import Subscription, VolumeRule
    from duluan.cli.alerts import make_alert_runner
    from duluan.core.models import Analysis, Post, Sentiment
    from duluan.core.settings import Settings
    from duluan.pipeline import Pipeline

    tmp = Path(tempfile.mkdtemp(prefix="duluan-alert-bench-"))
    settings = Settings(data_dir=tmp, worker_poll_timeout=0.1)

    def stub(texts: Sequence[str]) -> list[Analysis]:
        return [
            Analysis(language="vi", sentiment=Sentiment(), keywords=t.split()[:3]) for t in texts
        ]

    pipeline = Pipeline(settings, analyze=stub)
    now = datetime.now(UTC)
    history = [  # 10 quiet one-minute windows of ~10 posts
        Post(
            id=f"bench:h:{w}:{i}",
            source="bench",
            text="tin thường ngày",
            created_at=now - timedelta(minutes=w, seconds=-i),
            analysis=stub(["tin thường ngày"])[0],
        )
        for w in range(1, 11)
        for i in range(10)
    ]
    pipeline.store.upsert(history)
    runner = make_alert_runner(settings, pipeline.store, interval_s=args.interval)
    runner.repo.save_subscription(
        Subscription(
            name="burst",
            rule=VolumeRule(),
            window_s=60,
            baseline_windows=8,
            warmup_windows=3,
            min_volume=20,
            cooldown_s=3600,
        )
    )
    pipeline.start()
    runner.start()
    time.sleep(args.interval * 1.5)  # let a quiet round pass
    t0 = time.monotonic()
    for i in range(args.burst):
        post = Post(
            id=f"bench:burst:{i}",
            source="bench",
            text=f"cháy lớn ở chung cư {i}",
            created_at=datetime.now(UTC),
        )
        pipeline.bus.publish(settings.raw_topic, post.model_dump_json().encode(), key=post.id)
    pipeline.bus.flush()
    fired = None
    while time.monotonic() - t0 < 120:
        events = runner.repo.list_events(limit=1)
        if events:
            fired = time.monotonic() - t0
            break
        time.sleep(0.1)
    runner.stop()
    pipeline.stop()
    print(
        f"alert latency: burst of {args.burst} posts, runner every {args.interval:g} s: "
        + (f"{fired:.1f} s from publish to recorded event" if fired else "no alert in 120 s")
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", choices=["sqlite", "elasticsearch"], default="sqlite")
    ap.add_argument("--db", default=str(ROOT / "var" / "bench" / "store.db"))
    ap.add_argument("--es-url", default="http://127.0.0.1:9200")
    ap.add_argument("--es-index", default="bench-posts")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--requests", type=int, default=400, help="per endpoint")
    ap.add_argument(
        "--warmup", type=int, default=20, help="untimed requests per endpoint first (same mix)"
    )
    ap.add_argument(
        "--ingest", type=float, default=0, help="posts/s written into the store during the load"
    )
    ap.add_argument("--until", default="2026-11-28T00:00:00Z", help="end of the trends window")
    ap.add_argument("--cache", choices=["off", "on", "both"], default="both", help="query cache")
    ap.add_argument("--cache-ttl", type=float, default=10.0, help="query cache TTL when on")
    ap.add_argument("--alert-latency", action="store_true")
    ap.add_argument("--interval", type=float, default=5.0, help="alert runner interval")
    ap.add_argument("--burst", type=int, default=100)
    args = ap.parse_args()
    if args.alert_latency:
        alert_latency(args)
    else:
        api_bench(args)


if __name__ == "__main__":
    main()
