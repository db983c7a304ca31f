"""Every setting in one place, alphabetical, with defaults.

Read from the environment (prefix `DULUAN_`, e.g. `DULUAN_STORE=elasticsearch`) and from an
optional `duluan.toml` in the working directory (or the file named by `DULUAN_CONFIG`).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

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

    api_host: str = Field("127.0.0.1", description="address `duluan api` binds")
    api_port: int = Field(8000, description="port `duluan api` binds")
    bus: Literal["embedded", "kafka"] = Field("embedded", description="message bus backend")
    bus_path: Path | None = Field(None, description="embedded bus file; default DATA_DIR/bus.db")
    crawl_state_dir: Path | None = Field(None, description="crawler memory; default DATA_DIR/crawl")
    data_dir: Path = Field(Path("var"), description="where embedded state lives")
    dead_letter_topic: str = Field("posts.dead", description="bus topic for poison messages")
    elasticsearch_index: str = Field("duluan-posts", description="index alias / name prefix")
    elasticsearch_url: str = Field("http://127.0.0.1:9200", description="Elasticsearch node URL")
    enriched_topic: str = Field("posts.enriched", description="bus topic: analysed posts")
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers")
    kafka_partitions: int = Field(4, description="partitions for topics duluan creates")
    kafka_replication: int = Field(1, description="replication factor for created topics")
    log_format: Literal["json", "console"] = Field("console", description="log line format")
    log_level: str = Field("INFO", description="root log level")
    nlp_backend: Literal["classical", "transformers"] = Field(
        "classical", description="NLP backend"
    )
    nlp_model_dir: Path | None = Field(None, description="classical models; default nlp/models")
    nlp_topic_rules: Path | None = Field(None, description="YAML of user-defined topic rules")
    nlp_transformers_model: str | None = Field(None, description="HF checkpoint dir or hub id")
    raw_topic: str = Field("posts.raw", description="bus topic: crawled posts")
    sources_file: Path | None = Field(None, description="YAML list of sources for `duluan run`")
    store: Literal["sqlite", "elasticsearch"] = Field("sqlite", description="store backend")
    store_path: Path | None = Field(
        None, description="SQLite store file; default DATA_DIR/duluan.db"
    )
    user_agent: str = Field(
        "duluan/0.1 (+https://github.com/duluan/duluan; public-opinion research crawler)",
        description="User-Agent sent by crawlers",
    )
    worker_batch_size: int = Field(256, ge=1, description="messages per worker batch")
    worker_poll_timeout: float = Field(0.5, gt=0, description="seconds a worker waits for input")
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings; tests build `Settings(...)` directly instead."""
    return Settings()
