"""The faster forms of per-post NLP steps give the same answers as their plain definitions."""

from __future__ import annotations

import random

from nlp import opinion
from nlp.features import doc_tokens, doc_tokens_counted, syllables

_ASK = frozenset(tuple(p.split()) for p in opinion._ASK_PHRASES)


def _asks_reference(folded: list[str]) -> list[str]:
    hits = sum(
        1 for i in range(len(folded)) if any(tuple(folded[i : i + n]) in _ASK for n in (3, 2, 1))
    )
    out = ["<ask>", "<ask2>"][: min(hits, 2)]
    if "?" in folded[-2:]:
        out.append("<ask_end>")
    return out


def test_ask_phrases_match_the_token_definition() -> None:
    vocab = sorted({w for p in opinion._ASK_PHRASES for w in p.split()})
    vocab += ["xang", "?", ".", "a", "minhh", "hoii", "cho_minh"]
    rng = random.Random(7)
    for _ in range(20_000):
        tokens = [rng.choice(vocab) for _ in range(rng.randint(1, 9))]
        assert opinion._asks(tokens) == _asks_reference(tokens), tokens


def test_syllable_count_is_what_syllables_counts() -> None:
    words = ["Giá xăng", "tăng", "mạnh", "!", "Người dân", "lo lắng", "?"]
    text = "Giá xăng tăng mạnh! Người dân lo lắng?"
    feats, count = doc_tokens_counted(words, ["<url>"], text)
    assert feats == doc_tokens(words, ["<url>"], text)
    assert count == syllables(feats) == 8
    # a negated word adds an "f~" mark, which is not a syllable
    feats, count = doc_tokens_counted(["Không", "đi", "học"], [], "Không đi học")
    assert "f~di" in feats
    assert count == syllables(feats) == 3
