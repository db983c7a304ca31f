"""User-defined topics from YAML: keywords and boolean queries, diacritic-insensitive."""

from __future__ import annotations

from pathlib import Path

from duluan.core.settings import Settings
from nlp import Analyzer
from nlp.rules import RuleSet

RULES = """
topics:
  - name: gia-xang
    query: 'xăng AND (giá OR "tăng giá") NOT "thế giới"'
  - name: ket-xe
    keywords: [kẹt xe, "tắc đường"]
  - name: tieu-cuc
    query: 'sentiment:negative'
  - name: broken
    query: '(unbalanced'
  - {name: no-rule}
"""


def _rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path


def test_rules_match_keywords_and_queries(tmp_path: Path) -> None:
    rules = RuleSet.from_yaml(_rules(tmp_path))
    assert [r.name for r in rules.rules] == ["gia-xang", "ket-xe", "tieu-cuc"]
    assert rules.match("Giá xăng lại tăng rồi") == ["gia-xang"]
    assert rules.match("gia xang lai tang roi") == ["gia-xang"]
    assert rules.match("Giá xăng thế giới giảm") == []
    assert rules.match("Sáng nay kẹt xe kinh khủng") == ["ket-xe"]
    assert rules.match("Tắc đường quá") == ["ket-xe"]
    assert rules.match("kẹt xếp hàng") == []  # word boundaries: "xe" is not "xếp"
    assert "tieu-cuc" in rules.match("tệ", {"sentiment": {"negative"}})


def test_missing_rules_file_gives_no_rules(tmp_path: Path) -> None:
    assert RuleSet.from_yaml(tmp_path / "nope.yaml").rules == []


def test_analyzer_applies_rules(tmp_path: Path) -> None:
    analyzer = Analyzer.load(Settings(nlp_topic_rules=_rules(tmp_path)))
    a = analyzer.analyze(["Giá xăng tăng mạnh, kẹt xe khắp nơi"])[0]
    assert "gia-xang" in a.rule_topics
    assert "ket-xe" in a.rule_topics
