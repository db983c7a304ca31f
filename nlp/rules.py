"""User-defined topics: keyword lists or boolean queries in a YAML file, matched per post.

    topics:
      - name: gia-xang
        query: 'xăng AND (giá OR "tăng giá") NOT "xăng dầu thế giới"'
      - name: covid
        keywords: [covid, ncov, "virus corona"]

Matching ignores case and diacritics and respects word boundaries, like the stores' search;
queries use the project's query language (core.query), and `sentiment:`, `topic:`, `lang:`
field filters test this post's own analysis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from duluan.core.logging import get_logger
from duluan.core.query import And, FieldMatch, MatchAll, Node, Not, Or, Phrase, Term, parse_query
from duluan.core.text import fold

log = get_logger(__name__)
_WORDS = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class RuleTopic:
    name: str
    query: Node


@dataclass
class RuleContext:
    """What a rule can look at: the folded text as space-joined words, plus analysis fields."""

    folded: str
    fields: dict[str, set[str]]


def _phrase_key(text: str) -> str:
    return " " + " ".join(_WORDS.findall(fold(text))) + " "


def _matches(node: Node, ctx: RuleContext) -> bool:
    if isinstance(node, MatchAll):
        return True
    if isinstance(node, Term | Phrase):
        key = _phrase_key(node.text.rstrip("*"))
        if key.strip() == "":
            return False
        if isinstance(node, Term) and node.text.endswith("*"):
            return (" " + key.strip()) in ctx.folded
        return key in ctx.folded
    if isinstance(node, FieldMatch):
        return fold(node.value) in {fold(v) for v in ctx.fields.get(node.name, set())}
    if isinstance(node, And):
        return all(_matches(p, ctx) for p in node.parts)
    if isinstance(node, Or):
        return any(_matches(p, ctx) for p in node.parts)
    if isinstance(node, Not):
        return not _matches(node.part, ctx)
    return False


def _rule_from(item: Any) -> RuleTopic | None:
    if not isinstance(item, dict) or not item.get("name"):
        return None
    name = str(item["name"])
    if item.get("query"):
        return RuleTopic(name, parse_query(str(item["query"])))
    kws = item.get("keywords") or []
    if isinstance(kws, str):
        kws = [kws]
    parts: tuple[Node, ...] = tuple(Phrase(str(k)) for k in kws if str(k).strip())
    if not parts:
        return None
    return RuleTopic(name, Or(parts) if len(parts) > 1 else parts[0])


class RuleSet:
    """A list of named rules; `match` returns the names of the rules a post satisfies."""

    def __init__(self, rules: list[RuleTopic] | None = None) -> None:
        self.rules = rules or []

    @classmethod
    def from_yaml(cls, path: Path) -> RuleSet:
        """Load rules; a bad rule is logged and skipped, a missing file gives an empty set."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            log.warning("rules.unreadable", path=str(path), error=str(exc))
            return cls()
        items = data.get("topics", []) if isinstance(data, dict) else data
        rules: list[RuleTopic] = []
        for item in items or []:
            try:
                rule = _rule_from(item)
            except ValueError as exc:
                log.warning("rules.bad_rule", rule=str(item)[:200], error=str(exc))
                continue
            if rule is not None:
                rules.append(rule)
        return cls(rules)

    def match(self, text: str, fields: dict[str, set[str]] | None = None) -> list[str]:
        if not self.rules:
            return []
        ctx = RuleContext(_phrase_key(text), fields or {})
        return [r.name for r in self.rules if _matches(r.query, ctx)]
