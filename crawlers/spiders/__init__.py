"""One spider per source; the spider name is the source name on every Post."""
