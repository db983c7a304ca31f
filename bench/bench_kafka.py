"""Kafka bus throughput: produce and consume msg/s through KafkaBus with its production options.

Messages are real Post JSON with an analysis (~0.6-1 KB, bench.synthetic). Produce = publish +
flush with acks=all and idempotence; consume = poll + commit per batch in a fresh group.
Each variant runs in its own process so that `--no-crc32c` really loads the pure-Python CRC.
Target: >= 2,000 msg/s through the bus.

    scripts/services/kafka.sh start
    .venv/bin/python bench/bench_kafka.py --messages 100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run_variant(bootstrap: str, n: int, compression: str, crc32c: bool) -> dict[str, object]:
    """One produce + consume round; runs inside a child process."""
    if not crc32c:
        sys.modules["crc32c"] = None  # type: ignore[assignment]  # kafka falls back to pure Python
    from bench.synthetic import synthetic_posts
    from streaming.kafka_bus import KafkaBus

    payloads = [(p.id, p.to_json()) for p in synthetic_posts(n, seed=11)]
    size = sum(len(v) for _, v in payloads) / len(payloads)
    topic = f"bench.kafka.{uuid.uuid4().hex[:8]}"
    bus = KafkaBus(bootstrap, partitions=4, compression=compression)
    bus.ensure_topic(topic)
    t0 = time.perf_counter()
    for key, value in payloads:
        bus.publish(topic, value, key=key)
    bus.flush()
    produce_s = time.perf_counter() - t0

    got = 0
    with bus.consumer(topic, f"bench-{uuid.uuid4().hex[:6]}") as consumer:
        consumer.poll(max_messages=1, timeout=5.0)  # join the group outside the timing
        consumer.close()
    with bus.consumer(topic, f"bench-{uuid.uuid4().hex[:6]}") as consumer:
        t1 = time.perf_counter()
        deadline = t1 + 300
        while got < n and time.perf_counter() < deadline:
            batch = consumer.poll(max_messages=1000, timeout=1.0)
            if batch:
                consumer.commit(batch)
                got += len(batch)
        consume_s = time.perf_counter() - t1
    bus.close()
    return {
        "compression": compression,
        "crc32c": crc32c,
        "messages": n,
        "avg_bytes": round(size),
        "produce_msg_s": round(n / produce_s),
        "consume_msg_s": round(got / consume_s),
        "consumed": got,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--bootstrap", default=os.environ.get("DULUAN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    )
    ap.add_argument("--messages", type=int, default=50_000)
    ap.add_argument(
        "--variants",
        default="lz4:crc32c,gzip:crc32c,none:crc32c,lz4:pure",
        help="comma list of COMPRESSION:crc32c|pure",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        comp, crc = args.child.split(":")
        print(json.dumps(run_variant(args.bootstrap, args.messages, comp, crc == "crc32c")))
        return 0
    for variant in args.variants.split(","):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                variant,
                "--messages",
                str(args.messages),
                "--bootstrap",
                args.bootstrap,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
        if out.returncode != 0 or not line.startswith("{"):
            print(f"{variant}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
            continue
        r = json.loads(line)
        print(
            f"{r['compression']:>5} crc32c={'C ' if r['crc32c'] else 'py'}  {r['messages']} msgs"
            f" x {r['avg_bytes']} B  produce {r['produce_msg_s']:>7} msg/s"
            f"  consume+commit {r['consume_msg_s']:>7} msg/s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
