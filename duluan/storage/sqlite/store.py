"""The embedded Store: SQLite with FTS5 over diacritic-folded text, and SQL aggregates.

Rowids are `created_at` in microseconds (nudged up on collision), so the rowid order is time
order in every table: FTS5 walks its doclists newest-first natively, a time window is a rowid
range, and a scan over a window reads pages in order. Hourly counts (`post_counts`) answer
dashboards' timelines without scanning posts; facet tokens in the FTS5 row (`sqlite_facets`)
let a text query filter and split by source, sentiment, language and topic inside FTS5.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from duluan.core.highlight import snippet
from duluan.core.ids import content_hash
from duluan.core.logging import get_logger
from duluan.core.models import Post
from duluan.core.query import Interval, SearchQuery, Split, positive_terms
from duluan.core.settings import Settings
from duluan.core.text import clean_control, fold
from duluan.storage.base import Bucket, SearchHit, SearchPage, SourceRun, Store, StoreError
from duluan.storage.buckets import BUCKET_SECONDS, bucket_edges, bucket_starts
from duluan.storage.sqlite.compile import US, Compiler, Plan, time_rowid
from duluan.storage.sqlite.facets import FACETS_SQL, KIND_OF, facets_of, fts_any
from duluan.storage.sqlite.postings import (
    CHANGES_SCHEMA,
    MIN_MATCHES,
    PostingsCache,
    count_between,
    log_changes,
)
from duluan.storage.sqlite.rollup import (
    HourlyCache,
    RollupFilter,
    ceil_hour,
    floor_hour,
    rollup_filter,
)

log = get_logger(__name__)

SCHEMA_VERSION = 4
_FTS_TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(
  body, facets, tokenize = 'unicode61 remove_diacritics 2'
);"""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  kind TEXT,
  author TEXT,
  thread_id TEXT,
  parent_id TEXT,
  url TEXT,
  created_at REAL NOT NULL,
  indexed_at REAL NOT NULL,
  language TEXT,
  sentiment TEXT,
  sentiment_score REAL,
  toxic INTEGER,
  content_hash TEXT
);
CREATE TABLE IF NOT EXISTS post_docs (rowid INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS posts_source ON posts(source);
CREATE INDEX IF NOT EXISTS posts_sentiment ON posts(sentiment);
CREATE INDEX IF NOT EXISTS posts_language ON posts(language);
CREATE INDEX IF NOT EXISTS posts_author ON posts(author COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS posts_thread ON posts(thread_id);
CREATE INDEX IF NOT EXISTS posts_parent ON posts(parent_id);
CREATE INDEX IF NOT EXISTS posts_hash ON posts(content_hash);
CREATE TABLE IF NOT EXISTS post_topics (post INTEGER NOT NULL, topic TEXT NOT NULL, score REAL,
  PRIMARY KEY (post, topic)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS post_topics_topic ON post_topics(topic, post);
CREATE TABLE IF NOT EXISTS post_keywords (post INTEGER NOT NULL, keyword TEXT NOT NULL,
  PRIMARY KEY (post, keyword)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS post_keywords_kw ON post_keywords(keyword, post);
CREATE TABLE IF NOT EXISTS post_rules (post INTEGER NOT NULL, rule TEXT NOT NULL,
  PRIMARY KEY (post, rule)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS post_rules_rule ON post_rules(rule, post);
CREATE TABLE IF NOT EXISTS post_counts (
  hour INTEGER NOT NULL, source TEXT NOT NULL, sentiment TEXT NOT NULL, language TEXT NOT NULL,
  topic TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (hour, topic, source, sentiment, language)
) WITHOUT ROWID;
-- timelines read one topic ('' = all posts) over a range of hours: this index holds just that
CREATE INDEX IF NOT EXISTS post_counts_topic
  ON post_counts(topic, hour, source, sentiment, language, n);
CREATE TABLE IF NOT EXISTS source_runs (
  source TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL NOT NULL,
  items INTEGER NOT NULL, errors INTEGER NOT NULL, ok INTEGER NOT NULL, message TEXT
);
CREATE INDEX IF NOT EXISTS source_runs_source ON source_runs(source, finished_at);
CREATE TABLE IF NOT EXISTS audit_log (
  at REAL NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, count INTEGER NOT NULL,
  actor TEXT
);
"""

# kind -> (table, value column, rowid column), each with an index on (value, rowid)
_FACET_INDEX: dict[str, tuple[str, str, str]] = {
    "source": ("posts", "source", "rowid"),
    "sentiment": ("posts", "sentiment", "rowid"),
    "lang": ("posts", "language", "rowid"),
    "topic": ("post_topics", "topic", "post"),
}


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _encode_cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        pad = "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(cursor + pad))
        if not isinstance(data, dict):
            raise ValueError
        return data
    except (ValueError, json.JSONDecodeError) as exc:
        raise ValueError("invalid cursor") from exc


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


class SQLiteStore(Store):
    """One SQLite file (WAL): one writer process and many readers (a connection per thread)."""

    def __init__(
        self,
        path: Path | str,
        postings_cache_mb: int = 256,
        postings_min_matches: int = MIN_MATCHES,
    ) -> None:
        self.path = Path(path)
        self._postings = (
            PostingsCache(postings_cache_mb * 2**20, lambda: self._r, postings_min_matches)
            if postings_cache_mb > 0
            else None
        )
        self._hourly = HourlyCache() if postings_cache_mb > 0 else None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._conn = self._open()
        self._version_conn: sqlite3.Connection | None = None
        self._version_lock = threading.Lock()  # not the write lock: never wait for a write
        with self._lock:
            self._conn.executescript(_SCHEMA + CHANGES_SCHEMA)
            row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self._conn.executescript(_FTS_TABLE)
                cols = [r[1] for r in self._conn.execute("PRAGMA table_info(posts_fts)")]
                self._conn.execute(  # an FTS table from before the meta row: migrate it
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)",
                    (str(SCHEMA_VERSION) if "facets" in cols else "2",),
                )
                row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if int(row[0]) == 2:
                self._migrate_2_to_3()
                row = (3,)
            if int(row[0]) == 3:  # 4 adds post_changes, created above: new writes fill it
                self._conn.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema' AND value = '3'",
                    (str(SCHEMA_VERSION),),
                )
            elif int(row[0]) != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema {row[0]}, this duluan needs {SCHEMA_VERSION}: "
                    "export with the old version and re-import"
                )

    def _migrate_2_to_3(self) -> None:
        """Schema 3 adds the facets column to the FTS5 index: rebuild it from the stored posts.

        About 10-20 s per million posts; one process does it, others wait for the write lock.
        """
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is not None and int(row[0]) == 2:  # not done meanwhile by another process
                log.info("store.migrating", path=str(self.path), to_schema=3)
                self._conn.execute("ALTER TABLE posts_fts RENAME TO posts_fts_v2")
                self._conn.execute(_FTS_TABLE.replace("IF NOT EXISTS ", "").rstrip(";"))
                self._conn.execute(
                    f"INSERT INTO posts_fts(rowid, body, facets) SELECT c.id, c.c0, {FACETS_SQL}"
                    " FROM posts_fts_v2_content c JOIN posts p ON p.rowid = c.id ORDER BY c.id"
                )
                self._conn.execute("DROP TABLE posts_fts_v2")
                self._conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._conn.execute("ROLLBACK")
            raise StoreError(
                f"migrating {self.path} to schema 3 failed ({exc}); if another duluan process"
                " is migrating it, retry when it is done"
            ) from exc

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA mmap_size=1073741824")
        return conn

    @property
    def _r(self) -> sqlite3.Connection:
        """A read connection per thread, so API requests never queue behind one another."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    def data_version(self) -> int | None:
        """SQLite's data_version on a connection that never writes: it changes on every commit,
        whichever connection or process made it."""
        with self._version_lock:
            if self._version_conn is None:
                self._version_conn = self._open()
            return int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])

    @classmethod
    def from_settings(cls, settings: Settings) -> SQLiteStore:
        return cls(settings.resolved_store_path, settings.store_postings_cache_mb)

    # -- writes ---------------------------------------------------------------------------
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
        created = _ts(post.created_at)
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

    def delete_by_author(
        self, author: str, source: str | None = None, actor: str | None = None
    ) -> int:
        sql = "SELECT rowid FROM posts WHERE author = ? COLLATE NOCASE"
        params: list[Any] = [author]
        if source:
            sql += " AND source = ?"
            params.append(source)
        return self._delete_where(sql, params, "delete_author", f"{source or '*'}:{author}", actor)

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._r.execute(
            "SELECT at, action, target, count, actor FROM audit_log ORDER BY at DESC, rowid DESC"
            " LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {"at": _dt(r[0]), "action": r[1], "target": r[2], "count": r[3], "actor": r[4]}
            for r in rows
        ]

    # -- reads ----------------------------------------------------------------------------
    def get(self, post_id: str) -> Post | None:
        row = self._r.execute(
            "SELECT d.doc FROM posts p JOIN post_docs d ON d.rowid = p.rowid WHERE p.id=?",
            (post_id,),
        ).fetchone()
        return Post.model_validate_json(row[0]) if row else None

    @staticmethod
    def _plan(query: SearchQuery) -> Plan:
        return Compiler().plan(query)

    def count(self, query: SearchQuery) -> int:
        rollup = rollup_filter(query)
        if rollup is not None:
            return sum(b.count for b in self._rollup_timeline(rollup, query, "month", None))
        plan = self._plan(query)
        if expr := self._cacheable(plan):
            return self._fts_counts(plan, expr, None, None)[0][1]
        src, params = plan.source_sql()
        return int(self._r.execute(f"SELECT COUNT(*) {src}", params).fetchone()[0])

    def _cacheable(self, plan: Plan) -> str | None:
        """The plan's FTS5 expression when its matches can come from the postings cache (FTS5
        alone decides them and the cache is on); None otherwise."""
        if self._postings is None or plan.needs_posts:
            return None
        return plan.fts

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
        post = Post.model_validate_json(doc)
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
                    yield Post.model_validate_json(docs[r])
            if len(rowids) < q.limit:
                return
            bound = rowids[-1]

    @staticmethod
    def _bucket_sql(interval: Interval, seconds: str) -> str:
        if interval in BUCKET_SECONDS:
            size = BUCKET_SECONDS[interval]
            return f"(({seconds}) / {size}) * {size}"
        if interval == "week":
            return (
                f"CAST(strftime('%s', date({seconds}, 'unixepoch', '-6 days', 'weekday 1'))"
                " AS INTEGER)"
            )
        return f"CAST(strftime('%s', date({seconds}, 'unixepoch', 'start of month')) AS INTEGER)"

    def timeline(
        self, query: SearchQuery, interval: Interval = "day", split: Split | None = None
    ) -> list[Bucket]:
        rollup = rollup_filter(query)
        if rollup is not None and interval != "minute" and not (split == "topic" and rollup.topic):
            return self._rollup_timeline(rollup, query, interval, split)
        return self._scan_timeline(query, interval, split)

    def _rollup_timeline(
        self, f: RollupFilter, query: SearchQuery, interval: Interval, split: Split | None
    ) -> list[Bucket]:
        """Whole hours from post_counts; partial hours at the window's edges from posts."""
        lo = ceil_hour(query.since.timestamp()) if query.since else None
        hi = floor_hour(query.until.timestamp()) if query.until else None
        if lo is not None and hi is not None and lo >= hi:
            return self._scan_timeline(query, interval, split)
        clauses, values = f.value_clauses()
        params: list[Any] = list(values)
        if split == "topic":
            clauses.append("topic != ''")
        else:
            clauses.append("topic = ?")
            params.append(f.topic or "")
        col = {"sentiment": "sentiment", "source": "source", "topic": "topic"}.get(
            split or "", "NULL"
        )
        rows: Iterable[tuple[int, Any, int]]
        if self._hourly is not None:
            rows = self._cached_hours(" AND ".join(clauses), params, col, lo, hi, interval)
        else:
            if lo is not None:
                clauses.append("hour >= ?")
                params.append(lo)
            if hi is not None:
                clauses.append("hour < ?")
                params.append(hi)
            bucket = self._bucket_sql(interval, "hour")
            rows = self._r.execute(
                f"SELECT {bucket} AS b, {col}, SUM(n) FROM post_counts"
                f" WHERE {' AND '.join(clauses)} GROUP BY b, 2 HAVING SUM(n) > 0",
                params,
            )
        buckets: dict[int, Bucket] = {}
        for b, key, n in rows:
            self._add(buckets, int(b), key, int(n), split)
        if split == "topic":  # the per-post totals (a post has one or more topics)
            totals_q = query.model_copy(update={"topics": []})
            totals = RollupFilter(f.source, f.sentiment, f.language, None)
            for bk in self._rollup_timeline(totals, totals_q, interval, None):
                key = int(bk.start.timestamp())
                buckets.setdefault(key, Bucket(start=bk.start, count=0)).count = bk.count
        edges = []
        if query.since and lo is not None and query.since.timestamp() < lo:
            edges.append(query.model_copy(update={"until": _dt(min(lo, hi) if hi else lo)}))
        if query.until and hi is not None and query.until.timestamp() > hi:
            edges.append(query.model_copy(update={"since": _dt(max(hi, lo) if lo else hi)}))
        for edge in edges:
            for bk in self._scan_timeline(edge, interval, split):
                key = int(bk.start.timestamp())
                into = buckets.setdefault(key, Bucket(start=bk.start, count=0))
                into.count += bk.count
                for k, v in bk.split.items():
                    into.split[k] = into.split.get(k, 0) + v
        if split not in (None, "topic"):
            for bk in buckets.values():
                bk.count = sum(bk.split.values())
        return [buckets[k] for k in sorted(buckets) if buckets[k].count or buckets[k].split]

    def _cached_hours(
        self,
        where: str,
        params: list[Any],
        column: str,
        lo: int | None,
        hi: int | None,
        interval: Interval,
    ) -> list[tuple[int, Any, int]]:
        """The rollup query's (bucket, value, count) rows from the hourly cache."""
        assert self._hourly is not None
        hours = self._hourly.hours(self._r, where, params, column)
        picked = sorted(h for h in hours if (lo is None or h >= lo) and (hi is None or h < hi))
        if not picked:
            return []
        starts = bucket_starts(np.asarray(picked, dtype=np.int64), interval).tolist()
        sums: dict[tuple[int, Any], int] = {}
        for hour, b in zip(picked, starts, strict=True):
            for value, n in hours[hour]:
                sums[(b, value)] = sums.get((b, value), 0) + n
        return [(b, value, n) for (b, value), n in sums.items() if n > 0]

    @staticmethod
    def _add(
        buckets: dict[int, Bucket], b: int, key: str | None, n: int, split: Split | None
    ) -> None:
        bk = buckets.get(b)
        if bk is None:
            bk = buckets[b] = Bucket(start=_dt(b), count=0)
        if split is None:
            bk.count += n
        else:
            k = key if key not in (None, "unknown") else "unknown"
            bk.split[k] = bk.split.get(k, 0) + n

    # A split or breakdown of a text query runs one FTS5 pass per value (see sqlite_facets);
    # past this many values one pass reading each match's row from `posts` is cheaper.
    MAX_FACET_PASSES = 12
    # Up to this many fixed-size buckets a pass counts each bucket's rowid range on its own;
    # past it one GROUP BY, which sorts every match (slower per match, no per-bucket start-up).
    MAX_RANGE_BUCKETS = 100

    def _facet_values(self, plan: Plan, kind: str) -> tuple[list[str], bool] | None:
        """Values of a facet among posts in the plan's time range, and whether some there have
        none (NULL): index seeks only. None when there are too many values for one pass each."""
        table, col, key = _FACET_INDEX[kind]
        where, rng = "", []
        if plan.lo is not None:
            where += f" AND {key} >= ?"
            rng.append(plan.lo)
        if plan.hi is not None:
            where += f" AND {key} < ?"
            rng.append(plan.hi)
        conn = self._r
        if kind != "topic" and kind in plan.facets:  # the query allows only these
            candidates = sorted(plan.facets[kind])
        else:
            candidates = []
            nxt = f"SELECT {col} FROM {table} WHERE {col} > ? ORDER BY {col} LIMIT 1"
            row = conn.execute(nxt, [""]).fetchone()
            if conn.execute(f"SELECT 1 FROM {table} WHERE {col} = '' LIMIT 1").fetchone():
                candidates.append("")
            while row is not None:
                candidates.append(str(row[0]))
                if len(candidates) > 4 * self.MAX_FACET_PASSES:
                    return None
                row = conn.execute(nxt, [row[0]]).fetchone()
        present = f"SELECT 1 FROM {table} WHERE {col} = ?{where} LIMIT 1"
        values = [v for v in candidates if conn.execute(present, [v, *rng]).fetchone()]
        if len(values) > self.MAX_FACET_PASSES:
            return None
        nulls = False
        if kind in ("sentiment", "lang") and kind not in plan.facets:
            nulls = bool(
                conn.execute(
                    f"SELECT 1 FROM {table} WHERE {col} IS NULL{where} LIMIT 1", rng
                ).fetchone()
            )
        return values, nulls

    def _buckets(self, plan: Plan, interval: Interval) -> range | None:
        """Fixed-size bucket starts (µs) covering the plan's rowid range, when few enough to
        count one by one; None otherwise (week, month, or many buckets)."""
        if interval not in BUCKET_SECONDS:
            return None
        lo, hi = plan.lo, plan.hi
        if lo is None or hi is None:
            # two queries: each is one b-tree descent, MIN and MAX together scan the table
            first = self._r.execute("SELECT MIN(rowid) FROM posts").fetchone()[0]
            last = self._r.execute("SELECT MAX(rowid) FROM posts").fetchone()[0]
            if first is None or last is None:
                return None
            lo = int(first) if lo is None else lo
            hi = int(last) + 1 if hi is None else hi
        step = BUCKET_SECONDS[interval] * US
        start = lo // step * step
        if hi <= start or (hi - start) // step > self.MAX_RANGE_BUCKETS:
            return None
        return range(start, hi, step)

    def _fts_counts(
        self,
        plan: Plan,
        expr: str,
        interval: Interval | None,
        starts: range | None,
        facet: str | None = None,
    ) -> list[tuple[int, int]]:
        """Matches of an FTS5 expression (and `facet`, if given) in the plan's rowid range per
        bucket start (seconds), or all of them under bucket 0 when `interval` is None."""
        if self._postings is not None:
            got = self._cached_counts(plan, expr, interval, facet)
            if got is not None:
                return got
            counts = self._fts_counts_sql(plan, expr, interval, starts, facet)
            total = sum(n for _, n in counts)  # a lower bound for each part's matches
            for part in (expr, facet):
                if part is not None:
                    self._postings.note(part, total)
            return counts
        return self._fts_counts_sql(plan, expr, interval, starts, facet)

    def _fts_counts_sql(
        self,
        plan: Plan,
        expr: str,
        interval: Interval | None,
        starts: range | None,
        facet: str | None,
    ) -> list[tuple[int, int]]:
        if facet is not None:
            expr = f"({expr}) AND ({facet})"
        src, params = replace(plan, fts=expr, where="1", params=[]).source_sql()
        if interval is None:
            return [(0, int(self._r.execute(f"SELECT COUNT(*) {src}", params).fetchone()[0]))]
        # One row back per statement (a JSON array): a thread steps SQLite once and takes the
        # GIL back once, not once per bucket, which matters with many API threads.
        if starts is not None:
            lo = plan.lo if plan.lo is not None else starts.start
            hi = plan.hi if plan.hi is not None else starts.stop
            step = starts.step
            sql = (
                "WITH RECURSIVE b(x) AS (SELECT ? UNION ALL SELECT x + ? FROM b WHERE x + ? < ?)"
                f" SELECT json_group_array(json_array(x / {US},"
                " (SELECT COUNT(*) FROM posts_fts WHERE posts_fts MATCH ?"
                " AND rowid >= max(x, ?) AND rowid < min(x + ?, ?)))) FROM b"
            )
            args = [starts.start, step, step, starts.stop, expr, lo, step, hi]
        else:
            bucket = self._bucket_sql(interval, f"(f.rowid / {US})")
            sql = (
                "SELECT json_group_array(json_array(b, n)) FROM"
                f" (SELECT {bucket} AS b, COUNT(*) AS n {src} GROUP BY b)"
            )
            args = params
        rows = json.loads(self._r.execute(sql, args).fetchone()[0])
        return [(int(b), int(n)) for b, n in rows if n]

    def _cached_counts(
        self, plan: Plan, expr: str, interval: Interval | None, facet: str | None
    ) -> list[tuple[int, int]] | None:
        """`_fts_counts` from the postings cache: binary searches on sorted rowid arrays.
        None when the cache declines (an expression's first request)."""
        assert self._postings is not None
        if facet is None:
            rows = self._postings.rows(self._r, expr)
        else:
            rows = self._postings.rows_and(self._r, expr, facet)
        if rows is None:
            return None
        if interval is None:
            return [(0, count_between(rows, plan.lo, plan.hi))]
        lo = int(np.searchsorted(rows, plan.lo)) if plan.lo is not None else 0
        hi = int(np.searchsorted(rows, plan.hi)) if plan.hi is not None else len(rows)
        if hi <= lo:
            return []
        rows = rows[lo:hi]
        edges = bucket_edges(int(rows[0]) // US, int(rows[-1]) // US, interval)
        sizes = np.diff(np.searchsorted(rows, edges * US))  # rows are sorted: one search a bucket
        full = sizes > 0
        return list(zip(edges[:-1][full].tolist(), sizes[full].tolist(), strict=True))

    def _facet_split(
        self, plan: Plan, kind: str, interval: Interval | None, totals: bool
    ) -> tuple[dict[tuple[int, str], int], dict[int, int] | None] | None:
        """Matches per (bucket, value) by facet intersections; with `totals`, also matches per
        bucket where some may lack the facet (topics; no sentiment). None: not this way."""
        if plan.fts is None or plan.needs_posts:
            return None
        found = self._facet_values(plan, kind)
        if found is None:
            return None
        values, nulls = found
        starts = self._buckets(plan, interval) if interval is not None else None
        counts: dict[tuple[int, str], int] = {}
        for v in values:
            for b, n in self._fts_counts(plan, plan.fts, interval, starts, fts_any(kind, {v})):
                if n:
                    counts[(b, v)] = n
        per_bucket = None
        if totals and (kind == "topic" or nulls):
            per_bucket = dict(self._fts_counts(plan, plan.fts, interval, starts))
        return counts, per_bucket

    def _facet_timeline(self, plan: Plan, interval: Interval, split: Split) -> list[Bucket] | None:
        """A text query's timeline split by sentiment, source or topic, from FTS5 alone."""
        got = self._facet_split(plan, KIND_OF[split], interval, totals=True)
        if got is None:
            return None
        counts, totals = got
        buckets: dict[int, Bucket] = {}
        for (b, v), n in counts.items():
            self._add(buckets, b, v, n, split)
        if split == "topic":
            for b, bk in buckets.items():
                bk.count = (totals or {}).get(b, 0)
        else:
            for b, n in (totals or {}).items():
                known = sum(got_b.split.values()) if (got_b := buckets.get(b)) else 0
                if n > known:  # matches with no sentiment (not analysed): "unknown"
                    self._add(buckets, b, None, n - known, split)
            for bk in buckets.values():
                bk.count = sum(bk.split.values())
        return [buckets[k] for k in sorted(buckets)]

    def _scan_timeline(
        self, query: SearchQuery, interval: Interval, split: Split | None
    ) -> list[Bucket]:
        plan = self._plan(query)
        if split is not None:
            faceted = self._facet_timeline(plan, interval, split)
            if faceted is not None:
                return faceted
        elif expr := self._cacheable(plan):
            return [
                Bucket(start=_dt(b), count=n)
                for b, n in self._fts_counts(plan, expr, interval, None)
            ]
        seconds = f"({plan.key}.rowid / {US})"
        bucket = self._bucket_sql(interval, seconds)
        src, params = plan.source_sql(with_posts=split in ("sentiment", "source"))
        if split is None or split == "topic":
            totals_sql = f"SELECT {bucket} AS b, NULL, COUNT(*) {src} GROUP BY b"
        if split is None:
            sql = totals_sql
        elif split == "topic":
            sql = (
                f"SELECT {bucket} AS b, t.topic, COUNT(*) {src.replace(' WHERE ', ' JOIN post_topics t ON t.post = ' + plan.key + '.rowid WHERE ', 1)}"
                " GROUP BY b, t.topic"
            )
        else:
            col = "p.sentiment" if split == "sentiment" else "p.source"
            sql = f"SELECT {bucket} AS b, {col}, COUNT(*) {src} GROUP BY b, {col}"
        buckets: dict[int, Bucket] = {}
        for b, key, n in self._r.execute(sql, params):
            self._add(buckets, int(b), key, int(n), split)
        if split == "topic":
            totals = {int(b): int(n) for b, _, n in self._r.execute(totals_sql, params)}
            for b, bk in buckets.items():
                bk.count = totals.get(b, 0)
        elif split is not None:
            for bk in buckets.values():
                bk.count = sum(bk.split.values())
        return [buckets[k] for k in sorted(buckets)]

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

    def top_entities(
        self, query: SearchQuery, limit: int = 10, sample: int = 5000
    ) -> list[tuple[str, str, int]]:
        """Entities of the newest `sample` matches, counted in SQL over the stored JSON."""
        sub, params, key = self._matching(query)
        sql = (
            "SELECT json_extract(e.value, '$.text') AS t, json_extract(e.value, '$.type') AS k,"
            " COUNT(DISTINCT d.rowid) AS n FROM post_docs d,"
            " json_each(d.doc, '$.analysis.entities') e"
            f" WHERE d.rowid IN ({sub} ORDER BY {key}.rowid DESC LIMIT ?)"
            " GROUP BY t, k ORDER BY n DESC, t, k LIMIT ?"
        )
        rows = self._r.execute(sql, [*params, sample, limit])
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows if r[0] is not None]

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
                hours = self._hourly.hours(self._r, " AND ".join(clauses), params, column)
                totals: dict[str, int] = {}
                for rows in hours.values():
                    for value, n in rows:
                        totals[value] = totals.get(value, 0) + n
                found = [(v, n) for v, n in totals.items() if n > 0 and v != "unknown"]
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

    # -- source health --------------------------------------------------------------------
    def record_source_run(self, run: SourceRun) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO source_runs(source, started_at, finished_at, items, errors, ok, message)"
                " VALUES (?,?,?,?,?,?,?)",
                (
                    run.source,
                    _ts(run.started_at),
                    _ts(run.finished_at),
                    run.items,
                    run.errors,
                    int(run.ok),
                    run.message,
                ),
            )

    def source_runs(self, source: str | None = None, limit: int = 100) -> list[SourceRun]:
        conn = self._r
        sql = "SELECT source, started_at, finished_at, items, errors, ok, message FROM source_runs"
        params: list[Any] = []
        if source:
            sql += " WHERE source = ?"
            params.append(source)
        sql += " ORDER BY finished_at DESC LIMIT ?"
        params.append(limit)
        return [
            SourceRun(
                source=r[0],
                started_at=_dt(r[1]),
                finished_at=_dt(r[2]),
                items=r[3],
                errors=r[4],
                ok=bool(r[5]),
                message=r[6] or "",
            )
            for r in conn.execute(sql, params)
        ]

    def close(self) -> None:
        if self._postings is not None:
            self._postings.close()
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            if self._version_conn is not None:
                self._version_conn.close()
            self._conn.close()
