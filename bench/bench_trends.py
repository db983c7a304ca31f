"""Trend detector evaluation: known bursts and drops injected into a real comment stream.

Background: UIT-ViCTSD VnExpress comments from ../shared/data (never copied into the repo),
shuffled and spread over simulated hourly windows. Injected: spikes (a term absent or rare
before, present in a share of one or more windows' posts) and drops (a term steady in a share
of posts that stops at a known window). Reports precision, recall, detection delay (windows)
and processing speed. Tokenises with `nlp.analyze` when importable, else (or with
`--fallback`) a lower-case word split.

    .venv/bin/python bench/bench_trends.py [--data ../shared/data] [--seeds 5] [--fallback]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from duluan.core.models import Analysis, Entity, Post
from duluan.trends.detector import TrendConfig, TrendDetector, window_floor
from duluan.trends.terms import fallback_keywords

WINDOW = timedelta(hours=1)
T0 = datetime(2026, 11, 1, tzinfo=UTC)
TOLERANCE = 2  # windows after the injected change within which a detection counts


@dataclass(frozen=True)
class Event:
    term: str
    direction: str  # spike | drop
    window: int  # first window of the change
    length: int  # windows the spike lasts (drops last to the end)
    share: float  # share of the window's posts carrying the term


def load_comments(data_dir: Path) -> list[str]:
    folder = data_dir / "nlp" / "uit-victsd"
    texts: list[str] = []
    for name in ("ViCTSD_train.csv", "ViCTSD_valid.csv", "ViCTSD_test.csv"):
        path = folder / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as fh:
            texts.extend(row["Comment"] for row in csv.DictReader(fh) if row.get("Comment"))
    return texts


Analyzer = Callable[[list[str]], list[Analysis]]


def make_analyzer(use_nlp: bool) -> tuple[str, Analyzer]:
    """Batch `nlp.analyze` when importable, else the fallback word split."""

    def fallback(texts: list[str]) -> list[Analysis]:
        return [Analysis(language="vi", keywords=fallback_keywords(t)) for t in texts]

    if use_nlp:
        try:
            from nlp import analyze

            if isinstance(analyze(["Giá xăng tăng mạnh"])[0], Analysis):
                return "nlp.analyze (project NLP: segmentation, keywords, topics)", analyze
            print("nlp.analyze does not return Analysis objects; using the fallback tokenizer")
        except Exception as exc:  # depends on the nlp package's state
            print(f"nlp.analyze unavailable ({type(exc).__name__}: {exc}); using the fallback")
    return "fallback word split", fallback


def build_stream(
    comments: list[str],
    events: list[Event],
    windows: int,
    per_window: int,
    seed: int,
    analyses: dict[str, Analysis],
) -> list[tuple[int, Post]]:
    """Background comments in random order, `per_window` (+-20%) per window, plus injections."""
    rng = random.Random(seed)
    pool = comments[:]
    rng.shuffle(pool)
    sources = ["vnexpress", "voz", "youtube", "tinhte"]
    out: list[tuple[int, Post]] = []
    idx = 0
    for w in range(windows):
        n = int(per_window * rng.uniform(0.8, 1.2))
        for _ in range(n):
            if idx == len(pool):  # a second pass over the data comes in a fresh order
                rng.shuffle(pool)
                idx = 0
            text = pool[idx]
            idx += 1
            extra: list[str] = []
            for ev in events:
                live = (ev.direction == "spike" and ev.window <= w < ev.window + ev.length) or (
                    ev.direction == "drop" and w < ev.window
                )
                if live and rng.random() < ev.share:
                    extra.append(ev.term)
            analysis = analyses[text]
            if extra:
                analysis = analysis.model_copy(
                    update={
                        "keywords": [*extra, *analysis.keywords],
                        "entities": [
                            *analysis.entities,
                            *(Entity(text=e, type="MISC") for e in extra),
                        ],
                    }
                )
            ts = T0 + w * WINDOW + timedelta(seconds=rng.uniform(0, 3599))
            post = Post(
                id=f"bench:c:{len(out)}",
                source=rng.choice(sources),
                text=text,
                created_at=ts,
                analysis=analysis,
            )
            out.append((w, post))
    return out


def make_events(rng: random.Random, windows: int) -> list[Event]:
    """Six spikes of different strengths and four drops, at random windows after warm-up."""
    events: list[Event] = []
    for i, share in enumerate((0.03, 0.05, 0.08, 0.12, 0.2, 0.05)):
        events.append(
            Event(
                f"burstterm{i}",
                "spike",
                rng.randrange(12, windows - 4),
                rng.choice((1, 2, 3)),
                share,
            )
        )
    for i, share in enumerate((0.04, 0.06, 0.1, 0.15)):
        events.append(Event(f"steadyterm{i}", "drop", rng.randrange(14, windows - 4), 0, share))
    return events


def evaluate(
    stream: list[tuple[int, Post]], events: list[Event], windows: int, cfg: TrendConfig
) -> dict[str, float]:
    det = TrendDetector(cfg)
    reports: list[tuple[int, str, str]] = []
    injected = {e.term for e in events}
    other_false = 0
    t = time.perf_counter()
    i = 0
    for w in range(windows):
        start = T0 + w * WINDOW
        while i < len(stream) and stream[i][0] == w:
            det.add(stream[i][1])
            i += 1
        for tr in det.close_window(start, start + WINDOW):
            if tr.kind == "term":
                reports.append((w, tr.term, tr.direction))
            elif not any(part in injected for part in tr.term.split(" + ")):
                other_false += 1  # a topic or pair trend not made by an injection
    elapsed = time.perf_counter() - t
    assert window_floor(stream[-1][1].created_at, WINDOW) == T0 + (windows - 1) * WINDOW
    # Episodes: consecutive-window reports of one term and direction are one alarm.
    episodes: list[tuple[int, str, str]] = []
    last: dict[tuple[str, str], int] = {}
    for w, term, d in reports:
        if last.get((term, d)) != w - 1:
            episodes.append((w, term, d))
        last[(term, d)] = w
    by_term = {(e.term, e.direction): e for e in events}
    tp_episodes = 0
    delays: dict[Event, int] = {}
    for w, term, d in episodes:
        ev = by_term.get((term, d))
        if ev and ev.window <= w <= ev.window + max(ev.length - 1, 0) + TOLERANCE:
            tp_episodes += 1
            delays.setdefault(ev, w - ev.window)
    found = len(delays)
    return {
        "episodes": len(episodes),
        "tp": tp_episodes,
        "precision": tp_episodes / len(episodes) if episodes else 1.0,
        "recall": found / len(events),
        "spike_recall": sum(1 for e in delays if e.direction == "spike")
        / sum(1 for e in events if e.direction == "spike"),
        "drop_recall": sum(1 for e in delays if e.direction == "drop")
        / sum(1 for e in events if e.direction == "drop"),
        "delay_mean": statistics.mean(delays.values()) if delays else float("nan"),
        "delay_max": max(delays.values()) if delays else float("nan"),
        "other_false": other_false,
        "posts": len(stream),
        "seconds": elapsed,
        "state_terms": len(det),
        "state_json_bytes": len(det.to_json()),
    }


Streams = list[tuple[list[tuple[int, Post]], list[Event]]]


def build_streams(
    comments: list[str], analyses: dict[str, Analysis], seeds: int, windows: int, per_window: int
) -> Streams:
    """One stream per seed, built once and reused for every config."""
    streams = []
    for seed in range(seeds):
        events = make_events(random.Random(1000 + seed), windows)
        streams.append(
            (build_stream(comments, events, windows, per_window, seed, analyses), events)
        )
    return streams


def run_config(streams: Streams, cfg: TrendConfig, windows: int, verbose: bool) -> dict[str, float]:
    rows = []
    for seed, (stream, events) in enumerate(streams):
        r = evaluate(stream, events, windows, cfg)
        rows.append(r)
        if verbose:
            print(
                f"  seed {seed}: alarms={r['episodes']} true={r['tp']} "
                f"precision={r['precision']:.2f} recall={r['recall']:.2f} "
                f"(spike {r['spike_recall']:.2f}, drop {r['drop_recall']:.2f}) "
                f"delay mean={r['delay_mean']:.2f} max={r['delay_max']} "
                f"speed={r['posts'] / r['seconds']:.0f} posts/s"
            )
    delays = [r["delay_mean"] for r in rows if r["delay_mean"] == r["delay_mean"]]
    posts = sum(r["posts"] for r in rows)
    return {
        "precision": statistics.mean(r["precision"] for r in rows),
        "recall": statistics.mean(r["recall"] for r in rows),
        "spike_recall": statistics.mean(r["spike_recall"] for r in rows),
        "drop_recall": statistics.mean(r["drop_recall"] for r in rows),
        "alarms": sum(r["episodes"] for r in rows),
        "true_alarms": sum(r["tp"] for r in rows),
        "other_false": sum(r["other_false"] for r in rows),
        "delay_mean": statistics.mean(delays) if delays else float("nan"),
        "delay_max": max(r["delay_max"] for r in rows),
        "posts_per_s": posts / sum(r["seconds"] for r in rows),
        "state_terms": rows[-1]["state_terms"],
        "state_kib": rows[-1]["state_json_bytes"] / 1024,
    }


def bench_store(
    comments: list[str], analyses: dict[str, Analysis], windows: int, per_window: int
) -> None:
    """End to end on a real SQLite store: `trends_from_store` for the last window."""
    try:
        from duluan.storage.sqlite.store import SQLiteStore
    except ImportError as exc:
        print(f"store: skipped ({exc})")
        return
    from duluan.trends.detector import trends_from_store

    rng = random.Random(7)
    events = [Event("burstterm", "spike", windows - 1, 1, 0.08)]
    stream = build_stream(comments, events, windows, per_window, 7, analyses)
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "bench.db")
        posts = [p for _, p in stream]
        rng.shuffle(posts)
        t = time.perf_counter()
        for i in range(0, len(posts), 500):
            store.upsert(posts[i : i + 500])
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        trends = trends_from_store(
            store, window=WINDOW, baseline_windows=24, now=T0 + windows * WINDOW
        )
        t_q = time.perf_counter() - t
        store.close()
    found = [tr.term for tr in trends if tr.kind == "term"]
    print(
        f"store: {len(posts)} posts loaded in {t_load:.1f} s; trends_from_store over 25 "
        f"windows (~{25 * per_window} posts) took {t_q:.2f} s; top trends: {found[:5]}"
    )


def speed(comments: list[str], analyses: dict[str, Analysis], windows: int) -> None:
    """Best of 3 (the machine is shared): detector alone, default config, one seed."""
    for per_window in (300, 1000):
        streams = build_streams(comments, analyses, 1, windows, per_window)
        best = max(
            run_config(streams, TrendConfig(), windows, False)["posts_per_s"] for _ in range(3)
        )
        print(
            f"speed: {per_window} posts/window: {best:.0f} posts/s (best of 3, "
            f"{len(streams[0][0])} posts, term extraction + scoring + learning)"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument(
        "--data", type=Path, default=Path(os.environ.get("DULUAN_SHARED_DATA", "../shared/data"))
    )
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--windows", type=int, default=72)
    ap.add_argument("--fallback", action="store_true", help="never use nlp.analyze")
    ap.add_argument("--verbose", action="store_true", help="one line per seed")
    ap.add_argument("--speed-only", action="store_true", help="only the best-of-3 speed line")
    args = ap.parse_args()
    comments = load_comments(args.data)
    if not comments:
        print(f"skipped: no ViCTSD comments under {args.data} (../shared/data is absent)")
        return 0
    label, analyzer = make_analyzer(not args.fallback)
    t = time.perf_counter()
    unique = list(dict.fromkeys(comments))
    analyses = dict(zip(unique, analyzer(unique), strict=True))
    tok_rate = len(unique) / (time.perf_counter() - t)
    print(
        f"background: {len(comments)} ViCTSD comments, shuffled; tokeniser: {label}; "
        f"{args.windows} hourly windows; {args.seeds} seeds; 6 spikes (3-20% of a window's "
        f"posts, 1-3 windows) and 4 drops (steady at 4-15%, then gone) per seed; "
        f"tolerance {TOLERANCE} windows"
    )
    default = TrendConfig()
    if args.speed_only:
        speed(comments, analyses, args.windows)
        return 0
    print(
        f"defaults: alpha={default.alpha} warmup={default.warmup_windows} "
        f"min_count={default.min_count} min_expected_drop={default.min_expected_drop} "
        f"drop_ratio={default.drop_ratio}"
    )
    print(
        "per_window spike_z drop_z | precision recall spike_rec drop_rec | true/alarms "
        "| delay_mean delay_max | detector posts/s | topic/pair false reports"
    )
    for per_window in (140, 300, 1000):
        streams = build_streams(comments, analyses, args.seeds, args.windows, per_window)
        for spike_z, drop_z in ((4.0, 2.5), (default.spike_z, default.drop_z), (8.0, 4.0)):
            cfg = default.model_copy(update={"spike_z": spike_z, "drop_z": drop_z})
            r = run_config(streams, cfg, args.windows, args.verbose)
            print(
                f"{per_window:>10} {spike_z:>7} {cfg.drop_z:>6} | {r['precision']:.3f} "
                f"{r['recall']:.3f} {r['spike_recall']:.3f} {r['drop_recall']:.3f} | "
                f"{r['true_alarms']}/{r['alarms']} | {r['delay_mean']:.2f} "
                f"{r['delay_max']} | {r['posts_per_s']:.0f} | {r['other_false']}"
            )
    print(
        f"tokeniser: {tok_rate:.0f} texts/s; detector state after "
        f"{args.windows} windows: {r['state_terms']} terms, {r['state_kib']:.0f} KiB JSON"
    )
    speed(comments, analyses, args.windows)
    try:
        bench_store(comments, analyses, 30, 300)
    except Exception as exc:  # the store is another package's; report, don't lose the figures
        print(f"store: failed ({type(exc).__name__}: {exc})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
