"""The pure driver statistics: properties that must hold for any data, and exact small cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from heedback.insights import drivers
from heedback.insights.drivers import CrossProducts, Moments, NotEstimable

KEYS = ["y", "a", "b", "c"]

answers = st.one_of(st.none(), st.integers(1, 5))
rows = st.lists(
    st.fixed_dictionaries({"y": st.integers(0, 10), "a": answers, "b": answers, "c": answers}),
    min_size=12,
    max_size=60,
)


def _fit_or_none(cross: CrossProducts):
    try:
        return drivers.fit(cross, "y", KEYS[1:])
    except NotEstimable:
        return None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rows, order=st.randoms(use_true_random=False))
def test_shapley_values_sum_to_r_squared_and_ignore_row_order(data, order):
    fitted = _fit_or_none(CrossProducts.from_rows(data, KEYS))
    assume(fitted is not None and not fitted.dropped)
    assert math.isclose(sum(fitted.shapley.values()), fitted.r_squared, abs_tol=1e-9)
    assert 0.0 <= fitted.r_squared < 1.0
    shuffled = list(data)
    order.shuffle(shuffled)
    again = drivers.fit(CrossProducts.from_rows(shuffled, KEYS), "y", KEYS[1:])
    assert again.r_squared == pytest.approx(fitted.r_squared, abs=1e-12)
    for key in fitted.predictors:
        assert again.shapley[key] == pytest.approx(fitted.shapley[key], abs=1e-12)
        assert again.coefficient(key).beta == pytest.approx(fitted.coefficient(key).beta, abs=1e-12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rows)
def test_a_predictors_importance_does_not_depend_on_the_order_predictors_are_named(data):
    cross = CrossProducts.from_rows(data, KEYS)
    fitted = _fit_or_none(cross)
    assume(fitted is not None and not fitted.dropped)
    reverse = drivers.fit(cross, "y", ["c", "b", "a"])
    for key in "abc":
        assert reverse.shapley[key] == pytest.approx(fitted.shapley[key], abs=1e-10)
        assert reverse.coefficient(key).p_value == pytest.approx(
            fitted.coefficient(key).p_value, abs=1e-10
        )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rows)
def test_sums_of_a_matrix_equal_sums_of_its_rows(data):
    matrix = np.array([[np.nan if row[key] is None else row[key] for key in KEYS] for row in data])
    assert (
        drivers.cross_products_of(matrix, KEYS).pairs == CrossProducts.from_rows(data, KEYS).pairs
    )


def test_one_predictor_is_the_correlation_and_takes_all_of_r_squared():
    data = [{"y": y, "a": a} for y, a in [(1, 1), (2, 2), (2, 3), (4, 3), (5, 5), (3, 4)]]
    fitted = drivers.fit(CrossProducts.from_rows(data, ["y", "a"]), "y", ["a"])
    r = np.corrcoef([1, 2, 2, 4, 5, 3], [1, 2, 3, 3, 5, 4])[0, 1]
    assert fitted.coefficient("a").beta == pytest.approx(r, abs=1e-12)
    assert fitted.r_squared == pytest.approx(r * r, abs=1e-12)
    assert fitted.shapley == {"a": pytest.approx(r * r, abs=1e-12)}
    assert [w.code for w in fitted.warnings] == ["small_sample"]
    assert fitted.warnings[0].values == {"n": 6, "predictors": 1, "needed": 10}


def test_near_copies_of_a_predictor_are_flagged_as_collinear():
    generator = np.random.default_rng(3)
    a = generator.integers(1, 6, 400)
    b = np.where(generator.random(400) < 0.97, a, generator.integers(1, 6, 400))
    y = np.clip(a + generator.integers(-1, 2, 400), 0, 10)
    matrix = np.column_stack([y, a, b]).astype(float)
    fitted = drivers.fit(drivers.cross_products_of(matrix, ["y", "a", "b"]), "y", ["a", "b"])
    codes = [w.code for w in fitted.warnings]
    assert codes == ["high_vif"]
    assert fitted.coefficient("a").vif > drivers.VIF_LIMIT


def test_a_constant_predictor_is_dropped_and_named():
    data = [{"y": y, "a": a, "b": 3} for y, a in [(1, 1), (2, 2), (3, 2), (4, 4), (5, 4)] * 3]
    fitted = drivers.fit(CrossProducts.from_rows(data, ["y", "a", "b"]), "y", ["a", "b"])
    assert fitted.predictors == ("a",)
    assert fitted.dropped == ("b",)
    with pytest.raises(NotEstimable) as raised:
        drivers.fit(CrossProducts.from_rows(data, ["y", "b"]), "y", ["b"])
    assert raised.value.code == "no_predictors"


def test_quadrants_split_at_the_averages():
    importance = {"a": 0.5, "b": 0.3, "c": 0.15, "d": 0.05}
    performance = {"a": 40.0, "b": 80.0, "c": 90.0, "d": 20.0}
    placed = {p.key: p.quadrant for p in drivers.quadrants(importance, performance)}
    assert placed == {
        "a": drivers.FIX_FIRST,
        "b": drivers.KEEP_UP,
        "c": drivers.POSSIBLE_OVERKILL,
        "d": drivers.LOW_PRIORITY,
    }


samples = st.lists(st.integers(1, 5), min_size=2, max_size=80)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=samples, second=samples)
def test_welch_from_moments_equals_scipy_on_the_raw_values(first, second):
    result = drivers.welch_test(
        Moments.of_histogram(_histogram(first)), Moments.of_histogram(_histogram(second))
    )
    assert result.difference == pytest.approx(np.mean(first) - np.mean(second), abs=1e-12)
    if np.var(first) == 0 and np.var(second) == 0:
        assert result.p_value == (1.0 if result.difference == 0 else 0.0)
        return
    expected = stats.ttest_ind(first, second, equal_var=False)
    assert result.t == pytest.approx(expected.statistic, rel=1e-9, abs=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-7, abs=1e-12)
    assert result.ci_low <= result.difference <= result.ci_high


def test_welch_needs_two_values_on_each_side():
    assert drivers.welch_test(Moments(1, 3.0, 9.0), Moments(5, 15.0, 50.0)) is None


def test_bootstrap_is_seeded_and_says_how_it_was_drawn():
    generator = np.random.default_rng(7)
    a, b = generator.integers(1, 6, 150), generator.integers(1, 6, 150)
    y = np.clip(2 * a + b + generator.integers(-2, 3, 150) - 2, 0, 10)
    matrix = np.column_stack([y, a, b]).astype(float)
    first = drivers.bootstrap(matrix, "y", ["a", "b"], replicates=50, seed=4)
    again = drivers.bootstrap(matrix, "y", ["a", "b"], replicates=50, seed=4)
    assert first == again
    assert (first.rows, first.replicates, first.failed, first.seed) == (150, 50, 0, 4)
    fitted = drivers.fit(drivers.cross_products_of(matrix, ["y", "a", "b"]), "y", ["a", "b"])
    for key in "ab":
        share = fitted.shapley[key] / fitted.r_squared
        assert first.shapley_share[key].low <= share <= first.shapley_share[key].high
        beta = fitted.coefficient(key).beta
        assert first.beta[key].low <= beta <= first.beta[key].high


def _histogram(values: list[int]) -> dict[int, int]:
    histogram: dict[int, int] = {}
    for value in values:
        histogram[value] = histogram.get(value, 0) + 1
    return histogram
