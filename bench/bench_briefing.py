"""Briefing generation time on SQLite: a month of N synthetic posts (default 1M), target <= 30 s.

Reuses a store that already holds N posts (e.g. var/bench/store.db from bench_store.py, same
schema); otherwise loads N posts into --db. Times build + HTML + PDF for three watchlists: all
posts (the hourly rollup answers), a free-text query (scans matches) and a source filter.
usage: python bench/bench_briefing.py [--posts 1000000] [--db var/bench/briefing.db]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_store import load
from duluan.briefings.builder import build_briefing
from duluan.briefings.period import make_period
from duluan.briefings.render_html import render_html
from duluan.briefings.render_pdf import render_pdf
from duluan.core.query import SearchQuery
from duluan.storage.sqlite.store import SQLiteStore
from duluan.watchlists.models import Watchlist

END = datetime(2026, 11, 28, tzinfo=UTC)
WATCHLISTS = {
    "all posts": None,
    "text: xăng OR dầu": "xăng OR dầu",
    "filter: source:voz sentiment:negative": "source:voz sentiment:negative",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=Path("var/bench/briefing.db"))
    ap.add_argument(
        "--rounds", type=int, default=2, help="runs per watchlist (best and last shown)"
    )
    args = ap.parse_args()
    store = SQLiteStore(args.db)
    took = load(store, args.posts)
    if took:
        print(f"loaded {args.posts:,} posts in {took:.0f}s")
    period = make_period("2026-10-29", "2026-11-27", "UTC")  # the 30 days synthetic_posts fills
    total = store.count(SearchQuery(since=period.start, until=period.end))
    print(f"period {period.start:%Y-%m-%d} .. {period.end:%Y-%m-%d}: {total:,} posts")
    for name, q in WATCHLISTS.items():
        wl = Watchlist(name=name, query=q)
        for r in range(args.rounds):
            t0 = time.perf_counter()
            b = build_briefing(store, wl, period, lang="vi")
            t1 = time.perf_counter()
            html = render_html(b)
            t2 = time.perf_counter()
            pdf = render_pdf(b)
            t3 = time.perf_counter()
            steps = " ".join(f"{k}={v:.2f}" for k, v in b.timings.items())
            print(
                f"[{name}] round {r + 1}: matches {b.current.total:,}; build {t1 - t0:.2f}s "
                f"(+html {t2 - t1:.2f}s, {len(html) // 1024} KiB; +pdf {t3 - t2:.2f}s, "
                f"{len(pdf) // 1024} KiB) total {t3 - t0:.2f}s | {steps}",
                flush=True,
            )
    store.close()


if __name__ == "__main__":
    main()
