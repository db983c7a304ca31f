"""Where analysed posts live and are queried: SQLite (embedded) or Elasticsearch."""
