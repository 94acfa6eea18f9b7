"""Deadlines in business hours and time zones, pure."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from heedback.loop.deadlines import Schedule, deadline_after, working_time_between

OFFICE = Schedule(
    time_zone="Europe/London", weekdays=frozenset({0, 1, 2, 3, 4}), opens=time(9), closes=time(17)
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_without_a_schedule_hours_are_calendar_hours():
    assert deadline_after(utc(2025, 1, 3, 18), 48, None) == utc(2025, 1, 5, 18)


def test_hours_inside_one_working_day():
    # Wednesday 8 January 2025, 10:00 in London (UTC in winter).
    assert deadline_after(utc(2025, 1, 8, 10), 4, OFFICE) == utc(2025, 1, 8, 14)


def test_friday_evening_counts_from_monday_morning():
    # Friday 17:30: the office is closed; 4 working hours end Monday 13:00.
    assert deadline_after(utc(2025, 1, 10, 17, 30), 4, OFFICE) == utc(2025, 1, 13, 13)


def test_hours_spill_over_the_weekend():
    # Friday 15:00 + 4 h: 2 h on Friday, 2 h on Monday.
    assert deadline_after(utc(2025, 1, 10, 15), 4, OFFICE) == utc(2025, 1, 13, 11)


def test_forty_eight_working_hours_are_six_working_days():
    assert deadline_after(utc(2025, 1, 6, 9), 48, OFFICE) == utc(2025, 1, 13, 17)


def test_before_opening_the_clock_starts_at_opening():
    assert deadline_after(utc(2025, 1, 8, 6), 1, OFFICE) == utc(2025, 1, 8, 10)


def test_local_time_is_kept_across_a_change_of_daylight_saving_time():
    # London moves to BST on Sunday 30 March 2025. Friday 16:00 GMT + 2 h: one hour on
    # Friday, one on Monday from 09:00 BST, which is 08:00 UTC.
    assert deadline_after(utc(2025, 3, 28, 16), 2, OFFICE) == utc(2025, 3, 31, 9)


def test_another_time_zone():
    tokyo = Schedule("Asia/Tokyo", frozenset({0, 1, 2, 3, 4}), time(9), time(18))
    # Monday 09:00 in Tokyo is 00:00 UTC.
    assert deadline_after(utc(2025, 1, 6, 0), 9, tokyo) == utc(2025, 1, 6, 9)


def test_a_schedule_that_never_opens_falls_back_to_calendar_hours():
    closed = Schedule("UTC", frozenset(), time(9), time(17))
    assert deadline_after(utc(2025, 1, 6), 5, closed) == utc(2025, 1, 6, 5)


def test_working_time_between_two_moments():
    assert working_time_between(utc(2025, 1, 10, 15), utc(2025, 1, 13, 11), OFFICE) == timedelta(
        hours=4
    )
    assert working_time_between(utc(2025, 1, 13, 11), utc(2025, 1, 10, 15), OFFICE) == -timedelta(
        hours=4
    )
    assert working_time_between(utc(2025, 1, 1), utc(2025, 1, 2), None) == timedelta(days=1)
