"""Every setting in one place, alphabetical, with defaults.

Read from the environment (prefix `DULUAN_`, e.g. `DULUAN_STORE=elasticsearch`) and from an
optional `duluan.toml` in the working directory (or the file named by `DULUAN_CONFIG`).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """duluan settings; see docs/settings.md for the long form."""

    model_config = SettingsConfigDict(env_prefix="DULUAN_", extra="ignore")

    alerts_allow_private_targets: bool = Field(
        False, description="let webhooks target loopback/private/link-local addresses"
    )
    alerts_backoff_s: float = Field(1.0, ge=0, description="first webhook/email retry delay")
    alerts_in_run: bool = Field(True, description="`duluan run` evaluates alerts in a thread")
    alerts_interval_s: float = Field(60.0, gt=0, description="seconds between alert rounds")
    alerts_max_attempts: int = Field(4, ge=1, le=10, description="delivery attempts per target")
    alerts_webhook_timeout_s: float = Field(10.0, gt=0, description="webhook HTTP timeout")
    api_cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed by CORS (empty: CORS off; * any)"
    )
    api_gil_switch_ms: float = Field(
        1.0,
        ge=0,
        description="Python's thread switch interval in the API process (ms; 0: Python's 5 ms):"
        " a request back from SQLite or Elasticsearch gets the interpreter sooner",
    )
    api_host: str = Field("127.0.0.1", description="address `duluan api` binds")
    api_key_pepper: SecretStr | None = Field(
        None, description="secret mixed into API key hashes (keep it out of the DB)"
    )
    api_header_max_bytes: int = Field(
        16384,
        ge=1024,
        description="largest request header block (names and values) the API reads; more: 431",
    )
    api_header_max_count: int = Field(
        100, ge=10, description="most request headers the API accepts; more: 431"
    )
    api_keep_alive_s: int = Field(
        5, ge=1, description="seconds an idle keep-alive connection stays open (uvicorn)"
    )
    api_live_heartbeat_s: float = Field(15.0, gt=0, description="SSE heartbeat comment period")
    api_live_poll_s: float = Field(1.0, gt=0, description="how often /v1/live polls the store")
    api_port: int = Field(8000, description="port `duluan api` binds")
    api_threads: int = Field(
        4,
        ge=1,
        description="threads per API process running requests (more wait in line): few"
        " threads contend less for the interpreter, which kept p95 down under 20 clients",
    )
    api_workers: int = Field(
        1,
        ge=1,
        description="processes serving `duluan api` (use the cores; each keeps its own query"
        " caches and rate-limit counts)",
    )
    api_public_url: str | None = Field(
        None, description="external base URL for links in alerts; default http://host:port"
    )
    api_query_cache_ttl_s: float = Field(
        10.0,
        ge=0,
        description="reuse identical search/timeline/breakdown answers while the store is "
        "unchanged, for at most this long (0: off; SQLite store only)",
    )
    api_rate_limit_burst: int = Field(120, ge=1, description="requests a client may burst")
    api_rate_limit_per_minute: float = Field(
        600.0, ge=0, description="sustained requests per minute per key or client (0: off)"
    )
    api_require_key_for_reads: bool = Field(False, description="reads need a `read` API key")
    api_trust_proxy: bool = Field(
        False,
        description="take the API client address from X-Forwarded-For, only when the direct"
        " peer is one of `api_trusted_proxies`",
    )
    api_trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="addresses or networks of the reverse proxies whose X-Forwarded-For is"
        " believed (when `api_trust_proxy` / `feedback_trust_proxy` is on)",
    )
    briefing_font_dir: Path | None = Field(
        None, description="folder with DejaVuSans(-Bold).ttf for PDFs; default matplotlib's"
    )
    briefing_interval_s: float = Field(300, gt=0, description="how often due briefings are sent")
    briefing_model_card: Path | None = Field(
        None, description="model card read for briefing caveats; default nlp/MODEL_CARD.md"
    )
    briefing_timezone: str = Field(
        "Asia/Ho_Chi_Minh", description="zone for briefing periods and daily buckets"
    )
    bus: Literal["embedded", "kafka"] = Field("embedded", description="message bus backend")
    bus_path: Path | None = Field(None, description="embedded bus file; default DATA_DIR/bus.db")
    bus_dead_letter_retention_hours: float = Field(
        720.0,
        ge=0,
        description="embedded bus: dead-lettered messages older than this are deleted, read or"
        " not (0: kept forever)",
    )
    bus_retention_hours: float = Field(
        24.0,
        ge=0,
        description="embedded bus: messages every consumer group has committed are deleted once"
        " older than this (0: kept forever); Kafka uses the broker's retention.ms instead",
    )
    crawl_lease_s: float = Field(
        1800.0,
        gt=0,
        description="a crawl holds its source's lease in the metadata database this long"
        " (renewed while it runs), so a second crawler replica skips that source meanwhile",
    )
    crawl_state_dir: Path | None = Field(
        None,
        description="where older versions kept per-source crawler memory files; imported once"
        " into the metadata database (default DATA_DIR/crawl)",
    )
    data_dir: Path = Field(Path("var"), description="where embedded state lives")
    dead_letter_topic: str = Field("posts.dead", description="bus topic for poison messages")
    elasticsearch_cold_timelines: int = Field(
        512,
        ge=0,
        description="timelines whose buckets older than two days are kept in memory per process"
        " until a write touches that period (Elasticsearch store); 0 turns it off",
    )
    elasticsearch_index: str = Field("duluan-posts", description="index alias / name prefix")
    elasticsearch_url: str = Field("http://127.0.0.1:9200", description="Elasticsearch node URL")
    enriched_topic: str = Field("posts.enriched", description="bus topic: analysed posts")
    feedback_burst: int = Field(
        5, ge=1, description="feedback submissions a client may send at once"
    )
    feedback_duplicate_window_s: float = Field(
        86400, description="same text in the same campaign within this window is refused"
    )
    feedback_form_max_age_s: float = Field(86400, description="a served form expires after this")
    feedback_max_body_bytes: int = Field(16384, description="largest feedback request body read")
    feedback_max_chars: int = Field(2000, description="longest accepted feedback text")
    feedback_min_fill_s: float = Field(3.0, description="minimum seconds to fill the form (bots)")
    feedback_rate_per_minute: float = Field(6.0, description="refill rate of a client's allowance")
    feedback_secret: SecretStr | None = Field(
        None, description="key signing the form's timestamp; default random per process"
    )
    feedback_trust_proxy: bool = Field(
        False,
        description="take the feedback client address from X-Forwarded-For, only when the"
        " direct peer is one of `api_trusted_proxies`",
    )
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers")
    kafka_partitions: int = Field(4, description="partitions for topics duluan creates")
    consumer_group_prefix: str = Field(
        "duluan",
        description="prefix of the stages' consumer groups (<prefix>-nlp, <prefix>-index); "
        "give each deployment sharing one Kafka cluster its own, so they never rebalance together",
    )
    kafka_replication: int = Field(1, description="replication factor for created topics")
    log_format: Literal["json", "console"] = Field("console", description="log line format")
    log_level: str = Field("INFO", description="root log level")
    meta_url: str | None = Field(
        None,
        description="metadata database (keys, alerts, watchlists, schedules, campaigns, crawler"
        " state, source health) as an SQLAlchemy URL: `postgresql+psycopg://user@host/db` for"
        " deployments; none: the SQLite file `sqlite:///<store file or DATA_DIR/duluan-meta.db>`",
    )
    nlp_backend: Literal["classical", "transformers"] = Field(
        "classical", description="NLP backend"
    )
    nlp_model_dir: Path | None = Field(None, description="classical models; default nlp/models")
    nlp_topic_rules: Path | None = Field(None, description="YAML of user-defined topic rules")
    nlp_sentiment_adaptation: Path | None = Field(
        None,
        description="sentiment class offsets fitted on your own labelled samples (`duluan adapt`),"
        " per source and a default; none: the model's own decisions",
    )
    nlp_offsets_refresh_s: float = Field(
        30.0,
        gt=0,
        description="how often an NLP worker rereads the sentiment offsets `duluan adapt` keeps"
        " in the metadata database (unused when nlp_sentiment_adaptation names a file)",
    )
    nlp_pos_tags: bool = Field(
        True,
        description="tag words with underthesea's POS model for noun-phrase keywords"
        " (costs about a quarter of NLP throughput; off: keywords from word lists alone)",
    )
    nlp_transformers_model: str | None = Field(None, description="HF checkpoint dir or hub id")
    pipeline_restart_initial_s: float = Field(
        1.0, gt=0, description="first wait before `duluan run` restarts a dead stage (doubles)"
    )
    pipeline_restart_max_s: float = Field(
        60.0, gt=0, description="longest wait before `duluan run` restarts a dead stage"
    )
    post_max_text_chars: int = Field(
        20_000,
        ge=1,
        description="a post's text longer than this is cut to it at the bus (and flagged"
        " `truncated`); titles, authors and other fields have fixed caps",
    )
    redact_contacts: bool = Field(
        True,
        description="mask emails and phone numbers in a post's text and title before it is"
        " stored (`[email]`, `[phone]`): personal data no analysis needs",
    )
    public_base_url: str | None = Field(
        None, description="base of links in QR codes; default the request's own URL"
    )
    query_max_chars: int = Field(2000, ge=10, description="longest query text accepted")
    query_max_depth: int = Field(
        16, ge=1, description="deepest nesting of parentheses and NOT in a query"
    )
    query_max_terms: int = Field(
        64, ge=1, description="most terms, phrases and field filters in one query"
    )
    query_max_wildcards: int = Field(8, ge=0, description="most prefix terms (`xăng*`) in a query")
    query_min_prefix_chars: int = Field(
        2, ge=1, description="letters a prefix term needs before its `*`"
    )
    raw_topic: str = Field("posts.raw", description="bus topic: crawled posts")
    retry_attempts: int = Field(
        5, ge=1, description="tries of one bus or store call (first included) before it fails"
    )
    retry_initial_s: float = Field(
        0.2, ge=0, description="first wait before a retry; doubles each try, with jitter"
    )
    retry_max_delay_s: float = Field(
        30.0, gt=0, description="longest one bus or store call keeps retrying, waits included"
    )
    retry_max_wait_s: float = Field(5.0, gt=0, description="longest single wait between tries")
    secret_key: SecretStr | None = Field(
        None,
        description="key encrypting webhook secrets at rest (any long random string); "
        "none: a generated key file `<meta db>.key` (0600) beside the database",
    )
    smtp_from: str = Field("duluan@localhost", description="From: address of alert emails")
    smtp_host: str | None = Field(None, description="SMTP server for alert email (none: off)")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (secret)")
    smtp_port: int = Field(587, description="SMTP port")
    smtp_ssl: bool = Field(False, description="implicit TLS (port 465) instead of STARTTLS")
    smtp_starttls: bool = Field(True, description="upgrade the SMTP connection with STARTTLS")
    smtp_user: str | None = Field(None, description="SMTP login (none: no AUTH)")
    source_runs_retention_days: float = Field(
        90.0,
        ge=0,
        description="source health: crawl runs (items, errors, outcome) are kept in the metadata"
        " database this long, older ones deleted as new runs are recorded (0: kept forever)",
    )
    sources_file: Path | None = Field(None, description="YAML list of sources for `duluan run`")
    store: Literal["sqlite", "elasticsearch"] = Field("sqlite", description="store backend")
    store_postings_cache_mb: int = Field(
        256,
        ge=0,
        description="memory per process for SQLite's in-memory match lists of text queries"
        " (counts, timelines and splits of common terms); 0 turns it off",
    )
    store_path: Path | None = Field(
        None, description="SQLite store file; default DATA_DIR/duluan.db"
    )
    store_query_timeout_ms: int = Field(
        5000,
        ge=0,
        description="an API request's store reads stop after this long (SQLite: per statement;"
        " Elasticsearch: the search `timeout`), so no request holds the store; workers, alerts,"
        " briefings and CLI exports are not limited (0: no limit)",
    )
    timezone: str = Field(
        "Asia/Ho_Chi_Minh",
        description="zone of date-times given without an offset (API parameters and bodies)"
        " and of every time the dashboard shows (its chart's hours and days; /v1/config)",
    )
    trends_cache_ttl_s: float = Field(
        60.0, ge=0, description="seconds a /v1/trends answer is fresh (stale ones refresh behind)"
    )
    trends_max_posts_per_window: int = Field(
        2000, ge=100, description="posts read per window by /v1/trends (newest first)"
    )
    user_agent: str = Field(
        "duluan/0.1 (+https://github.com/duluan/duluan; public-opinion research crawler)",
        description="User-Agent sent by crawlers",
    )
    worker_batch_size: int = Field(256, ge=1, description="messages per worker batch")
    worker_poll_timeout: float = Field(0.5, gt=0, description="seconds a worker waits for input")
    worker_retry_attempts: int = Field(
        30, ge=1, description="tries of one batch through a bus/store outage before a stage stops"
    )
    worker_retry_max_delay_s: float = Field(
        300.0,
        gt=0,
        description="longest a stage retries one batch before it stops (its process exits"
        " non-zero; `duluan run` restarts it)",
    )
    youtube_api_key: SecretStr | None = Field(None, description="YouTube Data API key")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("DULUAN_CONFIG", "duluan.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
            file_secret_settings,
        )

    @property
    def resolved_bus_path(self) -> Path:
        return self.bus_path or self.data_dir / "bus.db"

    @property
    def resolved_store_path(self) -> Path:
        return self.store_path or self.data_dir / "duluan.db"

    @property
    def resolved_crawl_state_dir(self) -> Path:
        return self.crawl_state_dir or self.data_dir / "crawl"

    @property
    def nlp_group(self) -> str:
        return f"{self.consumer_group_prefix}-nlp"

    @property
    def index_group(self) -> str:
        return f"{self.consumer_group_prefix}-index"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings; tests build `Settings(...)` directly instead."""
    return Settings()


def setting_default(name: str) -> Any:
    """A setting's default, for small config objects that mirror a few settings (one source)."""
    field = Settings.model_fields[name]
    return field.get_default(call_default_factory=True)
