"""The SQLite store's tables: posts and their docs, FTS5, facet side tables, rollups, runs, audit."""

from __future__ import annotations

SCHEMA_VERSION = 4
FTS_TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(
  body, facets, tokenize = 'unicode61 remove_diacritics 2'
);"""
SCHEMA = """
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
