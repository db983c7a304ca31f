"""The Analyzer: normalize, segment and run every head over a batch of posts, never raising.

Load once (`Analyzer.load`), call `analyze(texts)` many times; it is what the NLP worker,
the CLI and library users call.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils import murmurhash3_32

from duluan.core.logging import get_logger
from duluan.core.models import (
    SENTIMENT_LABELS,
    Analysis,
    AspectSentiment,
    Scored,
    Sentiment,
    SentimentLabel,
    Toxicity,
)
from nlp.adaptation import AdaptationSet, load_adaptation
from nlp.artifacts import default_model_dir
from nlp.backends.base import Backend
from nlp.backends.classical import ClassicalBackend
from nlp.crf_pos import load_pos_tagger
from nlp.entities import entities, split_lines
from nlp.features import N_FEATURES
from nlp.keywords import KEYWORDS_VERSION, default_dictionary, keywords
from nlp.langid import detect
from nlp.lexicon import ASPECT_IDS, TOPIC_IDS
from nlp.preprocess import Prepared, prepare
from nlp.rules import RuleSet
from nlp.segment import Segmenter

if TYPE_CHECKING:
    from duluan.core.settings import Settings

log = get_logger(__name__)

BATCH = 256
MODEL_LANGS = frozenset({"vi", "unknown", "empty"})
"""Languages the Vietnamese heads are run on (unknown: short or mixed text, often Vietnamese)."""
LANGID_VERSION = "vi-rules-3"
_NEUTRAL_LOW = Sentiment(label="neutral", score=0.34)


def _underthesea_version() -> str:
    try:
        return version("underthesea")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


class Analyzer:
    """Holds the loaded models; `analyze` is safe to call from one thread at a time."""

    def __init__(
        self,
        classical: ClassicalBackend,
        backend: Backend | None = None,
        rules: RuleSet | None = None,
        segmenter: Segmenter | None = None,
        pos_tags: bool = True,
        adaptation: AdaptationSet | None = None,
    ) -> None:
        """`pos_tags`: tag words with underthesea's POS model for keyword noun phrases;
        `adaptation`: sentiment offsets for this deployment's sources (`duluan adapt`)."""
        self.classical = classical
        self.backend = backend
        self.adaptation = adaptation
        self.rules = rules or RuleSet()
        self.segmenter = segmenter or Segmenter()
        self.pos = load_pos_tagger() if pos_tags else None
        meta = classical.model.meta
        thresholds = meta.get("thresholds", {})
        self.toxic_threshold = float(thresholds.get("toxic", 0.5))
        self.topic_threshold = float(thresholds.get("topic", 0.3))
        self.topic_top = float(thresholds.get("topic_top", 0.12))
        self.topic_top_long = float(thresholds.get("topic_top_long", self.topic_top))
        self.topic_long = int(thresholds.get("topic_long_syllables", 10**9))
        self.aspect_threshold = float(thresholds.get("aspect", 0.6))
        self.product_threshold = float(thresholds.get("product", 0.5))
        idf = classical.model.featurizer.idf
        self._idf = idf if idf is not None else np.zeros(N_FEATURES, dtype=np.float32)
        self._idf_fallback = float(self._idf.max()) * 0.9 if self._idf.size else 1.0
        self._weights: dict[str, float] = {}
        self._dictionary = self.segmenter.dictionary or default_dictionary()
        self.model_versions = {
            "backend": backend.name if backend else "classical",
            "segmenter": f"underthesea-{_underthesea_version()}",
            "langid": LANGID_VERSION,
            "keywords": KEYWORDS_VERSION + ("+pos" if self.pos is not None else ""),
            **classical.versions(),
            **(backend.versions() if backend else {}),
        }

    @classmethod
    def load(cls, settings: Settings | None = None) -> Analyzer:
        """Load models named by settings (defaults: classical models shipped in nlp/models)."""
        t0 = time.perf_counter()
        model_dir: Path = default_model_dir()
        rules = RuleSet()
        backend: Backend | None = None
        if settings is not None:
            model_dir = settings.nlp_model_dir or model_dir
            if settings.nlp_topic_rules is not None:
                rules = RuleSet.from_yaml(settings.nlp_topic_rules)
        classical = ClassicalBackend.load(model_dir)
        if settings is not None and settings.nlp_backend == "transformers":
            from nlp.backends.transformers import TransformersBackend

            if not settings.nlp_transformers_model:
                raise ValueError("nlp_backend=transformers needs nlp_transformers_model")
            backend = TransformersBackend.load(settings.nlp_transformers_model)
        adaptation = None
        if settings is not None and settings.nlp_sentiment_adaptation is not None:
            adaptation = load_adaptation(
                settings.nlp_sentiment_adaptation,
                classical.versions().get("classical", ""),
                backend.name if backend else None,
            )
        analyzer = cls(
            classical,
            backend,
            rules,
            pos_tags=settings.nlp_pos_tags if settings else True,
            adaptation=adaptation,
        )
        log.info(
            "nlp.loaded",
            seconds=round(time.perf_counter() - t0, 3),
            versions=analyzer.model_versions,
            rules=len(rules.rules),
        )
        return analyzer

    def _weight(self, word: str) -> float:
        v = self._weights.get(word)
        if v is None:
            h = murmurhash3_32(("w" + word).encode("utf-8"), seed=0)
            v = float(self._idf[abs(int(h)) % N_FEATURES])
            v = v if v > 0 else self._idf_fallback
            if len(self._weights) < 200_000:  # words repeat; a flood of new ones stops the cache
                self._weights[word] = v
        return v

    def analyze(
        self, texts: Sequence[str], sources: Sequence[str | None] | None = None
    ) -> list[Analysis]:
        """One Analysis per input text, in order; odd input gets a neutral, low-confidence one.
        `sources` (one per text) pick each post's sentiment offsets (`duluan adapt --source`)."""
        out: list[Analysis] = []
        items = list(texts)
        origins: list[str | None] = list(sources) if sources is not None else [None] * len(items)
        if len(origins) != len(items):
            raise ValueError(f"{len(items)} texts but {len(origins)} sources")
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            chunk_sources = origins[start : start + BATCH]
            try:
                out.extend(self._analyze_batch(chunk, chunk_sources))
            except Exception as exc:  # one bad post must not sink the batch: retry one by one
                log.warning("nlp.batch_failed", error=repr(exc)[:300], size=len(chunk))
                for text, source in zip(chunk, chunk_sources, strict=True):
                    try:
                        out.extend(self._analyze_batch([text], [source]))
                    except Exception as exc1:
                        log.warning("nlp.post_failed", error=repr(exc1)[:300])
                        out.append(
                            Analysis(
                                language="unknown",
                                sentiment=_NEUTRAL_LOW,
                                model_versions=dict(self.model_versions),
                            )
                        )
        return out

    def _analyze_batch(self, texts: list[str], sources: list[str | None]) -> list[Analysis]:
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        prepared = prepare(texts, self.segmenter)
        tags = self.pos.tag_many([p.words for p in prepared]) if self.pos else [None] * len(texts)
        langs = [detect(p.normalized.plain) for p in prepared]
        run = [
            i
            for i, (p, (lang, _)) in enumerate(zip(prepared, langs, strict=True))
            if lang in MODEL_LANGS and (p.normalized.has_letters or p.normalized.features)
        ]
        probs = self._predict(
            [texts[i] for i in run], [prepared[i] for i in run], [sources[i] for i in run]
        )
        row = {i: r for r, i in enumerate(run)}
        results: list[Analysis] = []
        for i, p in enumerate(prepared):
            lang, lang_score = langs[i]
            r = row.get(i)
            analysis = self._assemble(p, lang, lang_score, probs, r, tags[i])
            tag = self.adaptation.tag(sources[i]) if self.adaptation is not None else None
            if tag is not None and r is not None:
                analysis.model_versions["sentiment_adaptation"] = tag
            results.append(analysis)
        return results

    def _predict(
        self, texts: list[str], prepared: list[Prepared], sources: list[str | None]
    ) -> dict[str, np.ndarray]:
        if not prepared:
            return {}
        probs = self.classical.predict(texts, prepared)
        if self.backend is not None:
            probs.update(self.backend.predict(texts, prepared))
        if self.adaptation is not None and "sentiment" in probs:
            probs["sentiment"] = self.adaptation.apply(probs["sentiment"], sources)
        return probs

    def _assemble(
        self,
        p: Prepared,
        lang: str,
        lang_score: float,
        probs: dict[str, np.ndarray],
        r: int | None,
        tags: list[str] | None = None,
    ) -> Analysis:
        sentiment = _NEUTRAL_LOW
        topics: list[Scored] = []
        toxic = Toxicity()
        aspects: list[AspectSentiment] = []
        if r is not None:
            if "sentiment" in probs:
                sp = probs["sentiment"][r]
                k = int(np.argmax(sp))
                sentiment = Sentiment(label=SENTIMENT_LABELS[k], score=round(float(sp[k]), 4))
            if "topic" in probs and p.normalized.has_letters:
                long = p.syllables > self.topic_long
                topics = self._topics(probs["topic"][r], long)
            if "toxic" in probs:
                t = float(probs["toxic"][r])
                toxic = Toxicity(label=t >= self.toxic_threshold, score=round(t, 4))
            product = float(probs["domain"][r]) if "domain" in probs else 1.0
            if (
                "aspects" in probs
                and p.normalized.has_letters
                and product >= self.product_threshold
            ):
                aspects = self._aspects(probs["aspects"][r])
        analysis = Analysis(
            language=lang,
            language_score=lang_score,
            normalized_text=p.normalized.text,
            tokens=p.words,
            sentiment=sentiment,
            topics=topics,
            topic_source="text" if topics else None,
            toxic=toxic,
            keywords=keywords(p.words, self._weight, dictionary=self._dictionary, tags=tags),
            entities=entities(*split_lines(p.words, p.normalized.text, p.normalized.line_offsets)),
            aspects=aspects,
            model_versions=dict(self.model_versions),
        )
        if self.rules.rules:
            fields: dict[str, set[str]] = {
                "sentiment": {sentiment.label},
                "lang": {lang},
                "topic": {t.label for t in topics},
            }
            analysis.rule_topics = self.rules.match(p.normalized.text, fields)
        return analysis

    def _topics(self, scores: np.ndarray, long: bool = False) -> list[Scored]:
        """No topic when the best is below the calibrated abstention threshold (`topic_top`,
        lower for long posts); else the best and any other at `topic_threshold` or more."""
        order = np.argsort(-scores)
        floor = self.topic_top_long if long else self.topic_top
        if not len(order) or float(scores[order[0]]) < floor:
            return []
        return [
            Scored(label=TOPIC_IDS[j], score=round(float(scores[j]), 4))
            for rank, j in enumerate(order)
            if rank == 0 or float(scores[j]) >= self.topic_threshold
        ]

    def _aspects(self, scores: np.ndarray) -> list[AspectSentiment]:
        out: list[AspectSentiment] = []
        polarities: tuple[SentimentLabel, ...] = ("positive", "negative", "neutral")
        for j, aspect in enumerate(ASPECT_IDS):
            none, *pol = (float(v) for v in scores[j])
            if 1.0 - none < self.aspect_threshold:
                continue
            k = int(np.argmax(pol))
            out.append(
                AspectSentiment(aspect=aspect, polarity=polarities[k], score=round(pol[k], 4))
            )
        out.sort(key=lambda a: -a.score)
        return out
