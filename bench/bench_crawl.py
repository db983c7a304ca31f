"""Crawl throughput: the real vnexpress spider against the local demo site, politeness off.

Reports pages/s, items/s and the spider process's CPU seconds per 1,000 items (the server runs
in this process, so its CPU is not counted). Target: >= 300 comment-API items/s.

    .venv/bin/python bench/bench_crawl.py --comments 20000 --page-size 100
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawlers.demo_site import serve_demo_site
from crawlers.runner import crawl


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(comments: int, page_size: int, incremental: bool) -> dict[str, float]:
    server, base = serve_demo_site(comments=comments, seed=7)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cpu0, t0 = child_cpu(), time.perf_counter()
            stats = crawl(
                "vnexpress",
                start_urls=[f"{base}/rss/tin-moi-nhat.rss"],
                output=Path(tmp) / "out.jsonl",
                overrides={
                    "VNEXPRESS_API_BASE": base,
                    "VNEXPRESS_PAGE_SIZE": page_size,
                    "DULUAN_POLITE": False,
                    "DULUAN_PUBLISH": False,
                    "DULUAN_RECORD_HEALTH": False,
                    "DULUAN_INCREMENTAL": incremental,
                    "DULUAN_DATA_DIR": tmp,
                    "LOG_LEVEL": "WARNING",
                },
            )
            wall, cpu = time.perf_counter() - t0, child_cpu() - cpu0
    finally:
        server.shutdown()
    crawl_s = float(stats["stats"].get("elapsed_time_seconds") or wall)
    items, pages = stats["items"], stats["responses"]
    return {
        "comments": comments,
        "page_size": page_size,
        "incremental": incremental,
        "items": items,
        "pages": pages,
        "crawl_s": round(crawl_s, 2),
        "process_s": round(wall, 2),
        "items_per_s": round(items / crawl_s, 1),
        "pages_per_s": round(pages / crawl_s, 1),
        "items_per_s_with_startup": round(items / wall, 1),
        "cpu_s_per_1000_items": round(1000 * cpu / max(items, 1), 2),
        "errors": stats["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=20000)
    parser.add_argument("--page-size", type=int, nargs="+", default=[100, 25])
    parser.add_argument("--no-incremental", action="store_true", help="skip the crawl memory")
    args = parser.parse_args()
    for size in args.page_size:
        print(json.dumps(run_once(args.comments, size, not args.no_incremental)), flush=True)


if __name__ == "__main__":
    main()
