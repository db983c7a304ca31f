"""End-to-end scale-out ingest: Kafka → W NLP worker processes → 1 indexer → Elasticsearch.

Needs Kafka and Elasticsearch running (`bash scripts/services/services.sh up`). For each W:
fresh topics (DULUAN_KAFKA_PARTITIONS partitions, default 4) and a fresh index, then
`python -m duluan.cli worker nlp` x W (one consumer group) and `worker index` x 1 are started,
warmed up with a small batch, and measured in two phases:

Phase 1 (throughput): publish N posts at once with KafkaBus; time from the first publish until
all N are searchable (store.refresh() then store.count(SearchQuery()), polled every 0.5 s).
Phase 2 (latency): publish at a steady rate below capacity; a poller thread asks Elasticsearch
every 0.2 s (an `ids` query, no forced refresh: the index's own 1 s refresh) which published ids
are searchable and records when each first shows up. Latency = that time - the time the post
was handed to the producer (resolution ~0.2 s + one query). Also reported: the doc's
`indexed_at` (when the indexer's bulk call started) - publish time, i.e. without the refresh wait.
Texts are real comments from ../shared/data when present (read, never copied), else invented.
usage: python bench/bench_scaleout.py [--posts 100000] [--workers 1,2] [--rate 300] [--seconds 30]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_pipeline import make_posts, texts  # noqa: E402
from bench.bench_store import pct  # noqa: E402
from duluan.core.query import SearchQuery  # noqa: E402
from duluan.core.settings import Settings  # noqa: E402
from duluan.storage.elasticsearch.store import ElasticsearchStore  # noqa: E402
from streaming.kafka_bus import KafkaBus  # noqa: E402


def run_env(run: str, partitions: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DULUAN_BUS="kafka",
        DULUAN_STORE="elasticsearch",
        DULUAN_KAFKA_BOOTSTRAP=env.get("DULUAN_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        DULUAN_ELASTICSEARCH_URL=env.get("DULUAN_ELASTICSEARCH_URL", "http://127.0.0.1:9200"),
        DULUAN_KAFKA_PARTITIONS=str(partitions),
        DULUAN_RAW_TOPIC=f"{run}.raw",
        DULUAN_ENRICHED_TOPIC=f"{run}.enriched",
        DULUAN_DEAD_LETTER_TOPIC=f"{run}.dead",
        DULUAN_ELASTICSEARCH_INDEX=f"{run}-posts",
    )
    return env


class Workers:
    """W NLP worker processes + 1 indexer process, logs in files under `logdir`."""

    def __init__(self, n_nlp: int, env: dict[str, str], logdir: Path, max_idle: float) -> None:
        logdir.mkdir(parents=True, exist_ok=True)
        self.procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []
        cmds = [(f"nlp{i}", "nlp") for i in range(n_nlp)] + [("index", "index")]
        for name, stage in cmds:
            log = logdir / f"{name}.log"
            with log.open("wb") as fh:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "duluan.cli",
                        "worker",
                        stage,
                        "--max-idle",
                        str(max_idle),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                )
            self.procs.append((name, proc, log))

    def wait_assigned(self, timeout: float) -> None:
        """Until every worker logged a partition assignment (models loaded, group joined)."""
        deadline = time.monotonic() + timeout
        for name, proc, log in self.procs:
            while "partitions_assigned" not in log.read_text(errors="replace"):
                if proc.poll() is not None:
                    raise SystemExit(f"{name} exited early (rc {proc.returncode}); see {log}")
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} not assigned partitions after {timeout}s; see {log}")
                time.sleep(0.2)

    def check_alive(self) -> None:
        for name, proc, log in self.procs:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited (rc {proc.returncode}) mid-run; see {log}")

    def stop(self, timeout: float) -> list[str]:
        """Wait for the --max-idle exit; terminate stragglers. Returns each worker's summary."""
        out = []
        for name, proc, log in self.procs:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait(timeout=30)
            lines = log.read_text(errors="replace").strip().splitlines()
            summary = next((ln for ln in reversed(lines) if "processed" in ln), "(no summary)")
            out.append(f"{name}: rc {proc.returncode}: {summary.strip()}")
        return out


def wait_searchable(
    store: ElasticsearchStore, target: int, timeout: float, started: float, workers: Workers
) -> float:
    """Seconds from `started` until count() >= target (refresh forced before each count)."""
    last = time.perf_counter()
    while True:
        store.refresh()
        n = store.count(SearchQuery())
        now = time.perf_counter()
        if n >= target:
            return now - started
        if now - started > timeout:
            raise SystemExit(f"only {n:,}/{target:,} searchable after {timeout:.0f}s")
        if now - last > 10:
            last = now
            el = now - started
            print(f"    {el:6.0f}s  searchable {n:>8,}  ({n / el:,.0f}/s)", flush=True)
            workers.check_alive()
        time.sleep(0.5)


class Poller(threading.Thread):
    """Every `every` s, asks ES which pending ids are searchable; records first-seen times."""

    def __init__(self, store: ElasticsearchStore, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.store = store
        self.every = every
        self.published: dict[str, float] = {}
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()

    def add(self, pid: str, t: float) -> None:
        with self.lock:
            self.published[pid] = t

    def run(self) -> None:
        while not self.done.is_set():
            tick = time.time()
            with self.lock:
                pending = [p for p in self.published if p not in self.seen]
            for i in range(0, len(pending), 5000):
                chunk = pending[i : i + 5000]
                res = self.store.es.search(
                    index=self.store.alias,
                    query={"ids": {"values": chunk}},
                    source=False,
                    size=len(chunk),
                    ignore_unavailable=True,
                )
                now = time.time()
                for hit in res["hits"]["hits"]:
                    self.seen.setdefault(hit["_id"], now)
            time.sleep(max(0.0, self.every - (time.time() - tick)))

    def wait_all(self, timeout: float) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.seen) >= len(self.published):
                    return True
            time.sleep(0.2)
        return False


def indexed_at_latencies(store: ElasticsearchStore, published: dict[str, float]) -> list[float]:
    out = []
    ids = list(published)
    for i in range(0, len(ids), 5000):
        chunk = ids[i : i + 5000]
        res = store.es.search(
            index=store.alias,
            query={"ids": {"values": chunk}},
            source=["indexed_at"],
            size=len(chunk),
        )
        for hit in res["hits"]["hits"]:
            t = datetime.fromisoformat(hit["_source"]["indexed_at"]).timestamp()
            out.append(t - published[hit["_id"]])
    return out


def bench_one(w: int, args: argparse.Namespace, pool: list[str], stamp: str) -> dict[str, Any]:
    run = f"bench-scaleout-{stamp}-w{w}"
    env = run_env(run, args.partitions)
    settings = Settings(
        **{  # same values the workers read from their environment
            "kafka_bootstrap": env["DULUAN_KAFKA_BOOTSTRAP"],
            "elasticsearch_url": env["DULUAN_ELASTICSEARCH_URL"],
            "kafka_partitions": args.partitions,
            "raw_topic": env["DULUAN_RAW_TOPIC"],
            "enriched_topic": env["DULUAN_ENRICHED_TOPIC"],
            "dead_letter_topic": env["DULUAN_DEAD_LETTER_TOPIC"],
            "elasticsearch_index": env["DULUAN_ELASTICSEARCH_INDEX"],
        }
    )
    print(f"\n== W={w} NLP worker process(es) + 1 indexer; run {run}", flush=True)
    bus = KafkaBus.from_settings(settings)
    for topic in (settings.raw_topic, settings.enriched_topic, settings.dead_letter_topic):
        bus.ensure_topic(topic)  # created before any worker, with the configured partitions
    store = ElasticsearchStore.from_settings(settings)
    store.ensure_ready()
    t0 = time.perf_counter()
    workers = Workers(w, env, ROOT / "var" / "bench" / "scaleout" / run, args.max_idle)
    result: dict[str, Any] = {"W": w}
    try:
        workers.wait_assigned(timeout=300)
        warm = make_posts(pool, args.warmup, 10_000_000)
        bus.publish_many(settings.raw_topic, ((p.id, p.to_json()) for p in warm))
        wait_searchable(store, args.warmup, 300, time.perf_counter(), workers)
        time.sleep(2)  # let any late rebalance settle
        print(f"  workers up and warmed ({args.warmup} posts) in {time.perf_counter() - t0:.1f}s")

        # phase 1: throughput
        posts = make_posts(pool, args.posts, 0)
        started = time.perf_counter()
        bus.publish_many(settings.raw_topic, ((p.id, p.to_json()) for p in posts))
        pub = time.perf_counter() - started
        took = wait_searchable(store, args.warmup + args.posts, args.timeout, started, workers)
        result.update(
            n=args.posts, took=took, rate=args.posts / took, publish_rate=args.posts / pub
        )
        print(
            f"  throughput: {args.posts:,} in {took:.1f}s = {args.posts / took:,.0f} posts/s "
            f"(publish alone {args.posts / pub:,.0f}/s)",
            flush=True,
        )

        # phase 2: latency at a steady rate
        total = int(args.rate * args.seconds)
        poller = Poller(store)
        poller.start()
        interval = 1.0 / args.rate
        t_start = time.perf_counter()
        for i, p in enumerate(make_posts(pool, total, 1_000_000)):
            delay = t_start + i * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            poller.add(p.id, time.time())
            bus.publish(settings.raw_topic, p.to_json(), key=p.id)
        bus.flush()
        sent = time.perf_counter() - t_start
        complete = poller.wait_all(timeout=120)
        poller.done.set()
        poller.join()
        lat = [poller.seen[p] - t for p, t in poller.published.items() if p in poller.seen]
        idx = indexed_at_latencies(store, poller.published)
        result.update(
            lat_n=len(lat),
            lat_total=total,
            lat_complete=complete,
            actual_rate=total / sent,
            p50=pct(lat, 50),
            p95=pct(lat, 95),
            max=max(lat),
            i50=pct(idx, 50),
            i95=pct(idx, 95),
        )
        print(
            f"  latency at {total / sent:,.0f} posts/s for {sent:.0f}s ({len(lat)}/{total} seen): "
            f"searchable p50={result['p50']:.2f}s p95={result['p95']:.2f}s "
            f"max={result['max']:.2f}s; indexed_at p50={result['i50']:.2f}s "
            f"p95={result['i95']:.2f}s",
            flush=True,
        )
    finally:
        bus.close()
        store.close()
        for line in workers.stop(timeout=args.max_idle + 60):
            print(f"  {line}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--workers", default="1,2", help="NLP worker process counts to run, e.g. 1,2")
    ap.add_argument(
        "--partitions", type=int, default=int(os.environ.get("DULUAN_KAFKA_PARTITIONS", "4"))
    )
    ap.add_argument("--rate", type=float, default=300.0, help="posts/s in the latency phase")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--max-idle", type=float, default=10.0)
    ap.add_argument("--timeout", type=float, default=1800.0, help="phase-1 limit, seconds")
    args = ap.parse_args()
    if args.partitions < 2:
        raise SystemExit("use >= 2 partitions so two workers can share the topic")
    pool = texts()
    stamp = time.strftime("%Y%m%d%H%M%S").lower()
    results = [bench_one(int(w), args, pool, stamp) for w in args.workers.split(",")]
    print(
        f"\nKafka ({args.partitions} partitions) + Elasticsearch, {os.cpu_count()} CPUs, "
        f"load avg {os.getloadavg()[0]:.1f}"
    )
    print(
        "| NLP workers | posts | end to end | posts/s | latency phase | searchable p50 / p95 "
        "/ max | indexed_at p50 / p95 |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['W']} | {r['n']:,} | {r['took']:.1f} s | {r['rate']:,.0f} | "
            f"{r['actual_rate']:,.0f}/s, {r['lat_n']:,}/{r['lat_total']:,} seen | "
            f"{r['p50']:.2f} / {r['p95']:.2f} / {r['max']:.2f} s | "
            f"{r['i50']:.2f} / {r['i95']:.2f} s |"
        )


if __name__ == "__main__":
    main()
