"""Elasticsearch store throughput: bulk upsert docs/s through ElasticsearchStore, then query times.

Posts come from bench.synthetic (invented, analysed, spread over 30 days). The index prefix is
fresh per run and dropped afterwards unless --keep.

    scripts/services/elasticsearch.sh start
    .venv/bin/python bench/bench_es.py --posts 100000 --batch 500
    .venv/bin/python bench/bench_es.py --posts 1000000 --index bench-posts   # for bench_api.py
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import synthetic_posts
from duluan.core.models import Post
from duluan.core.query import SearchQuery
from duluan.storage.elasticsearch.store import ElasticsearchStore


def timed(fn: object, repeat: int = 20) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--url", default=os.environ.get("DULUAN_ELASTICSEARCH_URL", "http://127.0.0.1:9200")
    )
    ap.add_argument("--posts", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--keep", action="store_true", help="keep the bench indices")
    ap.add_argument(
        "--index",
        default=None,
        help="index prefix (implies --keep; e.g. bench-posts for bench_api.py)",
    )
    args = ap.parse_args()
    if args.index:
        args.keep = True
    store = ElasticsearchStore(args.url, args.index or f"bench-{uuid.uuid4().hex[:8]}")
    store.ensure_ready()
    try:
        t0 = time.perf_counter()
        stream = iter(synthetic_posts(args.posts))  # the corpus bench_store.py loads into SQLite
        first: list[Post] = []
        while batch := list(itertools.islice(stream, args.batch)):
            store.upsert(batch)
            if len(first) < args.batch * 4:
                first.extend(batch)
        store.refresh()
        load_s = time.perf_counter() - t0
        n = store.count(SearchQuery())
        print(
            f"bulk upsert: {n} posts in {load_s:.1f}s = {n / load_s:,.0f} docs/s"
            f" (batch {args.batch}, {len(store.post_indices())} monthly indices)"
        )
        again = time.perf_counter()
        store.upsert(first[: args.batch * 4])
        print(
            f"re-upsert of {args.batch * 4} existing ids: "
            f"{args.batch * 4 / (time.perf_counter() - again):,.0f} docs/s (idempotent)"
        )
        cases = {
            "search 'giá xăng' newest": lambda: store.search(SearchQuery(q="giá xăng")),
            "search 'xang AND (tang OR giam)' relevance": lambda: store.search(
                SearchQuery(q="xang AND (tang OR giam)", sort="relevance")
            ),
            "count sentiment:negative": lambda: store.count(SearchQuery(q="sentiment:negative")),
            "timeline hour split=sentiment": lambda: store.timeline(
                SearchQuery(), "hour", split="sentiment"
            ),
            "top_keywords 20": lambda: store.top_keywords(SearchQuery(), 20),
        }
        for name, fn in cases.items():
            p50, p95 = timed(fn)
            print(f"{name:<45} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
    finally:
        if not args.keep:
            store.drop_all()
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
