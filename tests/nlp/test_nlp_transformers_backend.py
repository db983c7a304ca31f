"""The optional transformers backend, on a tiny random BERT built and saved by the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.backends.transformers import map_labels


def test_label_mapping() -> None:
    assert map_labels({0: "NEG", 1: "NEU", 2: "POS"}) == (
        "sentiment", ["negative", "neutral", "positive"])
    assert map_labels({0: "clean", 1: "toxic"})[0] == "toxic"
    assert map_labels({0: "ThoiSu", 1: "TheThao"}) == ("topic", ["society", "sports"])
    with pytest.raises(ValueError):
        map_labels({0: "LABEL_0", 1: "LABEL_1"})


def test_tiny_bert_through_the_analyzer(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from core.settings import Settings
    from nlp import Analyzer

    words = ["sản", "phẩm", "tốt", "tệ", "quá", "hàng", "đẹp", "giao", "nhanh", "chán"]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, num_labels=3,
        id2label={0: "NEG", 1: "NEU", 2: "POS"}, label2id={"NEG": 0, "NEU": 1, "POS": 2},
    )
    model = transformers.BertForSequenceClassification(config)
    out = tmp_path / "ckpt"
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)

    analyzer = Analyzer.load(Settings(nlp_backend="transformers",
                                      nlp_transformers_model=str(out)))
    texts = ["sản phẩm tốt quá", "hàng chán", "", "giao nhanh " * 200]
    results = analyzer.analyze(texts)
    assert len(results) == len(texts)
    assert results[0].model_versions["backend"] == "transformers"
    assert "transformers" in results[0].model_versions
    for r in results[:2]:
        assert r.sentiment.label in ("negative", "neutral", "positive")
        assert 0.0 <= r.sentiment.score <= 1.0
