"""When a person's digest is due and which period it covers, in their time zone (pure).

A daily digest covers the local day that ended before it is sent; a weekly one the
Monday-to-Sunday week that ended before it is sent. Each period has a key, so that the
outbox's idempotency key (person × period) sends a period's digest once however many
workers or runs look at it.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

DAILY = "daily"
WEEKLY = "weekly"
OFF = "off"


@dataclass(frozen=True)
class DigestPeriod:
    start: date
    end: date  # included
    key: str  # "2025-01-06" for a day, "2025-W02" for a week


def next_send_at(
    after: datetime, *, frequency: str, time_zone: str, hour: int, weekday: int = 0
) -> datetime | None:
    """Return the first sending moment strictly after ``after`` (None when switched off).

    Daily: every day at ``hour`` local time; weekly: on ``weekday`` (0 is Monday) at
    ``hour``. A local time that does not exist (a DST gap) moves forward with the clock.
    """
    if frequency not in (DAILY, WEEKLY):
        return None
    zone = zoneinfo.ZoneInfo(time_zone)
    local_day = after.astimezone(zone).date()
    for offset in range(0, 9):
        day = local_day + timedelta(days=offset)
        if frequency == WEEKLY and day.weekday() != weekday:
            continue
        moment = _local(day, hour, zone)
        if moment > after:
            return moment
    raise AssertionError("a week always holds the weekday")  # pragma: no cover


def _local(day: date, hour: int, zone: zoneinfo.ZoneInfo) -> datetime:
    # Round-tripping through UTC resolves a time that falls into a DST gap.
    naive = datetime.combine(day, time(hour), tzinfo=zone)
    return naive.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)


def period_before(send_at: datetime, *, frequency: str, time_zone: str) -> DigestPeriod:
    """Return the period a digest sent at ``send_at`` covers: the day or week just ended."""
    today = send_at.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
    if frequency == DAILY:
        day = today - timedelta(days=1)
        return DigestPeriod(day, day, day.isoformat())
    this_monday = today - timedelta(days=today.weekday())
    start = this_monday - timedelta(days=7)
    year, week, _weekday = start.isocalendar()
    return DigestPeriod(start, start + timedelta(days=6), f"{year}-W{week:02d}")
