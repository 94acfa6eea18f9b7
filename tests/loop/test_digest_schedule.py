"""When digests are due and which period they cover (pure, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from heedback.loop.digest_schedule import DigestPeriod, next_send_at, period_before


def test_a_daily_digest_is_due_at_the_hour_in_the_persons_time_zone():
    # 18:00 UTC is 07:00 the next morning in Auckland (NZDT, +13 in January).
    after = datetime(2025, 1, 6, 17, 59, tzinfo=UTC)
    due = next_send_at(after, frequency="daily", time_zone="Pacific/Auckland", hour=7)
    assert due == datetime(2025, 1, 6, 18, 0, tzinfo=UTC)
    again = next_send_at(due, frequency="daily", time_zone="Pacific/Auckland", hour=7)
    assert again == datetime(2025, 1, 7, 18, 0, tzinfo=UTC)
    assert period_before(due, frequency="daily", time_zone="Pacific/Auckland") == DigestPeriod(
        date(2025, 1, 6), date(2025, 1, 6), "2025-01-06"
    )


def test_a_weekly_digest_covers_the_week_that_ended():
    after = datetime(2025, 1, 8, 12, tzinfo=UTC)  # a Wednesday
    due = next_send_at(after, frequency="weekly", time_zone="Europe/Paris", hour=8, weekday=0)
    assert due == datetime(2025, 1, 13, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
    assert period_before(due, frequency="weekly", time_zone="Europe/Paris") == DigestPeriod(
        date(2025, 1, 6), date(2025, 1, 12), "2025-W02"
    )
    friday = next_send_at(after, frequency="weekly", time_zone="Europe/Paris", hour=8, weekday=4)
    assert friday == datetime(2025, 1, 10, 7, 0, tzinfo=UTC)
    assert (
        period_before(friday, frequency="weekly", time_zone="Europe/Paris").key == "2025-W01"
    )  # 30 Dec – 5 Jan


def test_a_time_lost_to_daylight_saving_moves_forward_and_off_means_never():
    # 02:00 does not exist in Paris on 30 March 2025; the clock reads 03:00 then.
    after = datetime(2025, 3, 29, 12, tzinfo=UTC)
    due = next_send_at(after, frequency="daily", time_zone="Europe/Paris", hour=2)
    assert due == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    assert next_send_at(after, frequency="off", time_zone="UTC", hour=7) is None


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def test_each_send_moment_is_after_the_previous_one_and_a_day_apart_or_so(zone):
    moment = datetime(2025, 3, 1, tzinfo=UTC)
    for _day in range(60):
        following = next_send_at(moment, frequency="daily", time_zone=zone, hour=6)
        assert following > moment
        assert 23 * 3600 <= (following - moment).total_seconds() <= 25 * 3600 or _day == 0
        moment = following
