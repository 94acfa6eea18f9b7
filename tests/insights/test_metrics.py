"""Tests for heedback.insights.metrics: pure functions, no Django, no database.

Reference values marked "scipy 1.17.1" were computed once with scipy 1.17.1 (Python 3.11,
/tmp/probe venv) and are hard-coded so these tests never depend on scipy being installed.
"""

import math
import statistics
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heedback.insights.metrics import (
    EMPTY_DISPLAY,
    METRICS,
    QUESTION_TYPES,
    MetricValue,
    benjamini_hochberg,
    ces,
    count,
    format_value,
    holm,
    mean,
    merge_histograms,
    nps,
    nps_difference_test,
    nps_variance,
    share_yes,
    student_t_cdf,
    student_t_quantile,
    top_box_share,
    two_proportion_test,
    variance,
    welch_test,
    wilson_interval,
)

EMPTY = MetricValue(None, 0, None, None)

# 5 promoters (3x10, 2x9), 3 passives (2x8, 1x7), 2 detractors (6, 0).
FIVE_THREE_TWO = {10: 3, 9: 2, 8: 2, 7: 1, 6: 1, 0: 1}
# 2 promoters, 3 passives, 5 detractors: NPS -30 with the same variance as above.
TWO_THREE_FIVE = {10: 2, 8: 3, 3: 5}

nps_answers = st.lists(st.integers(min_value=0, max_value=10), max_size=200)
nps_histograms = st.dictionaries(
    st.integers(min_value=0, max_value=10), st.integers(min_value=0, max_value=500)
)
nonempty_nps_histograms = nps_histograms.filter(lambda h: sum(h.values()) > 0)


def adjusted_wald_by_hand(promoters, detractors, n):
    """Follow PRODUCT.md's adjusted-Wald recipe step by step, in exact fractions."""
    n_adj = n + 3
    p_adj = Fraction(promoters) + Fraction(3, 4)
    d_adj = Fraction(detractors) + Fraction(3, 4)
    p_adj, d_adj = p_adj / n_adj, d_adj / n_adj
    nps_adj = 100 * (p_adj - d_adj)
    var_adj = (p_adj + d_adj - (p_adj - d_adj) ** 2) / n_adj
    half = 1.96 * math.sqrt(var_adj) * 100
    return max(-100.0, float(nps_adj) - half), min(100.0, float(nps_adj) + half)


def wilson_by_hand(successes, n, z=1.96):
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


# --- NPS ----------------------------------------------------------------------------------


def test_nps_worked_example():
    result = nps(FIVE_THREE_TWO)
    low, high = adjusted_wald_by_hand(5, 2, 10)
    assert result.value == 30.0
    assert result.n == 10
    assert result.ci_low == pytest.approx(low, abs=1e-12)
    assert result.ci_high == pytest.approx(high, abs=1e-12)
    # By hand: NPS_adj = 300/13 = 23.077, var_adj = 0.046199, half-width = 42.128.
    assert result.ci_low == pytest.approx(-19.051, abs=1e-3)
    assert result.ci_high == pytest.approx(65.205, abs=1e-3)


def test_nps_empty_histogram_has_no_value():
    assert nps({}) == EMPTY
    assert nps({9: 0, 3: 0}) == EMPTY


def test_nps_all_promoters_interval_is_clipped_at_100():
    result = nps({10: 12, 9: 8})
    assert result.value == 100.0
    assert result.ci_high == 100.0
    assert result.ci_low == pytest.approx(adjusted_wald_by_hand(20, 0, 20)[0], abs=1e-12)


def test_nps_all_detractors_interval_is_clipped_at_minus_100():
    result = nps({0: 30, 6: 20})
    assert result.value == -100.0
    assert result.ci_low == -100.0


def test_nps_single_answer_still_gets_an_interval():
    # n_adj = 4, p_adj = 1.75/4, d_adj = 0.75/4 → NPS_adj = 25, √var_adj = 0.375,
    # half-width = 1.96 · 0.375 · 100 = 73.5.
    result = nps({10: 1})
    assert result == MetricValue(100.0, 1, pytest.approx(-48.5), pytest.approx(98.5))


def test_nps_passives_only_is_zero():
    result = nps({7: 4, 8: 6})
    assert result.value == 0.0
    assert result.ci_low == pytest.approx(-result.ci_high)


@pytest.mark.parametrize("bad", [{11: 1}, {-1: 1}, {7.5: 1}, {math.nan: 1}])
def test_nps_rejects_values_outside_the_scale(bad):
    with pytest.raises(ValueError):  # noqa: PT011 - any invalid-value message
        nps(bad)


@pytest.mark.parametrize("bad", [{9: -1}, {9: 1.5}])
def test_histograms_reject_bad_counts(bad):
    with pytest.raises((ValueError, TypeError)):
        nps(bad)


def test_nps_variance_worked_example():
    # p = 0.5, d = 0.2: (0.5 + 0.2 - 0.3²) / 10 = 0.061.
    assert nps_variance(FIVE_THREE_TWO) == pytest.approx(0.061)
    assert nps_variance(TWO_THREE_FIVE) == pytest.approx(0.061)
    assert nps_variance({10: 5}) == 0.0


def test_nps_variance_of_empty_histogram_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        nps_variance({})


def test_nps_difference_test_worked_example():
    # z = (0.3 - (-0.3)) / √(0.061 + 0.061); p from scipy 1.17.1: 2·norm.sf(z).
    result = nps_difference_test(FIVE_THREE_TWO, TWO_THREE_FIVE)
    assert result.statistic == pytest.approx(1.7177950029416045, rel=1e-12)
    assert result.p_value == pytest.approx(0.08583401331843707, rel=1e-9)
    assert result.is_significant is False
    assert result.df is None


def test_nps_difference_test_more_answers_make_it_significant():
    four_times = {k: 4 * v for k, v in FIVE_THREE_TWO.items()}
    four_times_other = {k: 4 * v for k, v in TWO_THREE_FIVE.items()}
    result = nps_difference_test(four_times, four_times_other)
    assert result.statistic == pytest.approx(3.435590005883209, rel=1e-12)
    assert result.p_value == pytest.approx(0.0005912650237009992, rel=1e-9)  # scipy 1.17.1
    assert result.is_significant is True
    assert nps_difference_test(four_times, four_times_other, alpha=0.0001).is_significant is False


def test_nps_difference_test_degenerate_samples():
    same = nps_difference_test({10: 3}, {9: 7})
    assert (same.statistic, same.p_value, same.is_significant) == (0.0, 1.0, False)
    different = nps_difference_test({10: 3}, {0: 7})
    assert different.statistic == math.inf
    assert different.p_value == 0.0
    assert different.is_significant is True


def test_nps_difference_test_needs_answers_on_both_sides():
    with pytest.raises(ValueError, match="at least one"):
        nps_difference_test({}, {9: 1})


@given(nps_histograms)
def test_nps_stays_within_bounds(histogram):
    result = nps(histogram)
    if result.n == 0:
        assert result == EMPTY
        return
    assert -100.0 <= result.value <= 100.0
    assert -100.0 <= result.ci_low <= result.ci_high <= 100.0


@given(nps_histograms)
def test_nps_interval_contains_the_adjusted_estimate(histogram):
    result = nps(histogram)
    if result.n == 0:
        return
    promoters = sum(c for v, c in histogram.items() if v >= 9)
    detractors = sum(c for v, c in histogram.items() if v <= 6)
    nps_adj = 100 * (promoters - detractors) / (result.n + 3)
    assert result.ci_low <= nps_adj <= result.ci_high


@given(nps_answers, nps_answers)
def test_merging_histograms_equals_computing_on_all_answers(first, second):
    merged = merge_histograms(Counter(first), Counter(second))
    concatenated = Counter(first + second)
    assert nps(merged) == nps(concatenated)
    assert mean(merged) == mean(concatenated)
    assert top_box_share(merged, 10) == top_box_share(concatenated, 10)
    assert count(merged) == count(concatenated)
    if len(first) + len(second) >= 2:
        assert variance(merged) == variance(concatenated)


@given(nonempty_nps_histograms, nonempty_nps_histograms)
def test_nps_difference_test_is_symmetric(h1, h2):
    forward = nps_difference_test(h1, h2)
    backward = nps_difference_test(h2, h1)
    assert forward.statistic == -backward.statistic
    assert forward.p_value == backward.p_value
    assert forward.is_significant == backward.is_significant
    assert 0.0 <= forward.p_value <= 1.0


# --- Proportions: CSAT top box, yes/no, Wilson -----------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion:
        # comparison of seven methods", Statistics in Medicine 17:857-872, Table II,
        # method 3 (Wilson score without continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_published_values(successes, n, low, high):
    got_low, got_high = wilson_interval(successes, n)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError, match="positive"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="between"):
        wilson_interval(5, 4)


def test_csat_top_two_box_worked_example():
    result = top_box_share({1: 1, 2: 1, 3: 2, 4: 3, 5: 3}, scale_max=5)
    low, high = wilson_by_hand(6, 10)
    assert result.value == 60.0
    assert result.n == 10
    assert result.ci_low == pytest.approx(100 * low, abs=1e-9)
    assert result.ci_high == pytest.approx(100 * high, abs=1e-9)
    # scipy 1.17.1 binomtest(6, 10).proportion_ci("wilson") uses z = 1.959964: 31.267-83.182.
    assert result.ci_low == pytest.approx(31.267, abs=0.01)
    assert result.ci_high == pytest.approx(83.182, abs=0.01)


def test_top_box_share_respects_scale_and_box_count():
    histogram = {1: 2, 5: 1, 6: 3, 7: 4}
    assert top_box_share(histogram, scale_max=7).value == 70.0  # 6 and 7
    assert top_box_share(histogram, scale_max=7, boxes=1).value == 40.0
    assert top_box_share(histogram, scale_max=7, boxes=3).value == 80.0
    assert top_box_share({}, scale_max=5) == EMPTY


def test_top_box_share_all_top_keeps_an_interval_below_100():
    result = top_box_share({5: 4}, scale_max=5)
    assert result.value == 100.0
    assert result.ci_high == 100.0
    assert result.ci_low == pytest.approx(100 * wilson_by_hand(4, 4)[0])


def test_top_box_share_rejects_answers_above_the_scale():
    with pytest.raises(ValueError, match="scale maximum"):
        top_box_share({6: 1}, scale_max=5)
    with pytest.raises(ValueError, match="boxes"):
        top_box_share({5: 1}, scale_max=5, boxes=0)


def test_share_yes_uses_wilson_in_percent():
    result = share_yes({1: 81, 0: 182})
    assert result.value == pytest.approx(100 * 81 / 263)
    assert result.n == 263
    assert result.ci_low == pytest.approx(25.53, abs=5e-3)
    assert result.ci_high == pytest.approx(36.62, abs=5e-3)
    assert share_yes({0: 3}).value == 0.0
    assert share_yes({}) == EMPTY


def test_share_yes_rejects_other_keys():
    with pytest.raises(ValueError, match="keys 1"):
        share_yes({2: 1})


@given(
    st.integers(min_value=0, max_value=1000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    )
)
def test_share_yes_interval_contains_the_share(case):
    yes, n = case
    result = share_yes({1: yes, 0: n - yes})
    if n == 0:
        assert result == EMPTY
        return
    assert 0.0 <= result.ci_low <= result.value <= result.ci_high <= 100.0


# --- Means, variance, counts -----------------------------------------------------------------


def test_mean_worked_example():
    # Answers 1, 2, 2, 3, 3, 3, 4, 4, 5, 5: mean 3.2, Σ(x - mean)² = 15.6, s² = 15.6 / 9.
    histogram = {1: 1, 2: 2, 3: 3, 4: 2, 5: 2}
    assert variance(histogram) == pytest.approx(15.6 / 9)
    result = mean(histogram)
    assert result.value == pytest.approx(3.2)
    assert result.n == 10
    half = 2.262157162798205 * math.sqrt(15.6 / 9 / 10)  # t(0.975, 9), scipy 1.17.1
    assert result.ci_low == pytest.approx(3.2 - half, abs=1e-12)
    assert result.ci_high == pytest.approx(3.2 + half, abs=1e-12)
    # scipy 1.17.1 stats.t.interval(0.95, 9, loc=3.2, scale=sem): (2.2581888697508408, 4.14181…)
    assert result.ci_low == pytest.approx(2.2581888697508408, abs=1e-9)
    assert result.ci_high == pytest.approx(4.14181113024916, abs=1e-9)


def test_mean_edge_cases():
    assert mean({}) == EMPTY
    assert mean({4: 1}) == MetricValue(4.0, 1, None, None)
    assert mean({3: 5}) == MetricValue(3.0, 5, 3.0, 3.0)
    assert mean({2.5: 2, 3.5: 2}).value == 3.0


def test_variance_needs_two_answers():
    with pytest.raises(ValueError, match="two"):
        variance({5: 1})


def test_ces_is_the_mean():
    assert ces is mean
    assert ces({1: 1, 7: 1}).value == 4.0


def test_count():
    assert count({1: 3, 5: 1201}) == MetricValue(1204.0, 1204, None, None)
    assert count({}) == MetricValue(0.0, 0, None, None)


@given(st.lists(st.integers(min_value=1, max_value=7), min_size=2, max_size=300))
def test_mean_and_variance_agree_with_statistics_on_raw_answers(answers):
    histogram = Counter(answers)
    result = mean(histogram)
    assert result.value == pytest.approx(statistics.mean(answers), rel=1e-12)
    assert variance(histogram) == pytest.approx(statistics.variance(answers), rel=1e-9, abs=1e-12)
    assert result.ci_low <= result.value <= result.ci_high


# --- Student t ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "expected"),
    [  # scipy 1.17.1 stats.t.ppf(0.975, df)
        (1, 12.706204736174694),
        (2, 4.302652729749462),
        (3, 3.1824463052837078),
        (5, 2.5705818356363146),
        (9, 2.262157162798205),
        (30, 2.0422724563012378),
        (31, 2.039513446396408),
        (100, 1.9839715185235518),
        (1000, 1.9623390808264083),
        (2.5, 3.5746548420036817),
        (7.3, 2.345066736547703),
    ],
)
def test_student_t_quantile_matches_scipy(df, expected):
    assert student_t_quantile(0.975, df) == pytest.approx(expected, abs=1e-9)
    assert student_t_quantile(0.025, df) == pytest.approx(-expected, abs=1e-9)


def test_student_t_quantile_limits():
    assert student_t_quantile(0.5, 4) == 0.0
    assert student_t_quantile(0.975, math.inf) == pytest.approx(1.959963984540054)
    with pytest.raises(ValueError, match="strictly"):
        student_t_quantile(1.0, 4)
    with pytest.raises(ValueError, match="degrees"):
        student_t_quantile(0.9, 0)


@pytest.mark.parametrize(
    ("t", "df", "expected"),
    [  # scipy 1.17.1 stats.t.cdf(t, df)
        (2.0, 5, 0.9490302605850708),
        (-1.5, 3.5, 0.10890909350767251),
        (0.3, 1, 0.5927735790777423),
        (10.0, 40, 0.9999999999990343),
        (3.0, 1e6, 0.9986500687292891),
    ],
)
def test_student_t_cdf_matches_scipy(t, df, expected):
    assert student_t_cdf(t, df) == pytest.approx(expected, rel=1e-9)


@given(
    st.floats(min_value=0.001, max_value=0.999),
    st.floats(min_value=0.5, max_value=1e4),
)
def test_student_t_quantile_inverts_the_cdf(p, df):
    assert student_t_cdf(student_t_quantile(p, df), df) == pytest.approx(p, abs=1e-10)


# --- Tests between groups ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "statistic", "df", "p_value"),
    [  # scipy 1.17.1 stats.ttest_ind_from_stats(m1, √v1, n1, m2, √v2, n2, equal_var=False)
        ((4.2, 1.1, 30, 3.8, 2.0, 25), 1.1710800875382408, 43.48225214198287, 0.24794431972752906),
        ((3.1, 0.5, 8, 3.9, 1.7, 12), -1.7705066725519616, 17.49569414214063, 0.09406435032421011),
        ((5.0, 4.0, 200, 4.9, 1.0, 1000), 0.6900655593423518, 219.28829486817128, 0.49088262194066),
        ((1, 1, 2, 2, 3, 2), -0.7071067811865476, 1.6, 0.5681648480959272),
    ],
)
def test_welch_matches_scipy(args, statistic, df, p_value):
    result = welch_test(*args)
    assert result.statistic == pytest.approx(statistic, rel=1e-12)
    assert result.df == pytest.approx(df, rel=1e-12)
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.is_significant is (p_value < 0.05)


def test_welch_significant_and_degenerate_cases():
    assert welch_test(4.5, 0.5, 100, 4.0, 0.6, 120).is_significant is True
    same = welch_test(5.0, 0.0, 10, 5.0, 0.0, 10)
    assert (same.statistic, same.p_value, same.df) == (0.0, 1.0, 18.0)
    with pytest.raises(ValueError, match="two observations"):
        welch_test(1.0, 1.0, 1, 2.0, 1.0, 5)


@pytest.mark.parametrize(
    ("args", "statistic", "p_value"),
    [  # pooled z by hand; p from scipy 1.17.1 2·norm.sf(|z|)
        ((45, 100, 30, 90), 1.6427266128719296, 0.10043950997963545),
        ((5, 10, 9, 10), -1.9518001458970664, 0.050961936967763306),
    ],
)
def test_two_proportion_test_reference_values(args, statistic, p_value):
    result = two_proportion_test(*args)
    assert result.statistic == pytest.approx(statistic, rel=1e-12)
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.is_significant is False


def test_two_proportion_test_edge_cases():
    assert two_proportion_test(10, 10, 20, 20).p_value == 1.0
    assert two_proportion_test(90, 100, 60, 100).is_significant is True
    with pytest.raises(ValueError, match="between"):
        two_proportion_test(11, 10, 1, 10)


# Benjamini & Hochberg (1995), JRSS B 57:289-300, section 4.2: 15 p-values from a study of
# myocardial infarction treatment; at 0.05 their procedure rejects the four smallest, while
# Bonferroni (and, here, Holm) rejects only the three smallest.
BH_1995 = [
    0.0201, 0.0278, 0.0001, 0.0004, 0.0019, 0.0095, 0.0298, 0.0344,
    0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000,
]  # fmt: skip


def test_benjamini_hochberg_textbook_example():
    rejected = benjamini_hochberg(BH_1995, q=0.05)
    assert [p for p, r in zip(BH_1995, rejected, strict=True) if r] == [
        0.0001,
        0.0004,
        0.0019,
        0.0095,
    ]


def test_holm_textbook_examples():
    # Wikipedia, "Holm-Bonferroni method", example: p = 0.01, 0.04, 0.03, 0.005 at 0.05;
    # 0.005 ≤ 0.05/4 and 0.01 ≤ 0.05/3 are rejected, then 0.03 > 0.05/2 stops.
    assert holm([0.01, 0.04, 0.03, 0.005]) == [True, False, False, True]
    rejected = holm(BH_1995)
    assert [p for p, r in zip(BH_1995, rejected, strict=True) if r] == [0.0001, 0.0004, 0.0019]


def test_multiple_testing_edge_cases():
    assert holm([]) == []
    assert benjamini_hochberg([]) == []
    assert holm([0.04]) == [True]
    assert benjamini_hochberg([0.05, 0.05]) == [True, True]
    with pytest.raises(ValueError, match="p-values"):
        holm([1.5])


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), max_size=40))
def test_holm_rejects_a_subset_of_benjamini_hochberg(p_values):
    by_holm = holm(p_values)
    by_bh = benjamini_hochberg(p_values)
    assert all(bh for h, bh in zip(by_holm, by_bh, strict=True) if h)
    # Both are monotone: anything at or below a rejected p-value is rejected too.
    for rejected in (by_holm, by_bh):
        threshold = max((p for p, r in zip(p_values, rejected, strict=True) if r), default=-1.0)
        assert all(r for p, r in zip(p_values, rejected, strict=True) if p <= threshold)


# --- Declarations and display ------------------------------------------------------------------


def test_metric_declarations():
    assert set(METRICS) == {"nps", "csat", "mean", "ces", "share_yes", "count", "response_rate"}
    assert METRICS["response_rate"].question_types == frozenset()
    assert METRICS["nps"].question_types == {"nps"}
    assert METRICS["csat"].question_types == {"rating"}
    assert METRICS["mean"].question_types == {"nps", "rating", "ces"}
    assert METRICS["ces"].question_types == {"ces"}
    assert METRICS["share_yes"].question_types == {"yes_no"}
    assert METRICS["count"].question_types == QUESTION_TYPES
    all_types = {"nps", "rating", "ces", "single_choice", "multi_choice", "text", "yes_no"}
    assert all_types == QUESTION_TYPES
    for key, spec in METRICS.items():
        assert spec.key == key
        assert spec.unit in {"points", "percent", "score", "answers"}


def test_metric_compute_uses_the_shared_formulas():
    rating = {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}
    assert METRICS["nps"].compute(FIVE_THREE_TWO, 10) == nps(FIVE_THREE_TWO)
    assert METRICS["csat"].compute(rating, 5) == top_box_share(rating, 5, boxes=2)
    assert METRICS["csat"].compute({9: 1, 10: 1, 8: 2}, 10).value == 50.0
    assert METRICS["mean"].compute(rating, 5) == mean(rating)
    assert METRICS["ces"].compute({1: 1, 7: 3}, 7) == mean({1: 1, 7: 3})
    assert METRICS["share_yes"].compute({1: 3, 0: 1}, 1) == share_yes({1: 3, 0: 1})
    assert METRICS["count"].compute(rating, 5).value == 10.0


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("nps", 42.0, "+42"),
        ("nps", 41.5, "+42"),
        ("nps", -12.4, "-12"),
        ("nps", -0.4, "0"),
        ("nps", 0.0, "0"),
        ("csat", 87.2, "87%"),
        ("csat", 100.0, "100%"),
        ("share_yes", 12.5, "13%"),
        ("mean", 4.26, "4.3"),
        ("mean", 4.25, "4.3"),
        ("ces", 5.0, "5.0"),
        ("count", 1204.0, "1,204"),
        ("count", 0.0, "0"),
        ("nps", None, EMPTY_DISPLAY),
    ],
)
def test_format_value(key, value, expected):
    assert format_value(METRICS[key], value) == expected


def test_format_value_accepts_a_metric_value():
    assert format_value(METRICS["nps"], nps(FIVE_THREE_TWO)) == "+30"
    assert format_value(METRICS["mean"], mean({})) == EMPTY_DISPLAY
