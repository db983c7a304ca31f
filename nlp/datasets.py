"""Readers for the research datasets under ../shared/data/nlp (never copied into the repo).

Each reader returns plain lists so training and evaluation share one view of the data.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from nlp.lexicon import VICTSD_TOPICS, VISFD_ASPECTS

VSFC_SENTIMENT = ("negative", "neutral", "positive")  # 0, 1, 2 in sentiments.txt


def default_data_dir() -> Path:
    """`../shared/data/nlp` next to the repository root (this file is <repo>/nlp/datasets.py)."""
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nlp"


@dataclass
class Split:
    """Texts with one label list per task (tasks absent in a dataset are missing keys)."""

    texts: list[str] = field(default_factory=list)
    labels: dict[str, list[str]] = field(default_factory=dict)
    titles: list[str] = field(default_factory=list)
    aspects: list[dict[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)


def load_vsfc(root: Path, split: str) -> Split:
    d = root / "uit-vsfc" / split
    texts = (d / "sents.txt").read_text(encoding="utf-8").splitlines()
    sents = (d / "sentiments.txt").read_text(encoding="utf-8").splitlines()
    return Split(texts=texts, labels={"sentiment": [VSFC_SENTIMENT[int(s)] for s in sents]})


def load_victsd(root: Path, split: str) -> Split:
    name = {"train": "train", "dev": "valid", "test": "test"}[split]
    out = Split(labels={"topic": [], "toxic": []})
    with (root / "uit-victsd" / f"ViCTSD_{name}.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.texts.append(row["Comment"] or "")
            out.titles.append(row["Title"] or "")
            out.labels["topic"].append(VICTSD_TOPICS[row["Topic"].strip()])
            out.labels["toxic"].append("toxic" if row["Toxicity"].strip() == "1" else "clean")
    return out


_AIVIVN_BLOCK = re.compile(r'(train_\d+)\s*\n"(.*?)"\s*\n\s*([01])\s*(?:\n|$)', re.DOTALL)


def _held_out(key: str, percent: int) -> bool:
    """Deterministic split by hashing the sample id: same split on every machine, every run."""
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 100 < percent


def load_aivivn(root: Path, split: str) -> Split:
    """AIVIVN 2019 train file; 'test' is a fixed 20% hash-selected hold-out, 'train' the rest."""
    raw = (root / "aivivn-2019" / "train.crash").read_text(encoding="utf-8")
    out = Split(labels={"sentiment": []})
    for key, text, label in _AIVIVN_BLOCK.findall(raw):
        held = _held_out(key, 20)
        if (split == "test") != held:
            continue
        out.texts.append(text.strip())
        out.labels["sentiment"].append("positive" if label == "0" else "negative")
    return out


_ASPECT = re.compile(r"\{([A-Z&]+)#(Positive|Negative|Neutral)\}")


def visfd_polarity(aspects: dict[str, str], n_star: int) -> str:
    """Overall polarity of a ViSFD review read off its labels, used only where we have no
    label of our own: the majority of its positive vs negative aspect labels; a tie is broken
    by stars (4-5 positive, 3 neutral, 1-2 negative); only neutral aspects -> neutral; no
    aspect labels at all -> stars alone."""
    pos = sum(1 for p in aspects.values() if p == "positive")
    neg = sum(1 for p in aspects.values() if p == "negative")
    if pos != neg:
        return "positive" if pos > neg else "negative"
    by_stars = "positive" if n_star >= 4 else "negative" if n_star <= 2 else "neutral"
    if pos:
        return by_stars
    return "neutral" if aspects else by_stars


def visfd_label_files(split: str) -> list[Path]:
    if split == "test":
        return [Path(__file__).resolve().parent / "eval" / "visfd_labels.tsv"]
    return sorted(repo_data_dir().glob("visfd_labels_*.tsv"))


def _visfd_labels(split: str) -> dict[str, str]:
    paths = [p for p in visfd_label_files(split) if p.is_file()]
    return {row[1]: _SHORT[row[2]] for row in label_rows(paths)}


def load_visfd(root: Path, split: str) -> Split:
    """ViSFD reviews with their aspect labels and our overall sentiment (docs/labelling.md:
    its own labels are per aspect, and reading "neutral" off them marks mixed reviews).
    A review also in the test split is left out of train and dev, so it never trains."""
    name = {"train": "Train", "dev": "Dev", "test": "Test"}[split]
    ours = _visfd_labels(split)
    held = set() if split == "test" else set(_visfd_labels("test"))
    out = Split(labels={"sentiment": []})
    with (root / "uit-visfd" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = row["comment"] or ""
            key = text_key(text)
            if key in held:
                continue
            aspects = {
                VISFD_ASPECTS[a]: p.lower()
                for a, p in _ASPECT.findall(row["label"])
                if a in VISFD_ASPECTS
            }
            try:
                stars = int(row["n_star"])
            except ValueError:
                stars = 3
            out.texts.append(text)
            out.aspects.append(aspects)
            out.labels["sentiment"].append(ours.get(key) or visfd_polarity(aspects, stars))
    return out


VSMEC = "uit-vsmec"
"""UIT-VSMEC Facebook comments with sentiment and toxicity labels of ours: every distinct
comment, labelled to written guides (docs/labelling.md), since its own labels are seven emotions
that read poorly as sentiment (43 % of "Other" holds an opinion; half of what a reader calls
neutral carries another emotion). Labels only are committed (nlp/data/vsmec_labels_*.tsv for
its train and dev splits, nlp/eval/vsmec_labels.tsv for test), keyed by text hash."""


def vsmec_label_files(split: str) -> list[Path]:
    if split == "test":
        return [Path(__file__).resolve().parent / "eval" / "vsmec_labels.tsv"]
    return sorted(repo_data_dir().glob("vsmec_labels_*.tsv"))


def load_vsmec(root: Path, split: str) -> Split:
    """The split's VSMEC comments that carry our labels (a text also in the test split is
    labelled only there, so it never reaches training)."""
    labels = _hash_labels(vsmec_label_files(split))
    out = Split(labels={"sentiment": [], "toxic": []})
    seen: set[str] = set()
    with (root / VSMEC / f"{split}.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("sentence") or "").strip()
            key = text_key(text)
            if text and key not in seen and (found := labels.get(key)) is not None:
                seen.add(key)
                out.texts.append(text)
                out.labels["sentiment"].append(found[0])
                out.labels["toxic"].append(found[1])
    return out


SOCIAL = "duluan-social"
"""Our own invented social comments (nlp/data/social_*.tsv): the neutral, public-affairs and
social registers none of the research datasets cover. Committed; no third-party text."""
CHALLENGE = "duluan-challenge"
"""Our own invented evaluation comments (nlp/eval/social_challenge.tsv): never trained on."""
PRODUCTS_CHALLENGE = "duluan-products"
"""Our own invented product-forum comments (nlp/eval/products_challenge.tsv; phones, vehicles,
appliances, shops, services; balanced classes): never trained on."""
CHALLENGE_FILES = {CHALLENGE: "social_challenge.tsv", PRODUCTS_CHALLENGE: "products_challenge.tsv"}
_SHORT = {"pos": "positive", "neu": "neutral", "neg": "negative"}


def repo_data_dir() -> Path:
    return Path(__file__).resolve().parent / "data"


def challenge_file(name: str = CHALLENGE) -> Path:
    return Path(__file__).resolve().parent / "eval" / CHALLENGE_FILES[name]


def read_tsv(path: Path) -> Split:
    """sentiment<TAB>toxic<TAB>topic<TAB>text rows; `#` lines are comments; topic `-` = none,
    sentiment or toxic `-` = not labelled for that task."""
    out = Split(labels={"sentiment": [], "toxic": [], "topic": []})
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        sentiment, toxic, topic, text = line.split("\t", 3)
        out.texts.append(text.strip())
        sentiment = sentiment.strip()
        out.labels["sentiment"].append("-" if sentiment == "-" else _SHORT[sentiment])
        toxic = toxic.strip()
        out.labels["toxic"].append("-" if toxic == "-" else "toxic" if toxic == "1" else "clean")
        out.labels["topic"].append(topic.strip())
    return out


def load_social(root: Path, split: str) -> Split:
    """Every nlp/data/social_*.tsv; 'dev' is a fixed 20% hash hold-out, 'train' the rest
    (`root` is ignored: this data ships with the code)."""
    out = Split(labels={"sentiment": [], "toxic": [], "topic": []})
    for path in sorted(repo_data_dir().glob("social_*.tsv")):
        part = read_tsv(path)
        for i, text in enumerate(part.texts):
            if (split == "dev") != _held_out(text, 20):
                continue
            out.texts.append(text)
            for task, labels in part.labels.items():
                out.labels[task].append(labels[i])
    return out


def load_challenge(name: str, root: Path, split: str) -> Split:
    """One of our invented challenge sets (`root` and `split` are ignored: test only)."""
    return read_tsv(challenge_file(name))


REAL = "real-social"
"""Real comments captured from sources no NLP dataset comes from (../shared/data/sources: voz
stock forum, YouTube, VnExpress), labelled by the team. Only the labels are committed
(nlp/eval/real_labels.tsv, keyed by a hash of the text): the text stays in ../shared."""


def real_labels_file() -> Path:
    return Path(__file__).resolve().parent / "eval" / "real_labels.tsv"


def text_key(text: str) -> str:
    """A stable key for a comment that reveals nothing of it."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


def real_comments(sources: Path, part: str = "test") -> list[tuple[str, str]]:
    """(source, text) of the captured real comments under ../shared/data/sources, deduplicated.
    `test`: a fixed ~20 % hash sample of the voz forum plus the YouTube and VnExpress threads;
    `train`: the rest of the voz forum (both captures), never in `test`."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(source: str, text: object) -> None:
        if isinstance(text, str) and text.strip() and text_key(text) not in seen:
            seen.add(text_key(text))
            out.append((source, text.strip()))

    folder = sources / "voz_stock_comments_ntabyte"
    for name, column in (("comments_c873932.csv", "2"), ("comments_160a9ba.csv", "content")):
        if part == "test" and name != "comments_c873932.csv":
            continue
        if not (folder / name).is_file():
            continue
        with (folder / name).open(encoding="utf-8", errors="replace", newline="") as fh:
            for row in csv.DictReader(fh):
                text = row.get(column) or ""
                if _held_out(text_key(text), 20) == (part == "test"):
                    add("voz", text)
    if part != "test":
        return out
    yt = sources / "youtube_commentthreads_huuarena" / "commentThreads_bk-7487l1OQ.json"
    if yt.is_file():
        for item in json.loads(yt.read_text(encoding="utf-8")).get("items", []):
            add("youtube", item["snippet"]["topLevelComment"]["snippet"].get("textOriginal"))
    vne = sources / "vnexpress_comments_api_khoapham" / "article_4219024_comments.json"
    if vne.is_file():
        data = json.loads(vne.read_text(encoding="utf-8"))
        items = list(data.get("result", {}).get("data", {}).get("data", {}).get("items", []))
        items += data.get("replies", {}).get("data", {}).get("data", {}).get("items", [])
        for item in items:
            add("vnexpress", item.get("content"))
            for reply in (item.get("replys") or {}).get("items", []) or []:
                add("vnexpress", reply.get("content"))
    return out


def real_train_label_files() -> list[Path]:
    return sorted(repo_data_dir().glob("real_train_labels_*.tsv"))


def label_rows(paths: list[Path]) -> list[list[str]]:
    """`source<TAB>key<TAB>label...` lines of our hash-keyed label files (`#` = comment)."""
    return [
        [cell.strip() for cell in line.split("\t")]
        for path in paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def _toxic(flag: str) -> str:
    return "toxic" if flag == "1" else "clean"


def _hash_labels(paths: list[Path]) -> dict[str, tuple[str, str]]:
    return {row[1]: (_SHORT[row[2]], _toxic(row[3])) for row in label_rows(paths)}


def load_real(root: Path, split: str) -> Split:
    """The labelled real comments present under ../shared/data/sources (root's sibling):
    `test` is the evaluation sample, `train` the rest of the forum (never in `test`)."""
    part = "test" if split == "test" else "train"
    labels = _hash_labels([real_labels_file()] if part == "test" else real_train_label_files())
    out = Split(labels={"sentiment": [], "toxic": [], "source": []})
    for source, text in real_comments(root.parent / "sources", part):
        if (found := labels.get(text_key(text))) is not None:
            out.texts.append(text)
            out.labels["sentiment"].append(found[0])
            out.labels["toxic"].append(found[1])
            out.labels["source"].append(source)
    return out


NEWS = "victsd-sentiment"
"""UIT-ViCTSD news comments with sentiment labels of ours (the dataset has none): every distinct
comment of its train and dev splits, and a hash sample of its test split for evaluation. Labels
only are committed (nlp/data/victsd_sentiment_*.tsv, nlp/eval/victsd_sentiment.tsv), keyed by
text hash."""


def news_comment_sample(root: Path, split: str) -> list[str]:
    """The ViCTSD comments we label: all of train and dev, ~40 % of test by a hash of the text.
    A comment in more than one of ViCTSD's splits counts only in the later of test, train, dev."""
    earlier = {"test": (), "train": ("test",), "dev": ("test", "train")}[split]
    seen = {text_key(t) for other in earlier for t in load_victsd(root, other).texts}
    out: list[str] = []
    for text in load_victsd(root, split).texts:
        key = text_key(text)
        if text.strip() and key not in seen and (split != "test" or _held_out("news" + key, 40)):
            seen.add(key)
            out.append(text.strip())
    return out


def news_label_files(split: str) -> list[Path]:
    if split == "test":
        return [Path(__file__).resolve().parent / "eval" / "victsd_sentiment.tsv"]
    return sorted(repo_data_dir().glob("victsd_sentiment_*.tsv"))


def load_news(root: Path, split: str) -> Split:
    labels = _hash_labels([p for p in news_label_files(split) if p.is_file()])
    out = Split(labels={"sentiment": [], "toxic": []})
    for text in news_comment_sample(root, split):
        if (found := labels.get(text_key(text))) is not None:
            out.texts.append(text)
            out.labels["sentiment"].append(found[0])
            out.labels["toxic"].append(found[1])
    return out


CONTENTLESS = "duluan-contentless"
"""Short comments with no topic (invented, ours): train/dev from nlp/data/contentless.txt (25 %
hash hold-out calibrates abstention), test from nlp/eval/contentless.txt (never trained on)."""
ARTICLES = "duluan-articles"
"""Invented news articles (title + lead, ours): 'test' is nlp/eval/news_articles.tsv, never
trained on; 'train' is nlp/data/news_*.tsv, the topic head's article-register examples."""


def _lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def contentless_file(split: str) -> Path:
    base = Path(__file__).resolve().parent
    return base / ("eval" if split == "test" else "data") / "contentless.txt"


def load_contentless(root: Path, split: str) -> Split:
    """Topic label `none` for every row (`root` is ignored: this data ships with the code)."""
    texts = _lines(contentless_file(split))
    if split != "test":
        texts = [t for t in texts if (split == "dev") == _held_out("none" + t, 25)]
    return Split(texts=texts, labels={"topic": ["none"] * len(texts)})


ARTICLES_LONG = "duluan-articles-long"
"""Invented full-length news articles (title + a 150-400 word body, ours): test only,
nlp/eval/news_long.tsv, never trained on; the topic head on article-length text."""


ARTICLES_C = "duluan-articles-c"
"""A third writer's invented articles (title + lead, ours): test only, nlp/eval/news_articles_c.tsv,
never trained on, weighted toward sections the first two sets covered little (domestic politics,
culture and heritage, everyday life, computing)."""


ARTICLES_D = "duluan-articles-d"
"""A fourth writer's invented articles (title + lead, ours): test only, nlp/eval/news_articles_d.tsv,
never trained on: the world section (disasters, elections, diplomacy, conflicts abroad) and
foreign names in other sections' news (sports, business, technology...)."""


ARTICLES_E = "duluan-articles-e"
"""A fifth writer's invented articles (title + lead, ours): test only, nlp/eval/news_articles_e.tsv,
never trained on: fires, floods, crashes, strikes and raids abroad (world) beside the same kinds
of events at home (society, law), the pairs a topic head most easily confuses."""


ARTICLES_F = "duluan-articles-f"
"""A seventh writer's invented articles (title + lead, ours): test only, nlp/eval/news_articles_f.tsv,
never trained on: subjects abroad filed by their section (foreign markets under business, a
space launch under science-tech, a Hollywood star under entertainment) beside world politics."""


ARTICLE_TEST_FILES = {
    ARTICLES: "news_articles.tsv",
    ARTICLES_LONG: "news_long.tsv",
    ARTICLES_C: "news_articles_c.tsv",
    ARTICLES_D: "news_articles_d.tsv",
    ARTICLES_E: "news_articles_e.tsv",
    ARTICLES_F: "news_articles_f.tsv",
}


def _article_files(split: str, name: str = ARTICLES) -> list[Path]:
    """Test: the set's file in nlp/eval. Train: nlp/data/news_*.tsv (title + lead only)."""
    base = Path(__file__).resolve().parent
    if split == "test":
        return [base / "eval" / ARTICLE_TEST_FILES[name]]
    return (
        sorted((base / "data").glob("news_*.tsv")) if (split, name) == ("train", ARTICLES) else []
    )


def load_articles(root: Path, split: str, name: str = ARTICLES) -> Split:
    """texts = title + lead (or body), titles = title alone, topic labels (`root` is
    ignored): our invented articles, 'test' from nlp/eval (never trained on), 'train' from
    nlp/data."""
    out = Split(labels={"topic": []})
    for line in (ln for path in _article_files(split, name) for ln in _lines(path)):
        topic, title, lead = line.split("\t", 2)
        out.texts.append(f"{title}\n{lead}")
        out.titles.append(title)
        out.labels["topic"].append(topic.strip())
    return out


LOADERS: dict[str, Callable[[Path, str], Split]] = {
    "uit-vsfc": load_vsfc,
    "uit-victsd": load_victsd,
    "aivivn-2019": load_aivivn,
    "uit-visfd": load_visfd,
    SOCIAL: load_social,
    **{name: partial(load_challenge, name) for name in CHALLENGE_FILES},
    REAL: load_real,
    NEWS: load_news,
    VSMEC: load_vsmec,
    CONTENTLESS: load_contentless,
    **{name: partial(load_articles, name=name) for name in ARTICLE_TEST_FILES},
}
SENTIMENT_SETS = ("uit-vsfc", "aivivn-2019", "uit-visfd", VSMEC)
"""The research sentiment datasets (../shared/data/nlp)."""
SENTIMENT_DOMAINS: dict[str, tuple[str, ...]] = {
    "students": ("uit-vsfc",),
    "products": ("aivivn-2019", "uit-visfd"),
    "facebook": (VSMEC,),
    "news": (NEWS,),
    "forum": (REAL,),
}
"""Sentiment training sets by the domain they come from: the leave-one-domain-out rotation
(train without a domain, test on its test split) that estimates quality on unseen sources.
Our invented comments (SOCIAL) are in every fold's training."""


LABELLED_FILE = "file:"
"""Prefix of a dataset name that is a user's own labelled sample: `file:PATH`, a
`sentiment<TAB>toxic<TAB>topic<TAB>text` TSV (docs/labelling.md), its only split `test`."""


def has(root: Path, name: str, split: str) -> bool:
    """Whether `name` has `split` here (research sets need ../shared; ours ship with the code)."""
    if name.startswith(LABELLED_FILE):
        return split == "test" and Path(name.removeprefix(LABELLED_FILE)).is_file()
    if name == SOCIAL:
        return split in ("train", "dev") and any(repo_data_dir().glob("social_*.tsv"))
    if name in CHALLENGE_FILES:
        return split == "test" and challenge_file(name).is_file()
    if name == CONTENTLESS:
        return contentless_file(split).is_file()
    if name in ARTICLE_TEST_FILES:
        return any(p.is_file() for p in _article_files(split, name))
    if name == NEWS:
        return (
            split in ("train", "dev", "test")
            and (root / "uit-victsd").is_dir()
            and any(p.is_file() for p in news_label_files(split))
        )
    if name == VSMEC:
        return (root / VSMEC).is_dir() and any(p.is_file() for p in vsmec_label_files(split))
    if name == REAL:
        if not (root.parent / "sources").is_dir():
            return False
        if split == "test":
            return real_labels_file().is_file()
        return split == "train" and bool(real_train_label_files())
    if not (root / name).is_dir():
        return False
    return not (name == "aivivn-2019" and split == "dev")


def available(root: Path) -> list[str]:
    """The research datasets present under `root` (our own sets are named so that no
    folder there matches them)."""
    return [name for name in LOADERS if (root / name).is_dir()]


def load(root: Path, name: str, split: str) -> Split:
    if name.startswith(LABELLED_FILE):
        return read_tsv(Path(name.removeprefix(LABELLED_FILE)))
    return LOADERS[name](root, split)
