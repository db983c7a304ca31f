"""The scale-out Store: Elasticsearch monthly indices, bulk writes, aggregations."""
