"""Store at scale: load N posts (default 1M) into SQLite, then time search and timeline queries.

Prints p50/p95 for a mix of searches and timelines, sequential and with concurrent clients.
usage: python bench/bench_store.py [--posts 1000000] [--db var/bench/store.db] [--clients 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import ENTITIES, SOURCES, SYLLABLES, synthetic_posts
from duluan.core.query import SearchQuery
from duluan.storage.sqlite.store import SQLiteStore

END = datetime(2026, 11, 28, tzinfo=UTC)


def load(store: SQLiteStore, n: int) -> float:
    have = store.count(SearchQuery())
    if have >= n:
        print(f"store already holds {have} posts; reusing")
        return 0.0
    started = time.perf_counter()
    batch = []
    for i, post in enumerate(synthetic_posts(n)):
        if i < have:
            continue
        batch.append(post)
        if len(batch) == 2000:
            store.upsert(batch)
            batch.clear()
            if i % 100_000 < 2000:
                el = time.perf_counter() - started
                print(f"  loaded {i + 1:>9,} posts  {(i + 1 - have) / el:,.0f}/s", flush=True)
    store.upsert(batch)
    return time.perf_counter() - started


def queries(rng: random.Random) -> list[tuple[str, SearchQuery, str]]:
    """A dashboard-like mix: mostly named things, some common words, booleans and filters."""
    common = SYLLABLES[:15]
    out = []
    for _ in range(60):
        kind = rng.choice(["entity", "entity", "entity", "common", "bool", "phrase", "filter"])
        if kind == "entity":
            q = rng.choice(ENTITIES[:2000])
        elif kind == "common":
            q = rng.choice(common)
        elif kind == "bool":
            q = f"({rng.choice(ENTITIES[:500])} OR {rng.choice(ENTITIES[:500])}) AND NOT {rng.choice(common)}"
        elif kind == "phrase":
            q = f'"{rng.choice(SYLLABLES[:40])} {rng.choice(SYLLABLES[:40])}"'
        else:
            q = f"{rng.choice(ENTITIES[:200])} source:{rng.choice(SOURCES)} sentiment:negative"
        since = END - timedelta(days=rng.choice([1, 7, 30]))
        out.append((f"search/{kind}", SearchQuery(q=q, since=since, limit=20), q))
    for _ in range(30):
        kind = rng.choice(["all", "source", "entity", "common"])
        q = {
            "all": None,
            "source": f"source:{rng.choice(SOURCES)}",
            "entity": rng.choice(ENTITIES[:2000]),
            "common": rng.choice(common),
        }[kind]
        since = END - timedelta(days=rng.choice([1, 7, 30]))
        out.append((f"timeline/{kind}", SearchQuery(q=q, since=since), str(q)))
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=Path("var/bench/store.db"))
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    store = SQLiteStore(args.db)
    took = load(store, args.posts)
    if took:
        print(f"loaded {args.posts:,} posts in {took:.0f}s ({args.posts / took:,.0f} posts/s)")
    print(f"db size {args.db.stat().st_size / 1e9:.2f} GB")
    rng = random.Random(1)
    work = queries(rng) * args.rounds
    times: dict[str, list[float]] = {}

    def one(item: tuple[str, SearchQuery, str]) -> tuple[str, float]:
        kind, q, _ = item
        t = time.perf_counter()
        if kind.startswith("search"):
            store.search(q)
        else:
            store.timeline(q, "day", split="sentiment")
        return kind, time.perf_counter() - t

    for item in work[:10]:  # warm the page cache
        one(item)
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        for kind, dt in pool.map(one, work):
            times.setdefault(kind, []).append(dt * 1000)
            times.setdefault(kind.split("/")[0] + " (all)", []).append(dt * 1000)
    for kind, vals in sorted(times.items()):
        print(
            f"{kind:9s} n={len(vals):4d} clients={args.clients:2d}  p50={statistics.median(vals):7.1f} ms"
            f"  p95={pct(vals, 95):7.1f} ms  max={max(vals):7.1f} ms"
        )
    store.close()


if __name__ == "__main__":
    main()
