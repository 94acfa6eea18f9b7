"""Is a difference more than noise? Tests between two periods or segments, and corrections.

Every test returns the same :class:`Comparison` — the difference (first minus second, in
the unit the metric is shown in), its standard error in that unit, the statistic and the
two-sided p-value — so that a page, the API and an export print the same four numbers
whatever the metric. The tests work on value histograms or on sufficient statistics
(counts, n, Σx, Σx²), which is what the additive rollups hold: a comparison never needs a
raw answer.

When a page shows many comparisons at once (a heatmap of units × domains, the rows of a
comparison), some will look significant by chance; :func:`adjust` corrects the p-values
over the whole family (Holm for "every flag must hold", Benjamini–Hochberg for "few of the
flags may be false"). A cell is marked significant only on its *adjusted* p-value.

Pure Python on top of the distributions in ``metrics`` (no Django, no scipy at run time);
the tests hold every function to scipy and statsmodels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from heedback.insights.metrics import Histogram, normal_two_sided_p, nps_variance, student_t_sf

__all__ = [
    "ALPHA",
    "CORRECTIONS",
    "Comparison",
    "adjust",
    "benjamini_hochberg_adjust",
    "compare_metric",
    "favourable_count",
    "holm_adjust",
    "nps_difference",
    "two_proportions",
    "welch",
    "welch_from_histograms",
    "welch_from_sums",
]

#: The significance level every page uses; a cell is flagged when its adjusted p < ALPHA.
ALPHA = 0.05

#: The corrections a page can apply over its comparisons, by key.
CORRECTIONS = ("bh", "holm")


@dataclass(frozen=True)
class Comparison:
    """A two-sided test of first − second: difference, its standard error, statistic, p.

    ``df`` is set for t tests (Welch–Satterthwaite degrees of freedom) and ``None`` for z
    tests.
    """

    difference: float
    standard_error: float
    statistic: float
    p_value: float
    df: float | None = None


def _ratio(difference: float, standard_error: float) -> float:
    """Divide by the standard error, mapping 0/0 to 0 and x/0 to ±∞ (no spread at all)."""
    if standard_error > 0.0:
        return difference / standard_error
    if difference == 0.0:
        return 0.0
    return math.copysign(math.inf, difference)


# --------------------------------------------------------------------------------------------
# NPS
# --------------------------------------------------------------------------------------------


def _promoters_detractors(histogram: Histogram) -> tuple[int, int, int]:
    promoters = detractors = n = 0
    for value, count in histogram.items():
        n += count
        if value >= 9:
            promoters += count
        elif value <= 6:
            detractors += count
    return promoters, detractors, n


def nps_difference(first: Histogram, second: Histogram) -> Comparison:
    """Compare two NPS (z test), in NPS points.

    z = (NPS₁ − NPS₂) / √(var₁ + var₂) with var = (p + d − (p − d)²) / n (PRODUCT.md):
    each NPS is the mean of a variable scored +1, 0, −1, and the two samples are
    independent. Difference and standard error are returned in points (×100), so the
    statistic is the same in either unit.
    """
    p1, d1, n1 = _promoters_detractors(first)
    p2, d2, n2 = _promoters_detractors(second)
    if n1 == 0 or n2 == 0:
        raise ValueError("both histograms need at least one answer")
    difference = 100.0 * ((p1 - d1) / n1 - (p2 - d2) / n2)
    standard_error = 100.0 * math.sqrt(nps_variance(first) + nps_variance(second))
    statistic = _ratio(difference, standard_error)
    return Comparison(difference, standard_error, statistic, normal_two_sided_p(statistic))


# --------------------------------------------------------------------------------------------
# Proportions
# --------------------------------------------------------------------------------------------


def two_proportions(successes1: int, n1: int, successes2: int, n2: int) -> Comparison:
    """Compare two shares (pooled two-proportion z test), in percentage points.

    The standard error pools both samples because under the null hypothesis they share one
    proportion; it is the one the statistic divides by (as statsmodels'
    ``proportions_ztest`` does), so difference / standard error = statistic.
    """
    for successes, n in ((successes1, n1), (successes2, n2)):
        if n <= 0:
            raise ValueError("sample sizes must be positive")
        if not 0 <= successes <= n:
            raise ValueError(f"successes must be between 0 and n, got {successes} of {n}")
    pooled = (successes1 + successes2) / (n1 + n2)
    difference = 100.0 * (successes1 / n1 - successes2 / n2)
    standard_error = 100.0 * math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    statistic = _ratio(difference, standard_error)
    return Comparison(difference, standard_error, statistic, normal_two_sided_p(statistic))


# --------------------------------------------------------------------------------------------
# Means
# --------------------------------------------------------------------------------------------


def welch(
    mean1: float, variance1: float, n1: int, mean2: float, variance2: float, n2: int
) -> Comparison:
    """Compare two means (Welch's t test from summary statistics), in the scale's units.

    Welch rather than Student's pooled test, because segments rarely share a variance or a
    size. ``variance1``/``variance2`` are sample variances (n − 1). df follows the
    Welch–Satterthwaite equation; with no spread on either side it is undefined and falls
    back to n1 + n2 − 2 (the statistic is then 0 or ±∞).
    """
    if n1 < 2 or n2 < 2:
        raise ValueError("each sample needs at least two observations")
    if variance1 < 0 or variance2 < 0:
        raise ValueError("variances must not be negative")
    a, b = variance1 / n1, variance2 / n2
    squared_error = a + b
    if squared_error > 0.0:
        df = squared_error**2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    else:
        df = float(n1 + n2 - 2)
    standard_error = math.sqrt(squared_error)
    difference = mean1 - mean2
    statistic = _ratio(difference, standard_error)
    p_value = min(1.0, 2.0 * student_t_sf(abs(statistic), df))
    return Comparison(difference, standard_error, statistic, p_value, df)


def _moments(n: int, total: float, total_of_squares: float) -> tuple[float, float]:
    """Return the mean and sample variance from n, Σx and Σx².

    With integer sums (answers on a scale) the variance is computed in exact fractions, so
    the textbook one-pass formula loses nothing to cancellation.
    """
    if n < 2:
        raise ValueError("each sample needs at least two observations")
    if isinstance(total, int) and isinstance(total_of_squares, int):
        variance = Fraction(n * total_of_squares - total * total, n * (n - 1))
        if variance < 0:
            raise ValueError("Σx² is too small for Σx: these are not the sums of one sample")
        return total / n, float(variance)
    variance = (total_of_squares - total * total / n) / (n - 1)
    return total / n, max(0.0, variance)


def welch_from_sums(
    n1: int, total1: float, squares1: float, n2: int, total2: float, squares2: float
) -> Comparison:
    """Compare two means from their sufficient statistics: n, Σx and Σx² of each sample."""
    mean1, variance1 = _moments(n1, total1, squares1)
    mean2, variance2 = _moments(n2, total2, squares2)
    return welch(mean1, variance1, n1, mean2, variance2, n2)


def _sums(histogram: Histogram) -> tuple[int, int | float, int | float]:
    n = sum(histogram.values())
    total = sum(value * count for value, count in histogram.items())
    squares = sum(value * value * count for value, count in histogram.items())
    return n, total, squares


def welch_from_histograms(first: Histogram, second: Histogram) -> Comparison:
    """Compare the mean answers of two value histograms (Welch)."""
    return welch_from_sums(*_sums(first), *_sums(second))


# --------------------------------------------------------------------------------------------
# One comparison per metric
# --------------------------------------------------------------------------------------------


def favourable_count(histogram: Histogram, scale_max: int, boxes: int = 2) -> int:
    """Return the answers in the top ``boxes`` points of the scale (CSAT's top-2-box)."""
    threshold = scale_max - boxes
    return sum(count for value, count in histogram.items() if value > threshold)


def compare_metric(
    metric: str, first: Histogram, second: Histogram, scale_max: int
) -> Comparison | None:
    """Compare a metric between two histograms with the test that fits it.

    NPS: the difference of two NPS; CSAT, share of yes and response rate: two proportions;
    mean and CES:
    Welch. Return ``None`` where no test applies: a plain count, or too few answers on a
    side (none for shares and NPS, fewer than two for means).
    """
    n1, n2 = sum(first.values()), sum(second.values())
    if metric == "nps" and n1 and n2:
        return nps_difference(first, second)
    if metric == "csat" and n1 and n2:
        return two_proportions(
            favourable_count(first, scale_max), n1, favourable_count(second, scale_max), n2
        )
    if metric in ("share_yes", "response_rate") and n1 and n2:
        return two_proportions(first.get(1, 0), n1, second.get(1, 0), n2)
    if metric in ("mean", "ces") and n1 >= 2 and n2 >= 2:
        return welch_from_histograms(first, second)
    return None


# --------------------------------------------------------------------------------------------
# Many comparisons at once
# --------------------------------------------------------------------------------------------


def _checked(p_values: Iterable[float]) -> list[float]:
    values = [float(p) for p in p_values]
    for p in values:
        if math.isnan(p) or not 0.0 <= p <= 1.0:
            raise ValueError(f"p-values must lie in [0, 1], got {p}")
    return values


def holm_adjust(p_values: Iterable[float]) -> list[float]:
    """Return Holm's step-down adjusted p-values, in the order given.

    Reject where the adjusted p < alpha to keep the chance of *any* false flag below alpha. The
    k-th smallest p is multiplied by (m − k + 1), made non-decreasing, capped at 1.
    """
    values = _checked(p_values)
    m = len(values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(sorted(range(m), key=values.__getitem__)):
        running = max(running, min(1.0, (m - rank) * values[index]))
        adjusted[index] = running
    return adjusted


def benjamini_hochberg_adjust(p_values: Iterable[float]) -> list[float]:
    """Return Benjamini–Hochberg adjusted p-values (q-values), in the order given.

    Reject where the adjusted p < q to keep the expected share of false flags below q; it
    keeps its power as the family grows, which suits a heatmap of a hundred cells. The k-th
    smallest p is multiplied by m / k, made non-increasing from the largest, capped at 1.
    """
    values = _checked(p_values)
    m = len(values)
    adjusted = [0.0] * m
    running = 1.0
    order = sorted(range(m), key=values.__getitem__)
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, m / rank * values[index])
        adjusted[index] = running
    return adjusted


def adjust(p_values: Sequence[float], method: str) -> list[float]:
    """Return the p-values adjusted over the family by ``method`` ("holm" or "bh")."""
    if method == "holm":
        return holm_adjust(p_values)
    if method == "bh":
        return benjamini_hochberg_adjust(p_values)
    raise ValueError(f"unknown correction {method!r}; choose one of {', '.join(CORRECTIONS)}")
