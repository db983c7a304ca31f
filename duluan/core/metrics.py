"""Prometheus metrics shared by the workers and the API (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter("duluan_messages_total", "Messages handled by a stage", ["stage", "outcome"])
BATCH_SECONDS = Histogram(
    "duluan_batch_seconds",
    "Time to process one batch",
    ["stage"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
CONSUMER_LAG = Gauge("duluan_consumer_lag", "Messages not yet committed by a stage", ["stage"])
PUBLISH_TO_INDEX = Histogram(
    "duluan_publish_to_index_seconds",
    "From publish on posts.raw to written in the store",
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300),
)
RETRIES = Counter("duluan_retries_total", "Transient failures retried", ["stage", "error"])
STAGE_UP = Gauge("duluan_stage_up", "1 while a pipeline stage runs, 0 while it is down", ["stage"])
STAGE_RESTARTS = Counter(
    "duluan_stage_restarts_total", "Times a supervisor restarted a dead stage", ["stage"]
)
STAGE_LAST_FAILURE = Gauge(
    "duluan_stage_last_failure_timestamp_seconds",
    "When a stage last died (Unix time), by the type of the error that killed it",
    ["stage", "error"],
)
