"""The optional transformers backend, on a tiny random BERT built and saved by the test."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from nlp.backends.transformers import map_labels


def test_label_mapping() -> None:
    assert map_labels({0: "NEG", 1: "NEU", 2: "POS"}) == (
        "sentiment",
        ["negative", "neutral", "positive"],
    )
    assert map_labels({0: "clean", 1: "toxic"})[0] == "toxic"
    assert map_labels({0: "ThoiSu", 1: "TheThao"}) == ("topic", ["society", "sports"])
    with pytest.raises(ValueError):
        map_labels({0: "LABEL_0", 1: "LABEL_1"})


def _require_transformers() -> Any:
    """Skip without torch/transformers, or fail in CI (`make test` installs the extra)."""
    try:
        import torch  # noqa: F401
        import transformers
    except ImportError as exc:
        msg = f"the transformers extra is not installed ({exc}); `make test` installs it"
        if os.environ.get("DULUAN_REQUIRE_SERVICES") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return transformers


def _tiny_checkpoint(path: Path, id2label: dict[int, str], favour: int) -> Path:
    """A 1-layer random BERT whose classifier always prefers class `favour` (so the label
    mapping, not chance, decides what the analyzer reports)."""
    transformers = _require_transformers()
    import torch

    words = ["sản", "phẩm", "tốt", "tệ", "quá", "hàng", "đẹp", "giao", "nhanh", "chán"]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    path.mkdir()
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(path / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    model = transformers.BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[favour] = 8.0
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_tiny_bert_replaces_the_sentiment_head(tmp_path: Path) -> None:
    from duluan.core.settings import Settings
    from nlp import Analyzer

    texts = ["sản phẩm tốt quá", "hàng chán", "", "giao nhanh " * 200, "Sản phẩm tốt 😍"]
    for favour, want in ((0, "negative"), (2, "positive")):
        ckpt = _tiny_checkpoint(tmp_path / f"sent{favour}", {0: "NEG", 1: "NEU", 2: "POS"}, favour)
        analyzer = Analyzer.load(
            Settings(nlp_backend="transformers", nlp_transformers_model=str(ckpt))
        )
        results = analyzer.analyze(texts)
        assert len(results) == len(texts)
        assert results[0].model_versions["backend"] == "transformers"
        for text, r in zip(texts, results, strict=True):
            if text:  # empty text is answered without a model
                assert r.sentiment.label == want, (text, r.sentiment)
                assert r.sentiment.score > 0.99
        assert results[4].topics or results[4].keywords  # other tasks keep the classical heads


def test_tiny_bert_toxicity_checkpoint_maps_to_the_toxic_flag(tmp_path: Path) -> None:
    from duluan.core.settings import Settings
    from nlp import Analyzer

    ckpt = _tiny_checkpoint(tmp_path / "tox", {0: "clean", 1: "toxic"}, 1)
    analyzer = Analyzer.load(Settings(nlp_backend="transformers", nlp_transformers_model=str(ckpt)))
    got = analyzer.analyze(["hàng đẹp giao nhanh", "sản phẩm tốt"])
    assert all(r.toxic.label and r.toxic.score > 0.99 for r in got)
    assert {r.sentiment.label for r in got} == {"positive"}  # sentiment stays classical


def test_the_classical_path_never_imports_torch() -> None:
    """underthesea imports its translate pipeline (transformers + torch, ≈700 MB) when it can."""
    _require_transformers()
    import subprocess
    import sys

    code = (
        "import sys; from nlp import Analyzer; Analyzer.load().analyze(['Hàng tốt']); "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
