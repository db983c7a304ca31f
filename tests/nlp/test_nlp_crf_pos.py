"""Our numpy scoring of underthesea's POS CRF gives underthesea's tags, and keywords use them.

`nlp.crf_pos` sums the model's weights for a whole batch at once instead of writing out 20
feature strings per word for underthesea's featurizer and tagger. Both run here on the same
segmented words: invented comments committed with the project (always), real comments from
../shared (when present), and odd input (case, combining marks, the literal words BOS/EOS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import pytest

from nlp import crf_pos
from nlp.keywords import keywords, noun_phrases
from nlp.normalize import normalize
from nlp.segment import Segmenter

ODD = [
    "ΣΑΣ Ǆ ǅ ½ ² quáaaa 12 1.5 BOS EOS bos eos",
    "a",
    "A B",
    "Hà Nội",
    "GIÁ XĂNG TĂNG MẠNH",
    "tui thi\u0301 ch va\u0309 i la\u0306\u0301 ma\u0300 u",  # decomposed accents survive
    "Thủ tướng Phạm Minh Chính làm việc với Bộ Giáo dục và Đào tạo.",
    "?!",
]


@pytest.fixture(scope="module")
def tagger() -> crf_pos.CRFPosTagger:
    found = crf_pos.load_pos_tagger()
    assert found is not None
    return found


@pytest.fixture(scope="module")
def reference() -> tuple[Any, Any]:
    import underthesea.pipeline.pos_tag as pos_pkg
    from underthesea_core import CRFFeaturizer, CRFTagger

    base = Path(pos_pkg.__file__).parent / "models" / "pos_crf_vlsp2013_20230303"
    featurizer = CRFFeaturizer(
        joblib.load(base / "features.bin"), joblib.load(base / "dictionary.bin")
    )
    model = CRFTagger()
    model.load(str(base / "models.bin"))
    return featurizer, model


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def _words(segmenter: Segmenter, texts: list[str]) -> list[list[str]]:
    return [w for w in segmenter.segment_many([normalize(t).text for t in texts]) if w]


def _theirs(reference: tuple[Any, Any], words: list[str]) -> list[str]:
    featurizer, model = reference
    feats = featurizer.process([[[w] for w in words[: crf_pos.MAX_WORDS]]])[0]
    return [t[2:] for t in model.tag(feats)]


def test_templates_and_features_equal_underthesea(
    segmenter: Segmenter, reference: tuple[Any, Any], committed_texts: list[str]
) -> None:
    featurizer, _ = reference
    for words in _words(segmenter, committed_texts + ODD)[:600]:
        assert crf_pos.reference_features(words) == featurizer.process([[[w] for w in words]])[0]


def test_tags_equal_underthesea_on_invented_text(
    tagger: crf_pos.CRFPosTagger,
    segmenter: Segmenter,
    reference: tuple[Any, Any],
    committed_texts: list[str],
) -> None:
    corpus = _words(segmenter, committed_texts + ODD)
    assert len(corpus) > 1500
    # batches of mixed lengths, one sentence alone, and the empty sentence among them
    ours = tagger.tag_many(corpus[:700]) + tagger.tag_many([*corpus[700:], []])[:-1]
    assert tagger.tag_many([corpus[3]]) == [ours[3]]
    assert tagger.tag_many([[]]) == [[]]
    for words, tags in zip(corpus, ours, strict=True):
        assert tags == _theirs(reference, words), words


def test_long_posts_are_tagged_up_to_the_cap(
    tagger: crf_pos.CRFPosTagger, reference: tuple[Any, Any]
) -> None:
    words = ["Giá", "xăng", "tăng", "mạnh", "ở", "Hà Nội", ",", "người dân", "lo lắng", "."] * 30
    (tags,) = tagger.tag_many([words])
    assert len(tags) == crf_pos.MAX_WORDS
    assert tags == _theirs(reference, words)


def test_the_reader_refuses_other_files(tmp_path: Path) -> None:
    path = tmp_path / "models.bin"
    path.write_bytes(b"not a model at all" * 10)
    with pytest.raises(crf_pos.ModelFormatError):
        crf_pos.CRFPosTagger(path)


def test_noun_phrases_name_things() -> None:
    words = ["Giá", "xăng", "tăng", "ở", "bệnh viện", "Bạch Mai", "ngày", "hôm qua", "haha"]
    tags = ["N", "N", "V", "E", "N", "Np", "N", "N", "N"]
    assert [" ".join(p) for _, p in noun_phrases(words, tags)] == [
        "giá xăng",
        "bệnh viện bạch mai",
    ]
    # a weak noun neither opens nor closes a phrase; a lone noun is no phrase
    assert noun_phrases(["chuyện", "giá", "vàng"], ["N", "N", "N"]) == [(1, ["giá", "vàng"])]
    assert noun_phrases(["ngày", "xăng"], ["N", "N"]) == []
    # unaccented Vietnamese the dictionary does not know is a guess, not a phrase word
    assert noun_phrases(["camera", "chup"], ["N", "N"]) == []
    assert noun_phrases(["gia", "xe"], ["N", "N"], {"xe"}) == []
    assert noun_phrases(["giá", "xe"], ["N", "N"], {"xe"}) == [(0, ["giá", "xe"])]


def test_keywords_use_tags(tagger: crf_pos.CRFPosTagger, segmenter: Segmenter) -> None:
    (words,) = _words(segmenter, ["Giá xăng tăng, mặc dù bệnh viện Bạch Mai đã quá tải."])
    (tags,) = tagger.tag_many([words])
    found = keywords(words, tags=tags)
    assert "giá xăng" in found and "bệnh viện bạch mai" in found
    assert "mặc dù" not in found  # a conjunction by its tag, though no list names it
    assert "mặc dù" in keywords(words)  # (without tags, only the lists decide)


@pytest.mark.shared_data
def test_tags_equal_underthesea_on_real_comments(
    tagger: crf_pos.CRFPosTagger,
    segmenter: Segmenter,
    reference: tuple[Any, Any],
    real_comments: list[str],
) -> None:
    corpus = _words(segmenter, real_comments)
    assert len(corpus) > 1000
    ours = [
        t
        for start in range(0, len(corpus), 256)
        for t in tagger.tag_many(corpus[start : start + 256])
    ]
    mismatched = [w for w, t in zip(corpus, ours, strict=True) if t != _theirs(reference, w)]
    assert not mismatched, mismatched[:3]


def test_analyzer_keywords_carry_noun_phrases_only_with_tags() -> None:
    from nlp.analyzer import Analyzer
    from nlp.keywords import is_keyword

    text = "Giá đất ở bệnh viện Chợ Rẫy tăng, mặc dù lương công nhân không đổi."
    tagged = Analyzer.load()
    assert tagged.pos is not None and tagged.model_versions["keywords"].endswith("+pos")
    (with_tags,) = tagged.analyze([text])
    assert {"giá đất", "lương công nhân"} <= set(with_tags.keywords)
    assert "mặc dù" not in with_tags.keywords
    assert all(is_keyword(k) for k in with_tags.keywords)  # what trends and rankings keep
    tagged.pos = None
    (without,) = tagged.analyze([text])
    assert "giá đất" not in without.keywords and "lương công nhân" not in without.keywords
