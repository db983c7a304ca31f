"""SQLiteStore writes: upserts (with their FTS5, facet and rollup rows), deletions, audit, runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from duluan.core.ids import content_hash
from duluan.core.models import Post
from duluan.core.text import clean_control, fold
from duluan.storage.base import StoreError
from duluan.storage.sqlite.compile import US, time_rowid
from duluan.storage.sqlite.connection import SQLiteBase, dt, ts
from duluan.storage.sqlite.facets import facets_of
from duluan.storage.sqlite.postings import log_changes
from duluan.storage.sqlite.rollup import floor_hour


def _rollup_keys_of(post: Post, created: float) -> list[tuple[int, str, str, str, str]]:
    """The post_counts rows a post being written contributes to (one per topic, plus '')."""
    a = post.analysis
    base = (
        floor_hour(created),
        post.source,
        (a.sentiment.label if a else None) or "unknown",
        (a.language if a else None) or "unknown",
    )
    topics = list(dict.fromkeys(a.topic_labels())) if a else []
    return [(*base, t) for t in ["", *topics]]


class WritesMixin(SQLiteBase):
    """Every write goes through the one write connection under the write lock."""

    def upsert(self, posts: Sequence[Post]) -> int:
        if not posts:
            return 0
        latest: dict[str, Post] = {p.id: p for p in posts}
        now = datetime.now(UTC).timestamp()
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                touched = [self._upsert_one(post, now) for post in latest.values()]
                log_changes(self._conn, touched)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"sqlite upsert failed: {exc}") from exc
        return len(latest)

    def _rollup_keys(self, rowid: int) -> list[tuple[int, str, str, str, str]]:
        """The post_counts rows a stored post contributes to, read back (to take them away)."""
        row = self._conn.execute(
            "SELECT created_at, source, sentiment, language FROM posts WHERE rowid=?", (rowid,)
        ).fetchone()
        if row is None:
            return []
        base = (floor_hour(row[0]), row[1], row[2] or "unknown", row[3] or "unknown")
        topics = [
            r[0] for r in self._conn.execute("SELECT topic FROM post_topics WHERE post=?", (rowid,))
        ]
        return [(*base, t) for t in ["", *topics]]

    def _bump(self, keys: list[tuple[int, str, str, str, str]], delta: int) -> None:
        self._conn.executemany(
            "INSERT INTO post_counts(hour, source, sentiment, language, topic, n)"
            " VALUES (?,?,?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
            [(*k, delta) for k in keys],
        )

    def _free_rowid(self, created: float) -> int:
        """created_at in µs; on a collision, just past the busiest µs of that second."""
        rowid = time_rowid(created)
        taken = "SELECT 1 FROM posts WHERE rowid=?"
        if self._conn.execute(taken, (rowid,)).fetchone():
            top = self._conn.execute(
                "SELECT MAX(rowid) FROM posts WHERE rowid >= ? AND rowid < ?", (rowid, rowid + US)
            ).fetchone()[0]
            rowid = int(top) + 1
            while self._conn.execute(taken, (rowid,)).fetchone():
                rowid += 1
        return rowid

    def _upsert_one(self, post: Post, now: float) -> int:
        a = post.analysis
        created = ts(post.created_at)
        old = self._conn.execute(
            "SELECT rowid, created_at FROM posts WHERE id=?", (post.id,)
        ).fetchone()
        if old is not None and old[1] == created:
            rowid = int(old[0])
            self._bump(self._rollup_keys(rowid), -1)
        else:
            if old is not None:  # its time moved: it moves to another rowid
                self._delete_rowids([int(old[0])])
            rowid = self._free_rowid(created)
        row = (
            rowid,
            post.id,
            post.source,
            post.kind,
            post.author,
            post.thread_id,
            post.parent_id,
            post.url,
            created,
            now,
            a.language if a else None,
            a.sentiment.label if a else None,
            a.sentiment.score if a else None,
            int(a.toxic.label) if a else None,
            content_hash(post.text),
        )
        self._conn.execute(
            "INSERT OR REPLACE INTO posts(rowid, id, source, kind, author, thread_id, parent_id,"
            " url, created_at, indexed_at, language, sentiment, sentiment_score, toxic,"
            " content_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            row,
        )
        self._conn.execute(
            "INSERT OR REPLACE INTO post_docs(rowid, doc) VALUES (?, ?)",
            (rowid, post.model_dump_json()),
        )
        if old is not None and int(old[0]) == rowid:  # re-indexing: clear what it had
            for table in ("posts_fts", "post_topics", "post_keywords", "post_rules"):
                col = "rowid" if table == "posts_fts" else "post"
                self._conn.execute(f"DELETE FROM {table} WHERE {col}=?", (rowid,))
        body = clean_control(" ".join(x for x in (post.title, post.text) if x))
        self._conn.execute(
            "INSERT INTO posts_fts(rowid, body, facets) VALUES (?, ?, ?)",
            (rowid, fold(body), facets_of(post)),
        )
        if a:
            scores = {t.label: t.score for t in a.topics}
            self._conn.executemany(
                "INSERT OR IGNORE INTO post_topics(post, topic, score) VALUES (?,?,?)",
                [(rowid, t, scores.get(t)) for t in a.topic_labels()],
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO post_keywords(post, keyword) VALUES (?,?)",
                [(rowid, k) for k in dict.fromkeys(k.lower() for k in a.keywords if k)],
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO post_rules(post, rule) VALUES (?,?)",
                [(rowid, r) for r in dict.fromkeys(a.rule_topics)],
            )
        self._bump(_rollup_keys_of(post, created), 1)
        return rowid

    def _delete_rowids(self, rowids: list[int]) -> None:
        for i in range(0, len(rowids), 500):
            chunk = rowids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for rowid in chunk:
                self._bump(self._rollup_keys(rowid), -1)
            self._conn.execute(f"DELETE FROM posts_fts WHERE rowid IN ({marks})", chunk)
            self._conn.execute(f"DELETE FROM post_docs WHERE rowid IN ({marks})", chunk)
            for table in ("post_topics", "post_keywords", "post_rules"):
                self._conn.execute(f"DELETE FROM {table} WHERE post IN ({marks})", chunk)
            self._conn.execute(f"DELETE FROM posts WHERE rowid IN ({marks})", chunk)
            log_changes(self._conn, chunk)

    def _audit(self, action: str, target: str, count: int, actor: str | None) -> None:
        self._conn.execute(
            "INSERT INTO audit_log(at, action, target, count, actor) VALUES (?,?,?,?,?)",
            (datetime.now(UTC).timestamp(), action, target, count, actor),
        )

    def _delete_where(
        self, sql: str, params: list[Any], action: str, target: str, actor: str | None
    ) -> int:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                rows = [r[0] for r in self._conn.execute(sql, params)]
                self._delete_rowids(rows)
                self._audit(action, target, len(rows), actor)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"sqlite delete failed: {exc}") from exc
        return len(rows)

    def delete(self, post_id: str, actor: str | None = None) -> bool:
        sql = "SELECT rowid FROM posts WHERE id=?"
        return self._delete_where(sql, [post_id], "delete_post", post_id, actor) > 0

    @staticmethod
    def _by_author(column: str, author: str, source: str | None) -> tuple[str, list[Any]]:
        sql = f"SELECT {column} FROM posts WHERE author = ? COLLATE NOCASE"
        params: list[Any] = [author]
        if source:
            sql += " AND source = ?"
            params.append(source)
        return sql, params

    def delete_by_author(
        self, author: str, source: str | None = None, actor: str | None = None
    ) -> int:
        sql, params = self._by_author("rowid", author, source)
        return self._delete_where(sql, params, "delete_author", f"{source or '*'}:{author}", actor)

    def author_post_ids(self, author: str, source: str | None = None) -> list[str]:
        sql, params = self._by_author("id", author, source)
        return [r[0] for r in self._r.execute(sql, params)]

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._r.execute(
            "SELECT at, action, target, count, actor FROM audit_log ORDER BY at DESC, rowid DESC"
            " LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {"at": dt(r[0]), "action": r[1], "target": r[2], "count": r[3], "actor": r[4]}
            for r in rows
        ]
