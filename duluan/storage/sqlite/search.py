"""SQLiteStore reads of posts: get, count, search pages (cursors, snippets) and iteration."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from duluan.core.highlight import snippet
from duluan.core.models import Post
from duluan.core.query import SearchQuery, positive_terms
from duluan.storage.base import SearchHit, SearchPage
from duluan.storage.sqlite.compile import Plan
from duluan.storage.sqlite.rollup import rollup_filter
from duluan.storage.sqlite.timelines import TimelinesMixin


def _encode_cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


MAX_OFFSET = 10_000  # relevance pages: as deep as Elasticsearch's result window


def _decode_cursor(cursor: str) -> dict[str, Any]:
    """A cursor this store wrote: {"r": rowid} or {"o": offset}, integers in range; anything
    else (hand-made, huge, null, a list, 1e400) is a ValueError, i.e. a 400."""
    try:
        pad = "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(cursor + pad))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ValueError("invalid cursor: use next_cursor from a previous page") from exc
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError("invalid cursor: use next_cursor from a previous page")
    (name, value), limit = next(iter(data.items())), {"r": 2**63 - 1, "o": MAX_OFFSET}
    if (
        name not in limit
        or not isinstance(value, int)
        or isinstance(value, bool)
        or not 0 <= value <= limit[name]
    ):
        raise ValueError("invalid cursor: use next_cursor from a previous page")
    return data


class SearchMixin(TimelinesMixin):
    """Counts reuse the timeline strategies (a count is a one-bucket timeline)."""

    def get(self, post_id: str) -> Post | None:
        row = self._r.execute(
            "SELECT d.doc FROM posts p JOIN post_docs d ON d.rowid = p.rowid WHERE p.id=?",
            (post_id,),
        ).fetchone()
        return Post.from_stored(row[0]) if row else None

    def count(self, query: SearchQuery) -> int:
        rollup = rollup_filter(query)
        if rollup is not None:
            return sum(b.count for b in self._rollup_timeline(rollup, query, "month", None))
        plan = self._plan(query)
        if expr := self._cacheable(plan):
            return self._fts_counts(plan, expr, None, None)[0][1]
        src, params = plan.source_sql()
        return int(self._r.execute(f"SELECT COUNT(*) {src}", params).fetchone()[0])

    # Past this many matches of a text query that also filters on post fields, search totals
    # are a lower bound (`total_exact=False`), as Elasticsearch's track_total_hits does.
    TOTAL_CAP = 10_000

    def _search_total(self, query: SearchQuery, plan: Plan) -> tuple[int, bool]:
        expr = self._cacheable(plan)
        if expr:
            got = self._cached_counts(plan, expr, None, None)
            if got is not None:  # held in memory: the exact total costs nothing
                return got[0][1], True
        if not (plan.fts and plan.filtered):
            return self.count(query), True
        src, params = plan.source_sql()
        n = int(
            self._r.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 {src} LIMIT ?)", [*params, self.TOTAL_CAP + 1]
            ).fetchone()[0]
        )
        if expr and self._postings is not None:
            self._postings.note(expr, n)
        return min(n, self.TOTAL_CAP), n <= self.TOTAL_CAP

    def search(self, query: SearchQuery) -> SearchPage:
        plan = self._plan(query)
        total, exact = self._search_total(query, plan)
        cursor = _decode_cursor(query.cursor) if query.cursor else {}
        terms = positive_terms(query.ast())
        if query.sort == "relevance" and plan.fts:
            offset = int(cursor.get("o", 0))
            src, params = plan.source_sql()
            rows = self._r.execute(
                f"SELECT f.rowid, -f.rank {src} ORDER BY f.rank, f.rowid DESC LIMIT ? OFFSET ?",
                [*params, query.limit + 1, offset],
            ).fetchall()
            more = len(rows) > query.limit
            rows = rows[: query.limit]
            next_cursor = _encode_cursor({"o": offset + len(rows)}) if more else None
            scores = {int(r[0]): float(r[1]) for r in rows}
        else:
            desc = query.sort != "oldest"
            if cursor:
                if "r" not in cursor or not isinstance(cursor["r"], int):
                    raise ValueError("invalid cursor")
                bound = int(cursor["r"])
                if desc:
                    plan = replace(plan, hi=bound if plan.hi is None else min(plan.hi, bound))
                else:
                    plan = replace(
                        plan, lo=bound + 1 if plan.lo is None else max(plan.lo, bound + 1)
                    )
            src, params = plan.source_sql()
            order = "DESC" if desc else "ASC"
            rows = self._r.execute(
                f"SELECT {plan.key}.rowid {src} ORDER BY {plan.key}.rowid {order} LIMIT ?",
                [*params, query.limit + 1],
            ).fetchall()
            more = len(rows) > query.limit
            rows = rows[: query.limit]
            next_cursor = _encode_cursor({"r": int(rows[-1][0])}) if more and rows else None
            scores = {}
        rowids = [int(r[0]) for r in rows]
        docs = self._docs(rowids)
        hits = [self._hit(docs[r], scores.get(r), terms) for r in rowids if r in docs]
        return SearchPage(hits=hits, total=total, next_cursor=next_cursor, total_exact=exact)

    def _docs(self, rowids: list[int]) -> dict[int, str]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        return dict(
            self._r.execute(f"SELECT rowid, doc FROM post_docs WHERE rowid IN ({marks})", rowids)
        )

    def _hit(self, doc: str, score: float | None, terms: list[str]) -> SearchHit:
        post = Post.from_stored(doc)
        return SearchHit(
            post=post, score=score, snippet=snippet(post.text, terms) if terms else None
        )

    def iter_posts(self, query: SearchQuery, batch_size: int = 1000) -> Iterator[Post]:
        q = query.model_copy(update={"limit": min(batch_size, 1000), "cursor": None})
        if q.sort == "relevance":
            q = q.model_copy(update={"sort": "newest"})
        plan = self._plan(q)
        desc = q.sort != "oldest"
        bound: int | None = None
        src_key = plan.key
        while True:
            lo, hi = plan.lo, plan.hi
            if bound is not None:
                if desc:
                    hi = bound if hi is None else min(hi, bound)
                else:
                    lo = bound + 1 if lo is None else max(lo, bound + 1)
            page_plan = replace(plan, lo=lo, hi=hi)
            src, params = page_plan.source_sql()
            rowids = [
                int(r[0])
                for r in self._r.execute(
                    f"SELECT {src_key}.rowid {src} ORDER BY {src_key}.rowid "
                    f"{'DESC' if desc else 'ASC'} LIMIT ?",
                    [*params, q.limit],
                )
            ]
            if not rowids:
                return
            docs = self._docs(rowids)
            for r in rowids:
                if r in docs:
                    yield Post.from_stored(docs[r])
            if len(rowids) < q.limit:
                return
            bound = rowids[-1]
