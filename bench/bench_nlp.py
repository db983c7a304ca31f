"""NLP speed and footprint: posts/s for the full default `analyze`, model load time, peak RSS.

Reads real comments (UIT-ViCTSD, VnExpress) from ../shared/data when present (never copied
into the repo), else generates invented comments of a similar length. Single process, one
thread of Python: the posts/s figure is per core.

    .venv/bin/python bench/bench_nlp.py [--data ../shared/data] [--posts 5000] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_TEXT = (
    "giá xăng hôm nay lại tăng người dân rất lo lắng chính phủ cần có biện pháp kiểm soát "
    "sản phẩm này dùng tốt pin trâu camera đẹp nhưng giao hàng hơi chậm đội tuyển thắng "
    "trận đấu hay quá cầu thủ chơi xuất sắc học sinh thi tốt nghiệp điểm chuẩn đại học "
    "bệnh viện quá tải bác sĩ làm việc vất vả không thể chấp nhận được cách làm như vậy"
)
_WORDS = _TEXT.split(" ")


def real_comments(data: Path) -> list[str]:
    out: list[str] = []
    for name in ("ViCTSD_train.csv", "ViCTSD_valid.csv", "ViCTSD_test.csv"):
        path = data / "nlp" / "uit-victsd" / name
        if path.exists():
            with path.open(encoding="utf-8", newline="") as fh:
                out.extend(row["Comment"] for row in csv.DictReader(fh) if row["Comment"])
    return out


def invented_comments(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choices(_WORDS, k=rng.randint(8, 45))) + rng.choice([".", "!", "?"])
        for _ in range(n)
    ]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_offsets(model: str) -> Any:
    """A default entry and three per-source ones, fitted-looking, for `model`."""
    from nlp.adaptation import AdaptationSet, SentimentAdaptation

    def entry(neutral: float) -> SentimentAdaptation:
        offsets = {"negative": 0.0, "neutral": neutral, "positive": 0.1}
        return SentimentAdaptation(offsets, 300, 0.02, [0.02] * 5, True, model)

    return AdaptationSet(
        entry(0.2), {"voz": entry(-0.8), "vnexpress": entry(0.3), "youtube": entry(-0.2)}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--engine",
        choices=["python", "underthesea"],
        default="python",
        help="word-segmentation CRF scorer: ours (nlp.crf_words) or underthesea's featurizer",
    )
    parser.add_argument(
        "--pos",
        choices=["on", "off"],
        default="on",
        help="POS tags for keyword noun phrases (nlp.crf_pos; Settings.nlp_pos_tags)",
    )
    parser.add_argument(
        "--offsets",
        choices=["none", "per-source"],
        default="none",
        help="per-source: sentiment offsets (duluan adapt) for three sources and a default, "
        "each post tagged with one of four sources, as the NLP worker passes them",
    )
    args = parser.parse_args()

    rss_start = peak_rss_mb()
    t0 = time.perf_counter()
    from nlp import Analyzer  # imports counted separately from model load
    from nlp.segment import Segmenter

    import_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    analyzer = Analyzer.load()
    if args.pos == "off":
        analyzer.pos = None
    load_s = time.perf_counter() - t1
    sources: list[str | None] | None = None
    if args.offsets == "per-source":
        analyzer.adaptation = bench_offsets(analyzer.model_versions["classical"])
        sources = ["voz", "vnexpress", "youtube", "reddit"]
    if args.engine != analyzer.segmenter.engine:
        analyzer.segmenter = Segmenter(fast=args.engine == "python")

    texts = real_comments(args.data)
    source = "UIT-ViCTSD comments"
    if not texts:
        texts, source = invented_comments(args.posts), "invented comments"
    rng = random.Random(0)
    rng.shuffle(texts)
    # each repeat reads posts it has not seen (the segmenter caches syllables and pairs, so
    # re-reading the same posts would flatter it), as long as the source has enough of them
    need = args.posts * args.repeats + 256
    pool = (texts * (need // max(1, len(texts)) + 1))[:need]
    fresh = len(texts) >= need
    analyzer.analyze(pool[-256:])  # warm-up
    slices = [pool[r * args.posts : (r + 1) * args.posts] for r in range(args.repeats)]
    texts = slices[0]

    rates: list[float] = []
    for batch in slices:
        tags = [sources[i % len(sources)] for i in range(len(batch))] if sources else None
        t = time.perf_counter()
        results = analyzer.analyze(batch, tags)
        rates.append(len(batch) / (time.perf_counter() - t))
        assert len(results) == len(batch)

    stage = {}
    from nlp.preprocess import prepare

    sample = texts[:2000]
    t = time.perf_counter()
    prepared = prepare(sample, analyzer.segmenter)
    stage["normalize+segment+features posts/s"] = round(len(sample) / (time.perf_counter() - t))
    t = time.perf_counter()
    analyzer.classical.predict(sample, prepared)
    stage["all classical heads posts/s"] = round(len(sample) / (time.perf_counter() - t))
    if analyzer.pos is not None:
        t = time.perf_counter()
        for start in range(0, len(prepared), 256):
            analyzer.pos.tag_many([p.words for p in prepared[start : start + 256]])
        stage["POS tags posts/s"] = round(len(sample) / (time.perf_counter() - t))

    report = {
        "source": source,
        "posts": len(texts),
        "distinct_posts_per_repeat": fresh,
        "segmenter": analyzer.segmenter.engine,
        "pos_tags": analyzer.pos is not None,
        "sentiment_offsets": args.offsets,
        "mean_chars": round(statistics.mean(len(x) for x in texts), 1),
        "posts_per_s_median": round(statistics.median(rates)),
        "posts_per_s_all": [round(r) for r in rates],
        **stage,
        "model_load_s": round(load_s, 3),
        "import_s": round(import_s, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_import_mb": round(rss_start, 1),
        "model_files_mb": round(
            sum(
                p.stat().st_size
                for p in (Path(__file__).resolve().parents[1] / "nlp" / "models").glob(
                    "classical.*"
                )
            )
            / 2**20,
            2,
        ),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for key, value in report.items():
            print(f"{key:>40}: {value}")


if __name__ == "__main__":
    main()
