"""Top keywords and trending terms a user would see, for eyeballing keyword quality.

    demo:   DULUAN_DATA_DIR=/tmp/kwdemo/var duluan demo --exit-after-ingest
            .venv/bin/python bench/keywords_top.py demo --data-dir /tmp/kwdemo/var
    shared: .venv/bin/python bench/keywords_top.py shared [--data ../shared/data]

`demo` asks the API (TestClient) for /v1/top/keywords (whole store and the last hour) and
/v1/trends. `shared` analyses the real comment sets in ../shared/data (never copied), imports
them into a temporary SQLite store, one source per set, and lists each set's top keywords by
raw count and by distinctiveness against all the sets. Prints terms only, no comment text.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N = 15


def _fmt(items: list[dict[str, object]]) -> str:
    return ", ".join(
        f"{i['key']} ({i['count']}"
        + (f", {i['score']:.1f})" if i.get("score") is not None else ")")
        for i in items
    )


def demo(data_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from duluan.core.settings import Settings

    settings = Settings(data_dir=data_dir)
    with TestClient(create_app(settings)) as client:
        since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        for label, params in (
            ("whole store", {}),
            ("last hour", {"since": since}),
        ):
            for rank in ("count", "distinctive"):
                got = client.get("/v1/top/keywords", params={**params, "limit": N, "rank": rank})
                print(f"top keywords, {label}, rank={rank}: {_fmt(got.json()['items'])}")
        got = client.get("/v1/trends", params={"window": "1h", "baseline": 24, "limit": N})
        trends = got.json().get("trends", [])
        print(
            "trending (1h): "
            + ", ".join(f"{t['term']} [{t['kind']}] z={t['score']}" for t in trends)
        )


def _shared_sets(data: Path) -> dict[str, list[str]]:
    src = data / "sources"
    sets: dict[str, list[str]] = {}
    vne = src / "vnexpress_comments_api_khoapham" / "article_4219024_comments.json"
    if vne.exists():
        texts: list[str] = []

        def walk(node: object) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("content"), str):
                    texts.append(node["content"])
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(json.loads(vne.read_text(encoding="utf-8")))
        sets["vnexpress"] = list(dict.fromkeys(texts))
    yt = src / "youtube_commentthreads_huuarena"
    for path in sorted(yt.glob("*.json")) if yt.exists() else []:
        doc = json.loads(path.read_text(encoding="utf-8"))
        sets.setdefault("youtube", []).extend(
            it["snippet"]["topLevelComment"]["snippet"]["textOriginal"]
            for it in doc.get("items", [])
        )
    voz = src / "voz_stock_comments_ntabyte"
    for path in sorted(voz.glob("*.csv")) if voz.exists() else []:
        with path.open(encoding="utf-8", newline="") as fh:
            sets.setdefault("voz", []).extend(
                r.get("content") or r.get("2") or "" for r in csv.DictReader(fh)
            )
    vsmec = data / "nlp" / "uit-vsmec" / "train.csv"
    if vsmec.exists():
        with vsmec.open(encoding="utf-8", newline="") as fh:
            sets["vsmec"] = [r["sentence"] for r in csv.DictReader(fh)]
    return sets


def shared(data: Path) -> None:
    from duluan.core.models import Post
    from duluan.core.query import SearchQuery
    from duluan.core.settings import Settings
    from duluan.storage.factory import make_store
    from nlp import Analyzer

    sets = _shared_sets(data)
    analyzer = Analyzer.load()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = make_store(Settings(data_dir=Path(tmp)))
        for name, texts in sets.items():
            posts = []
            for i, (text, a) in enumerate(zip(texts, analyzer.analyze(texts), strict=True)):
                posts.append(
                    Post(
                        id=f"{name}:comment:{i}",
                        source=name,
                        text=text or "-",
                        created_at=now,
                        analysis=a,
                    )
                )
            store.upsert(posts)
        store.refresh()
        for name, texts in sets.items():
            q = SearchQuery(sources=[name])
            raw = store.top_keywords(q, N)
            print(
                f"{name} ({len(texts)} comments), by count: "
                + ", ".join(f"{t} ({c})" for t, c in raw)
            )
            try:
                best = store.distinctive_keywords(q, N)
                print(
                    f"{name}, distinctive: "
                    + ", ".join(f"{s.term} ({s.count}, {s.score:.1f})" for s in best)
                )
            except AttributeError:
                pass
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["demo", "shared"])
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    if args.what == "demo":
        demo(args.data_dir)
    else:
        shared(args.data)


if __name__ == "__main__":
    main()
