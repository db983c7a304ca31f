"""The embedded Store: SQLite with FTS5 over diacritic-folded text, and SQL aggregates."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.highlight import snippet
from core.ids import content_hash
from core.logging import get_logger
from core.models import Post
from core.query import Interval, SearchQuery, Split, positive_terms
from core.settings import Settings
from core.text import clean_control, fold
from storage.base import Bucket, SearchHit, SearchPage, SourceRun, Store, StoreError
from storage.sqlite_compile import Compiler
from storage.sqlite_rollup import RollupFilter, ceil_hour, floor_hour, rollup_filter

log = get_logger(__name__)

_SCHEMA = """
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
CREATE INDEX IF NOT EXISTS posts_created ON posts(created_at, sentiment, source, language);
CREATE INDEX IF NOT EXISTS posts_source_created ON posts(source, created_at);
CREATE INDEX IF NOT EXISTS posts_sentiment_created ON posts(sentiment, created_at);
CREATE INDEX IF NOT EXISTS posts_author ON posts(author COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS posts_thread ON posts(thread_id);
CREATE INDEX IF NOT EXISTS posts_parent ON posts(parent_id);
CREATE INDEX IF NOT EXISTS posts_hash ON posts(content_hash);
CREATE TABLE IF NOT EXISTS post_topics (post INTEGER NOT NULL, topic TEXT NOT NULL, score REAL);
CREATE INDEX IF NOT EXISTS post_topics_topic ON post_topics(topic, post);
CREATE INDEX IF NOT EXISTS post_topics_post ON post_topics(post);
CREATE TABLE IF NOT EXISTS post_keywords (post INTEGER NOT NULL, keyword TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS post_keywords_post ON post_keywords(post);
CREATE INDEX IF NOT EXISTS post_keywords_kw ON post_keywords(keyword);
CREATE TABLE IF NOT EXISTS post_rules (post INTEGER NOT NULL, rule TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS post_rules_rule ON post_rules(rule, post);
CREATE INDEX IF NOT EXISTS post_rules_post ON post_rules(post);
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(
  body, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS post_counts (
  hour INTEGER NOT NULL, source TEXT NOT NULL, sentiment TEXT NOT NULL, language TEXT NOT NULL,
  topic TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (hour, topic, source, sentiment, language)
) WITHOUT ROWID;
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

_BUCKET_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_SORTS = {
    "newest": "p.created_at DESC, p.rowid DESC",
    "oldest": "p.created_at ASC, p.rowid ASC",
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


class SQLiteStore(Store):
    """One SQLite file (WAL): safe for one writer process and many readers."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._conn = self._open()
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA mmap_size=268435456")
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

    @classmethod
    def from_settings(cls, settings: Settings) -> SQLiteStore:
        return cls(settings.resolved_store_path)

    # -- writes ---------------------------------------------------------------------------
    def upsert(self, posts: Sequence[Post]) -> int:
        if not posts:
            return 0
        latest: dict[str, Post] = {p.id: p for p in posts}
        now = datetime.now(UTC).timestamp()
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                for post in latest.values():
                    self._upsert_one(post, now)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"sqlite upsert failed: {exc}") from exc
        return len(latest)

    def _rollup_keys(self, rowid: int) -> list[tuple[int, str, str, str, str]]:
        """The post_counts rows a stored post contributes to (one per topic, plus '')."""
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

    def _upsert_one(self, post: Post, now: float) -> None:
        a = post.analysis
        old = self._conn.execute("SELECT rowid FROM posts WHERE id=?", (post.id,)).fetchone()
        if old is not None:
            self._bump(self._rollup_keys(int(old[0])), -1)
        row = (
            post.id,
            post.source,
            post.kind,
            post.author,
            post.thread_id,
            post.parent_id,
            post.url,
            _ts(post.created_at),
            now,
            a.language if a else None,
            a.sentiment.label if a else None,
            a.sentiment.score if a else None,
            int(a.toxic.label) if a else None,
            content_hash(post.text),
        )
        cur = self._conn.execute(
            "INSERT INTO posts(id, source, kind, author, thread_id, parent_id, url, created_at,"
            " indexed_at, language, sentiment, sentiment_score, toxic, content_hash)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET source=excluded.source, kind=excluded.kind,"
            " author=excluded.author, thread_id=excluded.thread_id, parent_id=excluded.parent_id,"
            " url=excluded.url, created_at=excluded.created_at, indexed_at=excluded.indexed_at,"
            " language=excluded.language, sentiment=excluded.sentiment,"
            " sentiment_score=excluded.sentiment_score, toxic=excluded.toxic,"
            " content_hash=excluded.content_hash"
            " RETURNING rowid",
            row,
        )
        rowid = int(cur.fetchone()[0])
        self._conn.execute(
            "INSERT OR REPLACE INTO post_docs(rowid, doc) VALUES (?, ?)",
            (rowid, post.model_dump_json()),
        )
        for table in ("posts_fts", "post_topics", "post_keywords", "post_rules"):
            col = "rowid" if table == "posts_fts" else "post"
            self._conn.execute(f"DELETE FROM {table} WHERE {col}=?", (rowid,))
        body = clean_control(" ".join(x for x in (post.title, post.text) if x))
        self._conn.execute("INSERT INTO posts_fts(rowid, body) VALUES (?, ?)", (rowid, fold(body)))
        if a:
            scores = {t.label: t.score for t in a.topics}
            self._conn.executemany(
                "INSERT INTO post_topics(post, topic, score) VALUES (?,?,?)",
                [(rowid, t, scores.get(t)) for t in a.topic_labels()],
            )
            self._conn.executemany(
                "INSERT INTO post_keywords(post, keyword) VALUES (?,?)",
                [(rowid, k) for k in dict.fromkeys(k.lower() for k in a.keywords if k)],
            )
            self._conn.executemany(
                "INSERT INTO post_rules(post, rule) VALUES (?,?)",
                [(rowid, r) for r in dict.fromkeys(a.rule_topics)],
            )
        self._bump(self._rollup_keys(rowid), 1)

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

    def _audit(self, action: str, target: str, count: int, actor: str | None) -> None:
        self._conn.execute(
            "INSERT INTO audit_log(at, action, target, count, actor) VALUES (?,?,?,?,?)",
            (datetime.now(UTC).timestamp(), action, target, count, actor),
        )

    def delete(self, post_id: str, actor: str | None = None) -> bool:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                rows = [
                    r[0]
                    for r in self._conn.execute("SELECT rowid FROM posts WHERE id=?", (post_id,))
                ]
                self._delete_rowids(rows)
                self._audit("delete_post", post_id, len(rows), actor)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"sqlite delete failed: {exc}") from exc
        return bool(rows)

    def delete_by_author(
        self, author: str, source: str | None = None, actor: str | None = None
    ) -> int:
        sql = "SELECT rowid FROM posts WHERE author = ? COLLATE NOCASE"
        params: list[Any] = [author]
        if source:
            sql += " AND source = ?"
            params.append(source)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                rows = [r[0] for r in self._conn.execute(sql, params)]
                self._delete_rowids(rows)
                self._audit("delete_author", f"{source or '*'}:{author}", len(rows), actor)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"sqlite delete failed: {exc}") from exc
        return len(rows)

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._r.execute(
            "SELECT at, action, target, count, actor FROM audit_log ORDER BY at DESC LIMIT ?",
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

    # An FTS expression matching fewer rows than this is materialised (rowid IN ...); a more
    # common one is checked row by row while walking the time index, which finds a page fast.
    FTS_MATERIALISE_LIMIT = 20_000
    # Beyond this many matches, search totals are a lower bound (total_exact=False).
    TOTAL_CAP = 1_000

    def _fts_is_common(self, query: SearchQuery) -> bool:
        probe = Compiler()
        probe.query(query)
        if probe.rank_fts is None:
            return False
        n = self._r.execute(
            "SELECT COUNT(*) FROM (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? LIMIT ?)",
            (probe.rank_fts, self.FTS_MATERIALISE_LIMIT),
        ).fetchone()[0]
        return int(n) >= self.FTS_MATERIALISE_LIMIT

    def _where(self, query: SearchQuery, mode: str = "in") -> tuple[str, list[Any], str | None]:
        c = Compiler(mode)
        where = c.query(query)
        return where, c.params, c.rank_fts

    def count(self, query: SearchQuery) -> int:
        rollup = rollup_filter(query)
        if rollup is not None:
            return sum(b.count for b in self._rollup_timeline(rollup, query, "month", None))
        where, params, _ = self._where(query)
        row = self._r.execute(f"SELECT COUNT(*) FROM posts p WHERE {where}", params).fetchone()
        return int(row[0])

    def search(self, query: SearchQuery) -> SearchPage:
        common = self._fts_is_common(query)
        where, params, rank_fts = self._where(query, "exists" if common else "in")
        if common:
            capped = self._r.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM posts p WHERE {where} LIMIT ?)",
                [*params, self.TOTAL_CAP + 1],
            ).fetchone()[0]
            total, exact = min(int(capped), self.TOTAL_CAP), int(capped) <= self.TOTAL_CAP
        else:
            total, exact = self.count(query), True
        cursor = _decode_cursor(query.cursor) if query.cursor else {}
        terms = positive_terms(query.ast())
        if query.sort == "relevance" and rank_fts:
            offset = int(cursor.get("o", 0))
            sql = (
                "SELECT d.doc, -f.rank FROM posts p JOIN posts_fts f ON f.rowid = p.rowid"
                " JOIN post_docs d ON d.rowid = p.rowid"
                f" WHERE f.posts_fts MATCH ? AND {where}"
                " ORDER BY f.rank, p.created_at DESC LIMIT ? OFFSET ?"
            )
            rows = self._r.execute(sql, [rank_fts, *params, query.limit + 1, offset]).fetchall()
            more = len(rows) > query.limit
            rows = rows[: query.limit]
            nxt = offset + len(rows)
            next_cursor = _encode_cursor({"o": nxt}) if more else None
            hits = [self._hit(r[0], float(r[1]), terms) for r in rows]
            return SearchPage(hits=hits, total=total, next_cursor=next_cursor, total_exact=exact)
        order = _SORTS["oldest" if query.sort == "oldest" else "newest"]
        keyset = ""
        kparams: list[Any] = []
        if cursor:
            if "t" not in cursor or "r" not in cursor:
                raise ValueError("invalid cursor")
            op = ">" if query.sort == "oldest" else "<"
            keyset = f" AND (p.created_at, p.rowid) {op} (?, ?)"
            kparams = [float(cursor["t"]), int(cursor["r"])]
        sql = (
            f"SELECT p.rowid, p.created_at FROM posts p WHERE {where}{keyset}"
            f" ORDER BY {order} LIMIT ?"
        )
        rows = self._r.execute(sql, [*params, *kparams, query.limit + 1]).fetchall()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        next_cursor = (
            _encode_cursor({"t": rows[-1][1], "r": rows[-1][0]}) if more and rows else None
        )
        docs = self._docs([r[0] for r in rows])
        return SearchPage(
            hits=[self._hit(docs[r[0]], None, terms) for r in rows if r[0] in docs],
            total=total,
            next_cursor=next_cursor,
            total_exact=exact,
        )

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
        while True:
            page = self.search(q)
            for hit in page.hits:
                yield hit.post
            if not page.next_cursor:
                return
            q = q.model_copy(update={"cursor": page.next_cursor})

    @staticmethod
    def _bucket_sql(interval: Interval, column: str) -> str:
        if interval in _BUCKET_SECONDS:
            size = _BUCKET_SECONDS[interval]
            return f"CAST({column} / {size} AS INTEGER) * {size}"
        if interval == "week":
            return (
                f"CAST(strftime('%s', date({column}, 'unixepoch', '-6 days', 'weekday 1'))"
                " AS INTEGER)"
            )
        return f"CAST(strftime('%s', date({column}, 'unixepoch', 'start of month')) AS INTEGER)"

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
        clauses, params = [], []
        for column, values in (
            ("source", f.source),
            ("sentiment", f.sentiment),
            ("language", f.language),
        ):
            if values is not None:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(sorted(values))
        if split == "topic":
            clauses.append("topic != ''")
        else:
            clauses.append("topic = ?")
            params.append(f.topic or "")
        if lo is not None:
            clauses.append("hour >= ?")
            params.append(lo)
        if hi is not None:
            clauses.append("hour < ?")
            params.append(hi)
        bucket = self._bucket_sql(interval, "hour")
        col = {"sentiment": "sentiment", "source": "source", "topic": "topic"}.get(
            split or "", "NULL"
        )
        sql = (
            f"SELECT {bucket} AS b, {col}, SUM(n) FROM post_counts WHERE {' AND '.join(clauses)}"
            " GROUP BY b, 2 HAVING SUM(n) > 0"
        )
        buckets: dict[int, Bucket] = {}
        for b, key, n in self._r.execute(sql, params):
            self._add(buckets, int(b), key, int(n), split)
        if split == "topic":  # the per-post totals (a post has one or more topics)
            totals_q = query.model_copy(update={"topics": []})
            for bk in self._rollup_timeline(
                RollupFilter(f.source, f.sentiment, f.language, None), totals_q, interval, None
            ):
                buckets.setdefault(int(bk.start.timestamp()), Bucket(bk.start, 0)).count = bk.count
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

    @staticmethod
    def _add(
        buckets: dict[int, Bucket], b: int, key: str | None, n: int, split: Split | None
    ) -> None:
        bk = buckets.setdefault(b, Bucket(start=_dt(b), count=0))
        if split is None:
            bk.count += n
        else:
            k = key if key not in (None, "unknown") else "unknown"
            bk.split[k] = bk.split.get(k, 0) + n

    def _scan_timeline(
        self, query: SearchQuery, interval: Interval, split: Split | None
    ) -> list[Bucket]:
        where, params, _ = self._where(query, "exists" if self._fts_is_common(query) else "in")
        bucket = self._bucket_sql(interval, "p.created_at")
        if split is None:
            sql = f"SELECT {bucket} AS b, NULL, COUNT(*) FROM posts p WHERE {where} GROUP BY b"
        elif split == "topic":
            sql = (
                f"SELECT {bucket} AS b, t.topic, COUNT(*) FROM posts p"
                f" JOIN post_topics t ON t.post = p.rowid WHERE {where} GROUP BY b, t.topic"
            )
        else:
            col = "p.sentiment" if split == "sentiment" else "p.source"
            sql = (
                f"SELECT {bucket} AS b, {col}, COUNT(*) FROM posts p WHERE {where}"
                f" GROUP BY b, {col}"
            )
        buckets: dict[int, Bucket] = {}
        for b, key, n in self._r.execute(sql, params):
            self._add(buckets, int(b), key, int(n), split)
        if split == "topic":
            totals = dict(
                self._r.execute(
                    f"SELECT {bucket} AS b, COUNT(*) FROM posts p WHERE {where} GROUP BY b", params
                ).fetchall()
            )
            for b, bk in buckets.items():
                bk.count = int(totals.get(b, 0))
        elif split is not None:
            for bk in buckets.values():
                bk.count = sum(bk.split.values())
        return [buckets[k] for k in sorted(buckets)]

    def top_topics(self, query: SearchQuery, limit: int = 10) -> list[tuple[str, int]]:
        where, params, _ = self._where(query)
        sql = (
            "SELECT t.topic, COUNT(*) AS n FROM post_topics t JOIN posts p ON p.rowid = t.post"
            f" WHERE {where} GROUP BY t.topic ORDER BY n DESC, t.topic LIMIT ?"
        )
        return [(r[0], int(r[1])) for r in self._r.execute(sql, [*params, limit])]

    def top_keywords(self, query: SearchQuery, limit: int = 20) -> list[tuple[str, int]]:
        where, params, _ = self._where(query)
        sql = (
            "SELECT k.keyword, COUNT(*) AS n FROM post_keywords k JOIN posts p ON p.rowid = k.post"
            f" WHERE {where} GROUP BY k.keyword ORDER BY n DESC, k.keyword LIMIT ?"
        )
        return [(r[0], int(r[1])) for r in self._r.execute(sql, [*params, limit])]

    def top_values(self, field: str, query: SearchQuery, limit: int = 10) -> list[tuple[str, int]]:
        """Most frequent sources, authors, sentiments or languages among matches."""
        column = {
            "source": "p.source",
            "author": "p.author",
            "sentiment": "p.sentiment",
            "language": "p.language",
        }[field]
        where, params, _ = self._where(query)
        sql = (
            f"SELECT {column} AS v, COUNT(*) AS n FROM posts p WHERE {where} AND {column} IS NOT NULL"
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
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self._conn.close()
