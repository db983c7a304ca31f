"""Our Python scoring of underthesea's word-segmentation CRF gives underthesea's answers.

`nlp.crf_words` sums the model's weights itself instead of writing out 43 feature strings per
syllable for underthesea's featurizer and tagger. Both are run here on the same syllables:
invented comments committed with the project (always) and real comments from ../shared (when
present), plus odd input (case, digits, scripts, the literal words BOS/EOS).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import crf_words
from nlp.normalize import normalize
from nlp.segment import Segmenter, syllables

ODD = [
    "ΣΑΣ Ǆ ǅ ½ ² ١٢ Ⅻ quáaaa 12 1.5 BOS EOS bos eos",
    "a",
    "A B",
    "Hà Nội",
    "GIÁ XĂNG TĂNG MẠNH",
    "ß İ x 3 con mèo",
    "Thủ tướng Phạm Minh Chính làm việc với Bộ Giáo dục và Đào tạo.",
    "?!",
    "chủ tịch nước, thủ tướng chính phủ , quốc hội",
]


@pytest.fixture(scope="module")
def engines() -> tuple[Segmenter, Segmenter]:
    fast, slow = Segmenter(fast=True), Segmenter(fast=False)
    assert fast.engine == "python" and slow.engine == "underthesea"
    return fast, slow


def _sylls(texts: list[str]) -> list[list[str]]:
    return [s for s in (syllables(normalize(t).text) for t in texts) if s]


def _tags(segmenter: Segmenter, sylls: list[str]) -> list[bool]:
    if segmenter._fast is not None:
        return segmenter._fast.tag(sylls)
    feats = segmenter._featurizer.process([[[s] for s in sylls]])[0]
    return [t == "I-W" for t in segmenter._tagger.tag(feats)]


def test_model_file_reads_as_expected(engines: tuple[Segmenter, Segmenter]) -> None:
    fast, _ = engines
    assert fast._fast is not None
    path = Path(crf_words.__file__)  # the reader refuses what is not a CRFsuite model
    with pytest.raises(crf_words.ModelFormatError):
        crf_words.read_crfsuite(path)


def test_feature_strings_equal_underthesea(
    engines: tuple[Segmenter, Segmenter], committed_texts: list[str]
) -> None:
    fast, slow = engines
    for sylls in _sylls(committed_texts + ODD)[:600]:
        ours = crf_words.reference_features(sylls, fast.dictionary)
        theirs = slow._featurizer.process([[[s] for s in sylls]])[0]
        assert ours == theirs, sylls


def test_tags_equal_underthesea_on_invented_text(
    engines: tuple[Segmenter, Segmenter], committed_texts: list[str]
) -> None:
    fast, slow = engines
    corpus = _sylls(committed_texts + ODD)
    assert len(corpus) > 1500
    for sylls in corpus:
        assert _tags(fast, sylls) == _tags(slow, sylls), sylls
    texts = [" ".join(s) for s in corpus[:300]]
    assert fast.segment_many(texts) == slow.segment_many(texts)


def test_answers_survive_the_caches_being_emptied(
    engines: tuple[Segmenter, Segmenter],
    monkeypatch: pytest.MonkeyPatch,
    committed_texts: list[str],
) -> None:
    fast, slow = engines
    assert fast._fast is not None
    fast._fast._uni.clear()
    fast._fast._bi.clear()
    monkeypatch.setattr(crf_words, "UNI_CACHE_LIMIT", 7)
    monkeypatch.setattr(crf_words, "BI_CACHE_LIMIT", 5)
    for sylls in _sylls(committed_texts + ODD)[:200]:
        assert _tags(fast, sylls) == _tags(slow, sylls), sylls
    assert len(fast._fast._uni) <= 7 and len(fast._fast._bi) <= 5


@pytest.mark.shared_data
def test_tags_equal_underthesea_on_real_comments(
    engines: tuple[Segmenter, Segmenter], real_comments: list[str]
) -> None:
    fast, slow = engines
    corpus = _sylls(real_comments)
    assert len(corpus) > 1000
    mismatched = [s for s in corpus if _tags(fast, s) != _tags(slow, s)]
    assert not mismatched, mismatched[:3]
