"""The lapse rule as pure functions: hand-worked cases and invariants (hypothesis)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heedback.customers import lapse

START = datetime(2024, 1, 1, tzinfo=UTC)
DAY = 86400.0


def times_from_gaps(gaps_in_days: list[float]) -> list[datetime]:
    times = [START]
    for gap in gaps_in_days:
        times.append(times[-1] + timedelta(days=gap))
    return times


def test_quantile_interpolates_linearly_like_numpy():
    assert lapse.quantile([1, 2, 3, 4], 0.5) == 2.5
    assert lapse.quantile([10, 20, 30, 40, 50], 0.9) == pytest.approx(46.0)
    assert lapse.quantile([7], 0.9) == 7
    with pytest.raises(ValueError, match="undefined"):
        lapse.quantile([], 0.5)


def test_interactions_within_twelve_hours_are_one_visit():
    times = [START, START + timedelta(hours=3), START + timedelta(days=7)]
    assert lapse.visit_gaps(times) == [7 * DAY - 3 * 3600]
    rhythm = lapse.rhythm_of(times, lapse.LapseRule())
    assert (rhythm.visits, rhythm.basis) == (2, lapse.Basis.TOO_FEW)


def test_a_weekly_regular_is_at_risk_then_lapsed_on_their_own_rhythm():
    gaps = [7, 7, 6, 8, 7, 7, 9, 6, 7, 8]
    rhythm = lapse.rhythm_of(times_from_gaps(gaps), lapse.LapseRule())
    assert rhythm.basis == lapse.Basis.OWN
    assert rhythm.visits == 11
    assert rhythm.typical_gap == 7 * DAY
    assert rhythm.at_risk_gap == pytest.approx(7.75 * DAY)  # 0.75 quantile of the ten gaps
    assert rhythm.lapse_gap == pytest.approx(8.1 * DAY)  # 0.9 quantile
    last = rhythm.last_at
    assert lapse.status_at(rhythm, last + timedelta(days=5)).reasons[0].code == "on_rhythm"
    at_risk = lapse.status_at(rhythm, last + timedelta(days=8))
    assert (at_risk.at_risk, at_risk.lapsed) == (True, False)
    assert at_risk.at_risk_since == last + timedelta(days=7.75)
    lapsed = lapse.status_at(rhythm, last + timedelta(days=30))
    assert (lapsed.lapsed, lapsed.at_risk) == (True, False)
    assert lapsed.lapsed_since == last + timedelta(days=8.1)
    assert [reason.code for reason in lapsed.reasons] == ["lapsed"]


def test_a_short_history_waits_for_the_fallback_gap():
    rule = lapse.LapseRule(fallback_gap_days=60)
    weekly_but_short = lapse.rhythm_of(times_from_gaps([7, 7, 7]), rule)
    assert weekly_but_short.basis == lapse.Basis.FALLBACK
    assert weekly_but_short.lapse_gap == 60 * DAY
    status = lapse.status_at(weekly_but_short, weekly_but_short.last_at + timedelta(days=61))
    assert [reason.code for reason in status.reasons] == ["lapsed", "short_history"]
    yearly_and_short = lapse.rhythm_of(times_from_gaps([365, 360]), rule)
    assert yearly_and_short.lapse_gap == pytest.approx(364.5 * DAY)  # own rhythm is longer


def test_fewer_than_the_minimum_visits_are_never_flagged():
    rhythm = lapse.rhythm_of(times_from_gaps([7]), lapse.LapseRule())
    status = lapse.status_at(rhythm, START + timedelta(days=3000))
    assert (status.lapsed, status.at_risk) == (False, False)
    assert status.reasons == (lapse.Reason("too_few_visits", {"visits": 2}),)
    assert lapse.rhythm_of([], lapse.LapseRule()).visits == 0


def test_a_rule_out_of_range_names_its_fields():
    rule = lapse.LapseRule(lapse_quantile=1.0, at_risk_quantile=0.95, minimum_visits=2)
    assert [field for field, _message in rule.problems()] == [
        "lapse_quantile",
        "minimum_visits",
    ]
    assert [
        f for f, _m in lapse.LapseRule(lapse_quantile=0.8, at_risk_quantile=0.8).problems()
    ] == ["at_risk_quantile"]


gaps_strategy = st.lists(st.floats(min_value=0.6, max_value=400), min_size=0, max_size=40)
rules = st.builds(
    lapse.LapseRule,
    lapse_quantile=st.floats(min_value=0.5, max_value=0.99),
    at_risk_quantile=st.floats(min_value=0.05, max_value=0.49),
    minimum_visits=st.integers(min_value=3, max_value=8),
    own_history_gaps=st.integers(min_value=2, max_value=10),
    fallback_gap_days=st.floats(min_value=1, max_value=365),
)


@settings(max_examples=300, deadline=None)
@given(gaps=gaps_strategy, rule=rules, offsets=st.lists(st.floats(0, 2000), min_size=2, max_size=6))
def test_status_is_monotone_in_time_and_never_both(gaps, rule, offsets):
    rhythm = lapse.rhythm_of(times_from_gaps(gaps), rule)
    was_lapsed = False
    for offset in sorted(offsets):
        status = lapse.status_at(rhythm, rhythm.last_at + timedelta(days=offset))
        assert not (status.lapsed and status.at_risk)
        assert not (was_lapsed and not status.lapsed), "once lapsed, lapsed while they stay away"
        was_lapsed = status.lapsed


@settings(max_examples=300, deadline=None)
@given(gaps=gaps_strategy, rule=rules, seed=st.integers(0, 2**32 - 1))
def test_the_order_of_interactions_does_not_matter(gaps, rule, seed):
    times = times_from_gaps(gaps)
    shuffled = list(times)
    random.Random(seed).shuffle(shuffled)
    assert lapse.rhythm_of(shuffled, rule) == lapse.rhythm_of(times, rule)


@settings(max_examples=300, deadline=None)
@given(gaps=gaps_strategy, rule=rules)
def test_thresholds_are_ordered_and_within_the_history(gaps, rule):
    rhythm = lapse.rhythm_of(times_from_gaps(gaps), rule)
    if rhythm.visits < rule.minimum_visits:
        assert rhythm.lapse_gap is None
        assert rhythm.basis == lapse.Basis.TOO_FEW
        return
    own = lapse.visit_gaps(times_from_gaps(gaps))
    assert min(own) <= rhythm.typical_gap <= max(own)
    assert rhythm.at_risk_gap <= rhythm.lapse_gap
    assert rhythm.at_risk_at <= rhythm.lapse_at
    if rhythm.basis == lapse.Basis.OWN:
        assert rhythm.lapse_gap <= max(own)
    else:
        assert rhythm.lapse_gap >= rule.fallback_seconds


@settings(max_examples=200, deadline=None)
@given(gaps=gaps_strategy, rule=rules, later=st.floats(0, 3000))
def test_a_new_visit_ends_a_lapse(gaps, rule, later):
    times = times_from_gaps(gaps)
    now = times[-1] + timedelta(days=later)
    back = lapse.rhythm_of([*times, now], rule)
    assert lapse.status_at(back, now).lapsed is False


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=1, max_value=100), min_size=6, max_size=30),
    factor=st.floats(min_value=1.0, max_value=5.0),
)
def test_own_thresholds_scale_with_the_rhythm(gaps, factor):
    rule = lapse.LapseRule(own_history_gaps=5)
    base = lapse.rhythm_of(times_from_gaps(gaps), rule)
    scaled = lapse.rhythm_of(times_from_gaps([gap * factor for gap in gaps]), rule)
    assert scaled.lapse_gap == pytest.approx(base.lapse_gap * factor, rel=1e-6)
    assert scaled.at_risk_gap == pytest.approx(base.at_risk_gap * factor, rel=1e-6)
