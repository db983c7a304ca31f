"""End-to-end embedded ingest: bus → NLP → store, with the default NLP on this machine.

Phase 1 (throughput): publish N posts at once, time until every one is searchable.
Phase 2 (latency): publish at a steady rate below capacity, report publish→searchable p50/p95.
Texts are real comments from ../shared/data when present (never copied), else invented ones.
usage: python bench/bench_pipeline.py [--posts 100000] [--rate 300] [--seconds 30]
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_store import pct
from bench.synthetic import synthetic_posts
from duluan.core.models import Post
from duluan.core.query import SearchQuery
from duluan.core.settings import Settings
from duluan.pipeline import Pipeline

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "nlp" / "uit-victsd"


def texts() -> list[str]:
    out: list[str] = []
    for name in ("ViCTSD_train.csv", "ViCTSD_valid.csv", "ViCTSD_test.csv"):
        path = SHARED / name
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                out += [row["Comment"] for row in csv.DictReader(fh) if row.get("Comment")]
    if out:
        print(f"texts: {len(out)} real comments from {SHARED} (read, not copied)")
        return out
    print("texts: invented (../shared/data absent)")
    return [p.text for p in synthetic_posts(5000)]


def make_posts(pool: list[str], n: int, start: int) -> list[Post]:
    rng = random.Random(start)
    now = datetime.now(UTC)
    return [
        Post(
            id=f"bench:comment:{start + i}",
            source="bench",
            kind="comment",
            author=f"u{rng.randint(1, 5000)}",
            text=rng.choice(pool),
            created_at=now,
        )
        for i in range(n)
    ]


def latencies(settings: Settings, prefix_from: int) -> list[float]:
    """publish time (bus) → indexed time (store) per post, seconds."""
    bus = sqlite3.connect(settings.resolved_bus_path)
    pub = {
        k: ts / 1000
        for k, ts in bus.execute(
            "SELECT key, ts_ms FROM messages WHERE topic=?", (settings.raw_topic,)
        )
    }
    store = sqlite3.connect(settings.resolved_store_path)
    out = []
    for pid, indexed_at in store.execute("SELECT id, indexed_at FROM posts"):
        n = int(pid.rsplit(":", 1)[1])
        if n >= prefix_from and pid in pub:
            out.append(indexed_at - pub[pid])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--rate", type=float, default=300.0, help="posts/s in the latency phase")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--dir", type=Path, default=Path("var/bench/pipeline"))
    args = ap.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    settings = Settings(data_dir=args.dir)
    pool = texts()
    t0 = time.perf_counter()
    pipeline = Pipeline(settings)
    print(f"pipeline (NLP models) loaded in {time.perf_counter() - t0:.1f}s")
    pipeline.start()
    try:
        posts = make_posts(pool, args.posts, 0)
        started = time.perf_counter()
        pipeline.bus.publish_many(settings.raw_topic, ((p.id, p.to_json()) for p in posts))
        published = time.perf_counter() - started
        last = [0.0]

        def progress(raw: int, enriched: int, indexed: int) -> None:
            if time.perf_counter() - last[0] > 10:
                last[0] = time.perf_counter()
                el = time.perf_counter() - started
                print(
                    f"  {el:6.0f}s  waiting NLP {raw:>7}  waiting index {enriched:>6}  "
                    f"indexed {indexed:>7}  ({indexed / el:,.0f}/s)",
                    flush=True,
                )

        pipeline.wait_drained(timeout=3600, settle=0.0, progress=progress)
        took = time.perf_counter() - started
        n = pipeline.store.count(SearchQuery())
        print(
            f"throughput: {n:,} posts in {took:.1f}s = {n / took:,.0f} posts/s end to end "
            f"(publish alone {args.posts / published:,.0f}/s)"
        )
        # latency phase
        total = int(args.rate * args.seconds)
        base = args.posts
        interval = 1.0 / args.rate
        t_start = time.perf_counter()
        for i, p in enumerate(make_posts(pool, total, base)):
            target = t_start + i * interval
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pipeline.bus.publish(settings.raw_topic, p.to_json(), key=p.id)
        pipeline.bus.flush()
        pipeline.wait_drained(timeout=600, settle=0.0)
        lat = latencies(settings, base)
        print(
            f"latency at {args.rate:.0f} posts/s for {args.seconds:.0f}s ({len(lat)} posts): "
            f"p50={pct(lat, 50):.2f}s p95={pct(lat, 95):.2f}s max={max(lat):.2f}s"
        )
    finally:
        pipeline.stop()


if __name__ == "__main__":
    main()
