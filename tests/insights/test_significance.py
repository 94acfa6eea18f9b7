"""heedback.insights.significance: hand-worked values, scipy/statsmodels, and properties."""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from heedback.insights.significance import (
    adjust,
    benjamini_hochberg_adjust,
    compare_metric,
    favourable_count,
    holm_adjust,
    nps_difference,
    two_proportions,
    welch,
    welch_from_histograms,
    welch_from_sums,
)

# 5 promoters, 3 passives, 2 detractors: NPS +30, var (0.7 − 0.09)/10 = 0.061.
FIVE_THREE_TWO = {10: 3, 9: 2, 8: 2, 7: 1, 6: 1, 0: 1}
# 2 promoters, 3 passives, 5 detractors: NPS −30, the same variance.
TWO_THREE_FIVE = {10: 2, 8: 3, 3: 5}

nps_histograms = st.dictionaries(
    st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=300), min_size=1
)
rating_histograms = st.dictionaries(
    st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=300), min_size=1
).filter(lambda h: sum(h.values()) >= 2)
p_value_lists = st.lists(st.floats(min_value=0.0, max_value=1.0), max_size=40)


def expand(histogram):
    return np.repeat(list(histogram), list(histogram.values())).astype(float)


def test_nps_difference_worked_by_hand():
    result = nps_difference(FIVE_THREE_TWO, TWO_THREE_FIVE)
    assert result.difference == pytest.approx(60.0, abs=1e-12)
    # √(0.061 + 0.061) · 100
    assert result.standard_error == pytest.approx(100 * math.sqrt(0.122), rel=1e-12)
    assert result.statistic == pytest.approx(0.6 / math.sqrt(0.122), rel=1e-12)
    assert result.p_value == pytest.approx(0.08583401331843707, rel=1e-9)
    assert result.df is None


@given(nps_histograms, nps_histograms)
def test_nps_difference_is_the_z_test_on_scores_of_plus_minus_one(first, second):
    # NPS/100 is the mean of +1/0/−1; its variance (population form) over n, as PRODUCT.md.
    def scores(histogram):
        values = expand(histogram)
        return np.where(values >= 9, 1.0, np.where(values <= 6, -1.0, 0.0))

    a, b = scores(first), scores(second)
    se = math.sqrt(a.var() / len(a) + b.var() / len(b))
    result = nps_difference(first, second)
    assert result.difference == pytest.approx(100 * (a.mean() - b.mean()), abs=1e-9)
    assert result.standard_error == pytest.approx(100 * se, abs=1e-9)
    if se > 1e-12:
        z = (a.mean() - b.mean()) / se
        assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-7, abs=1e-300)


@given(nps_histograms, nps_histograms)
def test_nps_difference_is_antisymmetric(first, second):
    forward, backward = nps_difference(first, second), nps_difference(second, first)
    assert forward.difference == pytest.approx(-backward.difference, abs=1e-9)
    assert forward.p_value == pytest.approx(backward.p_value, rel=1e-12)
    assert 0.0 <= forward.p_value <= 1.0


def test_nps_difference_needs_answers_on_both_sides():
    with pytest.raises(ValueError, match="both histograms"):
        nps_difference({}, {9: 1})
    with pytest.raises(ValueError, match="0-10"):
        nps_difference({11: 1}, {9: 1})


def test_two_proportions_worked_by_hand():
    # 45 of 100 against 30 of 100: pooled 0.375, SE √(0.375·0.625·0.02) = 0.0684653
    result = two_proportions(45, 100, 30, 100)
    assert result.difference == pytest.approx(15.0, abs=1e-12)
    assert result.standard_error == pytest.approx(100 * math.sqrt(0.375 * 0.625 * 0.02))
    assert result.statistic == pytest.approx(2.1908902300206643, rel=1e-12)
    assert result.p_value == pytest.approx(0.028459736916310766, rel=1e-9)


@given(
    st.integers(min_value=1, max_value=2000),
    st.integers(min_value=1, max_value=2000),
    st.data(),
)
def test_two_proportions_matches_statsmodels(n1, n2, data):
    s1 = data.draw(st.integers(min_value=0, max_value=n1))
    s2 = data.draw(st.integers(min_value=0, max_value=n2))
    result = two_proportions(s1, n1, s2, n2)
    if 0 < s1 + s2 < n1 + n2:
        z, p = proportions_ztest([s1, s2], [n1, n2])
        assert result.statistic == pytest.approx(z, rel=1e-9)
        assert result.p_value == pytest.approx(p, rel=1e-7, abs=1e-300)
        assert result.difference / result.standard_error == pytest.approx(z, rel=1e-9)
    else:  # all or nothing on both sides: no difference, no spread
        assert (result.statistic, result.p_value) == (0.0, 1.0)


def test_two_proportions_refuses_impossible_counts():
    with pytest.raises(ValueError, match="between 0 and n"):
        two_proportions(11, 10, 1, 10)
    with pytest.raises(ValueError, match="positive"):
        two_proportions(0, 0, 1, 10)


def test_welch_worked_by_hand():
    # Means 4.5 and 4.0; variances 0.5/100 + 0.6/120 = 0.01; t = 0.5 / 0.1 = 5.
    result = welch(4.5, 0.5, 100, 4.0, 0.6, 120)
    assert result.difference == pytest.approx(0.5)
    assert result.standard_error == pytest.approx(0.1)
    assert result.statistic == pytest.approx(5.0)
    # df = 0.01² / ((0.005²)/99 + (0.005²)/119)
    assert result.df == pytest.approx(0.0001 / (0.005**2 / 99 + 0.005**2 / 119))
    expected = stats.ttest_ind_from_stats(
        4.5, math.sqrt(0.5), 100, 4.0, math.sqrt(0.6), 120, equal_var=False
    )
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")  # scipy, identical answers
@given(rating_histograms, rating_histograms)
def test_welch_from_histograms_matches_scipy_on_the_raw_answers(first, second):
    a, b = expand(first), expand(second)
    result = welch_from_histograms(first, second)
    assert result.difference == pytest.approx(a.mean() - b.mean(), abs=1e-12)
    if a.var() + b.var() > 0:
        expected = stats.ttest_ind(a, b, equal_var=False)
        assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
        assert result.p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-300)
    else:
        assert result.standard_error == 0.0


def test_welch_from_sums_is_exact_for_a_tight_distribution():
    # A million answers of 1,000,000 and one of 1,000,001: Σx² − (Σx)²/n cancels in floats.
    n1, total1 = 1_000_001, 1_000_000 * 1_000_000 + 1_000_001
    squares1 = 1_000_000 * 1_000_000**2 + 1_000_001**2
    result = welch_from_sums(n1, total1, squares1, 2, 2_000_000, 2 * 1_000_000**2)
    expected_variance = 1 / n1  # the sample variance of n − 1 equal values and one above
    assert result.standard_error**2 * n1 == pytest.approx(expected_variance, rel=1e-9)


def test_welch_needs_two_answers_and_consistent_sums():
    with pytest.raises(ValueError, match="two observations"):
        welch_from_sums(1, 5, 25, 3, 9, 27)
    with pytest.raises(ValueError, match="not the sums"):
        welch_from_sums(2, 10, 1, 2, 4, 8)


def test_compare_metric_picks_the_test_per_metric():
    ratings_a, ratings_b = {5: 40, 4: 20, 2: 40}, {5: 10, 4: 20, 1: 70}
    assert favourable_count(ratings_a, 5) == 60
    assert compare_metric("csat", ratings_a, ratings_b, 5) == two_proportions(60, 100, 30, 100)
    assert compare_metric("mean", ratings_a, ratings_b, 5) == welch_from_histograms(
        ratings_a, ratings_b
    )
    assert compare_metric("share_yes", {1: 3, 0: 1}, {1: 1, 0: 3}, 1) == two_proportions(3, 4, 1, 4)
    assert compare_metric("nps", FIVE_THREE_TWO, TWO_THREE_FIVE, 10) == nps_difference(
        FIVE_THREE_TWO, TWO_THREE_FIVE
    )
    assert compare_metric("count", ratings_a, ratings_b, 5) is None
    assert compare_metric("mean", {5: 1}, ratings_b, 5) is None
    assert compare_metric("nps", {}, FIVE_THREE_TWO, 10) is None


# Benjamini & Hochberg (1995), the fifteen p-values of their worked example.
BH_1995 = [
    0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
    0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000,
]  # fmt: skip


def test_adjustments_by_hand():
    # Holm: sorted 0.01, 0.02, 0.04 times 3, 2, 1 → 0.03, 0.04, 0.04 (made non-decreasing).
    assert holm_adjust([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    # BH: 0.01·3/1, 0.02·3/2, 0.04·3/3 → 0.03, 0.03, 0.04.
    assert benjamini_hochberg_adjust([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.03])
    assert holm_adjust([]) == benjamini_hochberg_adjust([]) == []
    # The worked example rejects four hypotheses at q = 0.05 (BH 1995, section 4).
    assert sum(p < 0.05 for p in benjamini_hochberg_adjust(BH_1995)) == 4
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm_adjust([1.5])
    with pytest.raises(ValueError, match="unknown correction"):
        adjust([0.5], "bonferroni")


@contextmanager
def frozen_heap():
    """Keep the suite's objects out of garbage collection while statsmodels runs.

    Its Holm method calls gc.collect() on every call, which walks every object the test
    process holds (0.4 s each late in the suite, two minutes for this one test).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@given(p_value_lists)
def test_adjustments_match_statsmodels(p_values):
    if not p_values:
        return
    for method, reference in (("holm", "holm"), ("bh", "fdr_bh")):
        with frozen_heap():
            _reject, expected, _sidak, _bonf = multipletests(p_values, method=reference)
        assert adjust(p_values, method) == pytest.approx(list(expected), abs=1e-12)


@given(p_value_lists, st.randoms())
def test_adjustments_are_honest_and_order_free(p_values, random):
    holm, bh = holm_adjust(p_values), benjamini_hochberg_adjust(p_values)
    for raw, by_holm, by_bh in zip(p_values, holm, bh, strict=True):
        assert raw <= by_bh + 1e-15 <= by_holm + 2e-15 <= 1.0 + 2e-15
    order = list(range(len(p_values)))
    random.shuffle(order)
    shuffled = [p_values[index] for index in order]
    assert holm_adjust(shuffled) == [holm[index] for index in order]
    assert benjamini_hochberg_adjust(shuffled) == [bh[index] for index in order]
