"""What a client needs to show the API's answers: the display time zone and topic names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import get_settings
from duluan.core.logging import get_logger
from duluan.core.settings import Settings
from nlp import TOPIC_NAMES

router = APIRouter(prefix="/v1", tags=["ops"])
log = get_logger(__name__)


class ClientConfig(BaseModel):
    timezone: str = Field(
        description="IANA zone every time is shown in (setting `timezone`); API times stay UTC"
        " ISO 8601 with their offset"
    )
    utc_offset: str = Field(description="the zone's offset from UTC now, e.g. +07:00")
    languages: list[str] = Field(description="languages the dashboard speaks, default first")
    topics: dict[str, dict[str, str]] = Field(
        description="display name of each topic id per language, e.g. business: {vi, en}"
    )


def _offset(zone: ZoneInfo) -> str:
    delta = datetime.now(UTC).astimezone(zone).utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta else 0
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@router.get("/config", response_model=ClientConfig, summary="Display settings for clients")
async def client_config(settings: Annotated[Settings, Depends(get_settings)]) -> ClientConfig:
    """The zone and names the dashboard shows times and topics with; no secrets."""
    name = settings.timezone
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("api.bad_timezone", timezone=name)
        name, zone = "UTC", ZoneInfo("UTC")
    return ClientConfig(
        timezone=name,
        utc_offset=_offset(zone),
        languages=["vi", "en"],
        topics={k: dict(v) for k, v in TOPIC_NAMES.items()},
    )
