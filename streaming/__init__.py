"""The bus between stages (embedded or Kafka), the NLP worker, the indexer and dead letters."""
