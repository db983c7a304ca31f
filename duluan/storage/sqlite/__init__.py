"""The embedded Store: SQLite with FTS5, plus in-memory caches kept current from a change log."""
