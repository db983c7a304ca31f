"""SQLiteStore top-N: most frequent topics, keywords, entities, sources, authors, languages;
per-term keyword counts for the distinctive-keyword ranking (duluan.storage.keywords)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from duluan.core.query import SearchQuery, Split
from duluan.storage.base import entity_type
from duluan.storage.keywords import is_everything
from duluan.storage.sqlite.facets import KIND_OF
from duluan.storage.sqlite.rollup import rollup_filter
from duluan.storage.sqlite.timelines import TimelinesMixin


class TopNMixin(TimelinesMixin):
    """Breakdowns from the rollup or facet intersections when they can answer, SQL otherwise."""

    def _matching(self, query: SearchQuery) -> tuple[str, list[Any], str]:
        """A subquery of matching rowids, for aggregations that join other tables."""
        plan = self._plan(query)
        src, params = plan.source_sql()
        return f"SELECT {plan.key}.rowid {src}", params, plan.key

    def top_topics(self, query: SearchQuery, limit: int = 10) -> list[tuple[str, int]]:
        rollup = rollup_filter(query)
        if rollup is not None and rollup.topic is None and not query.topics:
            buckets = self._rollup_timeline(rollup, query, "month", "topic")
            totals: dict[str, int] = {}
            for bk in buckets:
                for k, v in bk.split.items():
                    totals[k] = totals.get(k, 0) + v
            return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        got = self._facet_split(self._plan(query), "topic", None, totals=False)
        if got is not None:
            counts = [(v, n) for (_, v), n in got[0].items()]
            return sorted(counts, key=lambda kv: (-kv[1], kv[0]))[:limit]
        sub, params, _ = self._matching(query)
        sql = (
            f"SELECT t.topic, COUNT(*) AS n FROM post_topics t WHERE t.post IN ({sub})"
            " GROUP BY t.topic ORDER BY n DESC, t.topic LIMIT ?"
        )
        return [(r[0], int(r[1])) for r in self._r.execute(sql, [*params, limit])]

    def top_keywords(self, query: SearchQuery, limit: int = 20) -> list[tuple[str, int]]:
        sub, params, _ = self._matching(query)
        sql = (
            f"SELECT k.keyword, COUNT(*) AS n FROM post_keywords k WHERE k.post IN ({sub})"
            " GROUP BY k.keyword ORDER BY n DESC, k.keyword LIMIT ?"
        )
        return [(r[0], int(r[1])) for r in self._r.execute(sql, [*params, limit])]

    def keyword_counts(self, query: SearchQuery, terms: Sequence[str]) -> dict[str, int]:
        """Posts per term among matches; the (keyword, post) index answers the whole store."""
        out: dict[str, int] = {}
        wanted = list(dict.fromkeys(terms))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            if is_everything(query):
                sql = (
                    f"SELECT keyword, COUNT(*) FROM post_keywords WHERE keyword IN ({marks})"
                    " GROUP BY keyword"
                )
                params: list[Any] = list(chunk)
            else:
                sub, sub_params, _ = self._matching(query)
                # `+keyword`: walk the matching posts' rows, not every post of each term
                sql = (
                    f"SELECT keyword, COUNT(*) FROM post_keywords WHERE +keyword IN ({marks})"
                    f" AND post IN ({sub}) GROUP BY keyword"
                )
                params = [*chunk, *sub_params]
            out.update((str(r[0]), int(r[1])) for r in self._r.execute(sql, params))
        return out

    def top_entities(
        self, query: SearchQuery, limit: int = 10, sample: int = 5000
    ) -> list[tuple[str, str, int]]:
        """Entities of the newest `sample` matches, counted in SQL over the stored JSON: posts
        per name, with the type most of them gave it (as `Store.top_entities`)."""
        sub, params, key = self._matching(query)
        sql = (
            "WITH m AS (SELECT DISTINCT d.rowid AS r, json_extract(e.value, '$.text') AS t,"
            " json_extract(e.value, '$.type') AS k FROM post_docs d,"
            " json_each(d.doc, '$.analysis.entities') e"
            f" WHERE d.rowid IN ({sub} ORDER BY {key}.rowid DESC LIMIT ?)),"
            " named AS (SELECT t, COUNT(DISTINCT r) AS n FROM m WHERE t IS NOT NULL"
            " GROUP BY t ORDER BY n DESC, t LIMIT ?)"
            " SELECT named.t, m.k, named.n, COUNT(*) AS c FROM named JOIN m ON m.t = named.t"
            " GROUP BY named.t, m.k"
        )
        kinds: dict[tuple[str, str], int] = {}
        totals: dict[str, int] = {}
        for t, k, n, c in self._r.execute(sql, [*params, sample, limit]):
            kinds[(str(t), str(k))] = int(c)
            totals[str(t)] = int(n)
        return [
            (t, entity_type(t, kinds), n)
            for t, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
        ]

    def top_values(self, field: str, query: SearchQuery, limit: int = 10) -> list[tuple[str, int]]:
        """Most frequent sources, authors, sentiments or languages among matches."""
        column = {
            "source": "source",
            "author": "author",
            "sentiment": "sentiment",
            "language": "language",
        }[field]
        rollup = rollup_filter(query)
        if rollup is not None and column != "author":
            clauses, params = rollup.value_clauses()
            clauses.append("topic = ?")
            params.append(rollup.topic or "")
            if query.since or query.until:
                if column == "language":
                    return self._scan_top(column, query, limit)
                split: Split = "sentiment" if column == "sentiment" else "source"
                counts: dict[str, int] = {}
                for bk in self._rollup_timeline(rollup, query, "month", split):
                    for k, v in bk.split.items():
                        if k != "unknown":
                            counts[k] = counts.get(k, 0) + v
                return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
            if self._hourly is not None:
                table = self._hourly.table(self._r, " AND ".join(clauses), params, column)
                sums = np.bincount(table.codes, weights=table.counts, minlength=len(table.values))
                found = [
                    (v, int(n))
                    for v, n in zip(table.values, sums.tolist(), strict=True)
                    if n > 0 and v != "unknown"
                ]
                return sorted(found, key=lambda kv: (-kv[1], kv[0]))[:limit]
            sql = (
                f"SELECT {column} AS v, SUM(n) AS c FROM post_counts WHERE {' AND '.join(clauses)}"
                " AND v != 'unknown' GROUP BY v HAVING c > 0 ORDER BY c DESC, v LIMIT ?"
            )
            return [(r[0], int(r[1])) for r in self._r.execute(sql, [*params, limit])]
        return self._scan_top(column, query, limit)

    def _scan_top(self, column: str, query: SearchQuery, limit: int) -> list[tuple[str, int]]:
        plan = self._plan(query)
        got = (
            self._facet_split(plan, KIND_OF[column], None, totals=False)
            if column in KIND_OF
            else None
        )
        if got is not None:
            counts = [(v, n) for (_, v), n in got[0].items()]
            return sorted(counts, key=lambda kv: (-kv[1], kv[0]))[:limit]
        src, params = plan.source_sql(with_posts=True)
        sql = (
            f"SELECT p.{column} AS v, COUNT(*) AS n {src} AND p.{column} IS NOT NULL"
            " GROUP BY v ORDER BY n DESC, v LIMIT ?"
        )
        return [(r[0], int(r[1])) for r in self._r.execute(sql, [*params, limit])]
