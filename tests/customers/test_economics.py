"""Loyalty economics as pure arithmetic, checked against hand-worked values."""

from __future__ import annotations

import pytest

from heedback.customers import economics
from heedback.customers.selectors import months_before


def test_lifetime_value_counts_this_period_and_discounts_the_rest():
    # m = 100, r = 0.5, i = 0: 100 + 50 + 25 + … = 200
    assert economics.lifetime_value(100, 0.5, 0.0) == pytest.approx(200)
    # i = 0.1: 100 × 1.1 / (1.1 − 0.5) = 183.33
    assert economics.lifetime_value(100, 0.5, 0.1) == pytest.approx(183.3333, rel=1e-4)


def test_period_rate_is_the_equivalent_of_the_yearly_rate():
    assert economics.period_rate(0.10, 12) == pytest.approx(0.10)
    assert (1 + economics.period_rate(0.10, 3)) ** 4 == pytest.approx(1.10)


def test_compute_on_hand_worked_activity():
    activity = economics.Activity(
        previous_customers=200,
        retained_customers=150,
        current_customers=220,
        current_revenue=44_000,
    )
    figures = economics.compute(
        activity, economics.Assumptions(discount_rate=0.0, margin=0.5, retention_points=5)
    )
    assert figures.retention == 0.75
    assert figures.revenue_per_customer == 200
    assert figures.lifetime_value == pytest.approx(100 / 0.25)  # 400
    assert figures.raised_lifetime_value == pytest.approx(100 / 0.20)  # 500
    assert figures.lifetime_value_gain == pytest.approx(0.25)
    assert figures.value_of_points == pytest.approx(100 * 220)
    assert figures.steady_state_gain == pytest.approx(0.25 / 0.20 - 1)
    assert figures.expected_periods == pytest.approx(4)


def test_without_history_there_are_no_figures():
    empty = economics.compute(economics.Activity(0, 0, 0, 0.0), economics.Assumptions())
    assert (empty.retention, empty.lifetime_value, empty.value_of_points) == (None, None, None)


def test_retention_near_one_stays_finite():
    assert economics.steady_state_gain(0.97, 5) == pytest.approx(0.03 / 0.01 - 1)
    assert economics.lifetime_value(10, 1.0, 0.0) == pytest.approx(10 / 0.01)


def test_assumptions_out_of_range_name_their_fields():
    wrong = economics.Assumptions(period_months=5, discount_rate=2, margin=0, retention_points=60)
    assert [field for field, _ in wrong.problems()] == [
        "period_months",
        "discount_rate",
        "margin",
        "retention_points",
    ]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-03-31", 1, "2026-02-28"),
        ("2024-03-31", 1, "2024-02-29"),
        ("2026-01-15", 12, "2025-01-15"),
        ("2026-01-15", 2, "2025-11-15"),
    ],
)
def test_months_before(day, months, expected):
    from datetime import date

    assert months_before(date.fromisoformat(day), months) == date.fromisoformat(expected)


def test_moving_detractors_keeps_the_difference_of_lapse_rates():
    move = economics.value_of_moving(20, 0.40, 0.15, 300.0)
    assert (move.kept, move.value) == (pytest.approx(5.0), pytest.approx(1500.0))
    worse = economics.value_of_moving(20, 0.10, 0.15, 300.0)
    assert (worse.kept, worse.value) == (0.0, 0.0)
    assert economics.value_of_moving(20, 0.40, 0.15, None).value is None
