"""Briefing periods: local calendar boundaries, the previous period, and bucket sizes.

Dates without a time are local midnights in the briefing's time zone, and `to` dates are
inclusive (`--from 2026-11-01 --to 2026-11-30` is the whole of November).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from duluan.core.settings import setting_default
from duluan.storage.base import Bucket

DEFAULT_TIMEZONE: str = setting_default("briefing_timezone")
Granularity = Literal["hour", "day", "week"]


class PeriodError(ValueError):
    """The dates do not make a period (unparseable, empty, reversed, too long)."""


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True)
class Period:
    """[start, end) as aware datetimes in the briefing's time zone."""

    start: datetime
    end: datetime

    @property
    def tz(self) -> ZoneInfo:
        tz = self.start.tzinfo
        return tz if isinstance(tz, ZoneInfo) else ZoneInfo("UTC")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - self.length, self.start)

    @property
    def last_day(self) -> date:
        """The last local day the period covers (for 'to' labels)."""
        return (self.end - timedelta(microseconds=1)).date()

    def utc(self) -> tuple[datetime, datetime]:
        return self.start.astimezone(UTC), self.end.astimezone(UTC)

    @property
    def granularity(self) -> Granularity:
        """Hours for up to 3 days, days up to 92 days, weeks beyond."""
        if self.length <= timedelta(days=3):
            return "hour"
        if self.length <= timedelta(days=92):
            return "day"
        return "week"


_RELATIVE = re.compile(r"^(today|yesterday|(\d{1,3})d)$")


def _parse_point(value: str | date | datetime, tz: ZoneInfo) -> tuple[datetime, bool]:
    """(aware datetime, whether it was a bare date); `today`, `yesterday` and `7d` (seven days
    before today) are dates relative to now, so examples and schedules need no fixed dates."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)), False
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz), True
    text = value.strip()
    relative = _RELATIVE.match(text.lower())
    if relative:  # today, yesterday, 7d (days before today), in the briefing's zone
        word, days = relative.group(1), relative.group(2)
        back = 1 if word == "yesterday" else int(days) if days else 0
        d = datetime.now(tz).date() - timedelta(days=back)
        return datetime(d.year, d.month, d.day, tzinfo=tz), True
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=tz), True
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PeriodError(
            f"not a date (YYYY-MM-DD, today, yesterday, 7d) or ISO date-time: {value!r}"
        ) from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)), False


def make_period(
    start: str | date | datetime,
    end: str | date | datetime,
    tz_name: str | None = None,
    *,
    max_days: int = 400,
) -> Period:
    """Period from `start` to `end` (a bare `end` date is inclusive), in local time."""
    tz = zone(tz_name)
    lo, _ = _parse_point(start, tz)
    hi, bare = _parse_point(end, tz)
    if bare:
        nxt = hi.date() + timedelta(days=1)
        hi = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
    lo, hi = lo.astimezone(tz), hi.astimezone(tz)
    if hi <= lo:
        raise PeriodError("the period ends before it starts")
    if hi - lo > timedelta(days=max_days):
        raise PeriodError(f"a briefing covers at most {max_days} days")
    return Period(lo, hi)


def bucket_start(ts: datetime, granularity: Granularity, tz: ZoneInfo) -> datetime:
    """The local bucket (hour, day or ISO week from Monday) holding `ts`."""
    local = ts.astimezone(tz)
    if granularity == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = datetime(local.year, local.month, local.day, tzinfo=tz)
    if granularity == "week":
        day = day - timedelta(days=day.weekday())
        day = datetime(day.year, day.month, day.day, tzinfo=tz)
    return day


def bucket_starts(period: Period, granularity: Granularity) -> list[datetime]:
    """Every local bucket start overlapping the period, in order (empty buckets included)."""
    tz = period.tz
    out: list[datetime] = []
    current = bucket_start(period.start, granularity, tz)
    while current < period.end:
        out.append(current)
        if granularity == "hour":
            current = (current.astimezone(UTC) + timedelta(hours=1)).astimezone(tz)
        else:
            step = 1 if granularity == "day" else 7
            nxt = current.date() + timedelta(days=step)
            current = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
    return out


def regroup(
    hourly: list[Bucket], period: Period, granularity: Granularity
) -> list[tuple[datetime, dict[str, int]]]:
    """UTC hour buckets (split by sentiment) summed into local buckets; empty ones kept."""
    tz = period.tz
    out: dict[datetime, dict[str, int]] = {b: {} for b in bucket_starts(period, granularity)}
    for bk in hourly:
        key = bucket_start(bk.start, granularity, tz)
        into = out.setdefault(key, {})
        parts = bk.split or {"": bk.count}
        for label, n in parts.items():
            into[label] = into.get(label, 0) + n
    return sorted(out.items())
