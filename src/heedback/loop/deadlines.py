"""Deadlines that count business hours in a time zone (pure: tested without a database).

A case due "in 4 hours" that arrives on Friday evening is due on Monday morning where the
unit keeps business hours; where it keeps none, hours are calendar hours. Arithmetic runs
in UTC between local opening and closing times, so a change of daylight-saving time
never adds or loses an hour of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A schedule that never opens would loop forever; give up after a year of days.
MAX_DAYS = 400


@dataclass(frozen=True)
class Schedule:
    """Opening hours: the same on each working weekday (0 is Monday) in one time zone."""

    time_zone: str
    weekdays: frozenset[int]
    opens: time
    closes: time

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """Return the day's opening and closing moments in UTC, or None on a day off."""
        if day.weekday() not in self.weekdays or self.opens >= self.closes:
            return None
        zone = ZoneInfo(self.time_zone)
        start = datetime.combine(day, self.opens, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day, self.closes, tzinfo=zone).astimezone(UTC)
        return start, end


def deadline_after(start: datetime, hours: float, schedule: Schedule | None) -> datetime:
    """Return the moment ``hours`` of working time after ``start`` (no schedule: calendar)."""
    remaining = timedelta(hours=hours)
    if schedule is None or not schedule.weekdays or schedule.opens >= schedule.closes:
        return start + remaining
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(ZoneInfo(schedule.time_zone)).date()
    for _ in range(MAX_DAYS):
        window = schedule.window(day)
        if window is not None and cursor < window[1]:
            begin = max(cursor, window[0])
            available = window[1] - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
            cursor = window[1]
        day += timedelta(days=1)
    return start + timedelta(hours=hours)


def working_time_between(start: datetime, end: datetime, schedule: Schedule | None) -> timedelta:
    """Return the working time from ``start`` to ``end`` (negative when ``end`` comes first)."""
    if end < start:
        return -working_time_between(end, start, schedule)
    if schedule is None or not schedule.weekdays or schedule.opens >= schedule.closes:
        return end - start
    total = timedelta()
    zone = ZoneInfo(schedule.time_zone)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        window = schedule.window(day)
        if window is not None:
            begin, finish = max(start, window[0]), min(end, window[1])
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total
