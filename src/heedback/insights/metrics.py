"""Standard feedback metrics, computed from value histograms.

Every metric takes a histogram ``{value: count}`` instead of a list of raw answers, because
dashboards read additive rollups (per day, per unit, per segment) and merge them by adding
counts; a formula that needed raw answers could not be served from those rollups. Merging
histograms and then computing a metric gives exactly the result of computing it on the
concatenated answers.

The module is pure Python (``math``, ``statistics``, ``dataclasses``; ``decimal`` for display
rounding only) so that it can be used from views, tasks, exports and tests alike without
Django, numpy or scipy. Nothing is rounded inside a formula; only :func:`format_value` rounds,
for display.

Intervals are two-sided 95 %. An interval is given even for tiny samples (the UI greys small
samples instead of hiding them); it is ``None`` only where no interval exists (no answers, the
mean of a single answer, or a plain count).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from statistics import NormalDist

__all__ = [
    "EMPTY_DISPLAY",
    "METRICS",
    "QUESTION_TYPES",
    "SURVEY_METRICS",
    "Z_95",
    "Histogram",
    "MetricSpec",
    "MetricValue",
    "SignificanceResult",
    "benjamini_hochberg",
    "ces",
    "count",
    "format_value",
    "holm",
    "mean",
    "merge_histograms",
    "normal_two_sided_p",
    "nps",
    "nps_difference_test",
    "nps_variance",
    "response_rate",
    "share_yes",
    "student_t_cdf",
    "student_t_quantile",
    "student_t_sf",
    "top_box_share",
    "two_proportion_test",
    "variance",
    "welch_test",
    "wilson_interval",
]

Histogram = Mapping[int | float, int]

#: Two-sided 95 % normal critical value, as written in the published adjusted-Wald NPS and
#: Wilson score formulas (the exact quantile 1.959964 differs only in the 5th digit).
Z_95 = 1.96

#: The question types a metric can be declared for.
QUESTION_TYPES = frozenset(
    {"nps", "rating", "ces", "single_choice", "multi_choice", "text", "yes_no"}
)


@dataclass(frozen=True)
class MetricValue:
    """A metric's point estimate, sample size and 95 % interval (``None`` where undefined)."""

    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class SignificanceResult:
    """Outcome of a two-sided test; ``df`` is set only for t tests."""

    statistic: float
    p_value: float
    is_significant: bool
    df: float | None = None


# --------------------------------------------------------------------------------------------
# Histograms
# --------------------------------------------------------------------------------------------


def _clean(histogram: Histogram) -> dict[int | float, int]:
    """Validate a histogram and drop empty buckets.

    Reject negative or non-integer counts and non-finite values loudly: a corrupt rollup must
    not turn into a plausible-looking score.
    """
    cleaned: dict[int | float, int] = {}
    for value, n in histogram.items():
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"count for {value!r} must be an int, got {n!r}")
        if n < 0:
            raise ValueError(f"count for {value!r} must not be negative, got {n}")
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"histogram value must be a finite number, got {value!r}")
        if n:
            cleaned[value] = cleaned.get(value, 0) + n
    return cleaned


def merge_histograms(*histograms: Histogram) -> dict[int | float, int]:
    """Add histograms bucket by bucket.

    Use this to combine rollups (days into a month, units into a region); every metric here is
    defined so that computing it on the merged histogram equals computing it on all answers.
    """
    merged: dict[int | float, int] = {}
    for histogram in histograms:
        for value, n in _clean(histogram).items():
            merged[value] = merged.get(value, 0) + n
    return merged


def _total(histogram: Mapping[int | float, int]) -> int:
    return sum(histogram.values())


# --------------------------------------------------------------------------------------------
# Distributions (normal via math.erfc / statistics.NormalDist; Student t via incomplete beta)
# --------------------------------------------------------------------------------------------


def normal_two_sided_p(z: float) -> float:
    """Return the two-sided p-value of a standard normal statistic, P(|Z| >= |z|).

    Use ``erfc`` rather than ``1 - cdf`` so that small p-values keep their precision.
    """
    if math.isnan(z):
        raise ValueError("z must not be NaN")
    return math.erfc(abs(z) / math.sqrt(2.0))


_BETACF_MAX_ITERATIONS = 10_000
_BETACF_EPS = 1e-15
_TINY = 1e-300


def _betacf(a: float, b: float, x: float) -> float:
    """Evaluate the continued fraction of the incomplete beta function (modified Lentz).

    Follow Numerical Recipes (``betacf``); it converges quickly for x < (a + 1) / (a + b + 2),
    which :func:`_betainc` guarantees by using the symmetry I_x(a, b) = 1 - I_{1-x}(b, a).
    """
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _TINY:
        d = _TINY
    d = 1.0 / d
    h = d
    for m in range(1, _BETACF_MAX_ITERATIONS + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _BETACF_EPS:
            return h
    raise ArithmeticError(f"incomplete beta continued fraction did not converge (a={a}, b={b})")


def _betainc(a: float, b: float, x: float, y: float) -> float:
    """Return the regularized incomplete beta function I_x(a, b), with y = 1 - x.

    Take ``y`` separately so that callers can pass 1 - x without cancellation (for the t
    distribution, y = t² / (df + t²) is exact even when x rounds to 1).
    """
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, y) / b


def _check_df(df: float) -> None:
    if math.isnan(df) or df <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")


def student_t_sf(t: float, df: float) -> float:
    """Return the upper tail P(T > t) of Student's t with ``df`` degrees of freedom.

    Compute it as ½·I_{df/(df+t²)}(df/2, ½) so that tiny tail probabilities stay accurate;
    ``df`` may be fractional (Welch) or ``math.inf`` (the normal limit).
    """
    _check_df(df)
    if math.isnan(t):
        raise ValueError("t must not be NaN")
    if math.isinf(df):
        return 0.5 * math.erfc(t / math.sqrt(2.0))
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    t2 = t * t
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2))
    return tail if t >= 0 else 1.0 - tail


def student_t_cdf(t: float, df: float) -> float:
    """Return P(T <= t) for Student's t with ``df`` degrees of freedom."""
    return student_t_sf(-t, df)


def _student_t_pdf(t: float, df: float) -> float:
    return math.exp(
        math.lgamma((df + 1.0) / 2.0)
        - math.lgamma(df / 2.0)
        - 0.5 * math.log(df * math.pi)
        - (df + 1.0) / 2.0 * math.log1p(t * t / df)
    )


def student_t_quantile(p: float, df: float) -> float:
    """Return the t with P(T <= t) = p for Student's t with ``df`` degrees of freedom.

    Invert the incomplete-beta CDF numerically (safeguarded Newton iteration, to ~1e-12)
    rather than reading a table: a table for df 1..30 with the normal value beyond would be
    off by 0.08 at df = 31, and Welch needs fractional df anyway. Results are cached because
    dashboards ask for the same few (p, df) pairs over and over.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1, got {p}")
    _check_df(df)
    return _student_t_quantile(float(p), float(df))


@lru_cache(maxsize=4096)
def _student_t_quantile(p: float, df: float) -> float:
    if p == 0.5:
        return 0.0
    if math.isinf(df):
        return NormalDist().inv_cdf(p)
    if df == 1.0:  # Cauchy: exact closed form.
        return math.tan(math.pi * (p - 0.5))
    if df == 2.0:  # Exact closed form.
        return (2.0 * p - 1.0) / math.sqrt(2.0 * p * (1.0 - p))
    # Solve for the upper tail q = P(T > t), t > 0, then restore the sign by symmetry.
    sign = 1.0 if p > 0.5 else -1.0
    q = 1.0 - p if p > 0.5 else p
    # Bracket the root: sf is decreasing in t, sf(0) = 0.5 > q.
    lo, hi = 0.0, max(1.0, abs(NormalDist().inv_cdf(q)))
    while student_t_sf(hi, df) > q:
        lo, hi = hi, hi * 2.0
    t = 0.5 * (lo + hi)
    for _ in range(200):
        f = student_t_sf(t, df) - q
        if f == 0.0:
            break
        if f > 0.0:
            lo = t
        else:
            hi = t
        density = _student_t_pdf(t, df)
        candidate = t + f / density if density > 0.0 else math.nan
        if not lo < candidate < hi:
            candidate = 0.5 * (lo + hi)
        if abs(candidate - t) <= 1e-13 * max(1.0, abs(t)):
            t = candidate
            break
        t = candidate
    return sign * t


# --------------------------------------------------------------------------------------------
# Proportions
# --------------------------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Return the Wilson score interval for a proportion, in proportion units (0-1).

    Use Wilson rather than the textbook Wald interval: Wald collapses to a zero-width
    interval at 0 % or 100 % and undercovers at small n, which is exactly where feedback
    segments live; Wilson stays inside [0, 1] and keeps near-nominal coverage.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n, got {successes} of {n}")
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    # At 0 or n successes the bound is exactly 0 or 1; do not let rounding say otherwise.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def _percent_with_wilson(successes: int, n: int) -> MetricValue:
    if n == 0:
        return MetricValue(None, 0, None, None)
    low, high = wilson_interval(successes, n)
    return MetricValue(100.0 * successes / n, n, 100.0 * low, 100.0 * high)


# --------------------------------------------------------------------------------------------
# NPS
# --------------------------------------------------------------------------------------------


def _nps_counts(histogram: Histogram) -> tuple[int, int, int]:
    """Return (promoters, detractors, n), rejecting values that are not 0-10 integers."""
    promoters = detractors = n = 0
    for value, c in _clean(histogram).items():
        if not (0 <= value <= 10 and value == int(value)):
            raise ValueError(f"NPS answers must be integers 0-10, got {value!r}")
        n += c
        if value >= 9:
            promoters += c
        elif value <= 6:
            detractors += c
    return promoters, detractors, n


def nps(histogram: Histogram) -> MetricValue:
    """Return the Net Promoter Score (-100..+100) with an adjusted-Wald 95 % interval.

    Count promoters (9-10) and detractors (0-6); NPS = 100·(p - d) on the raw counts.
    Build the interval with the adjusted-Wald method — add 3 to n and ¾ to the promoter and
    detractor counts, centre on NPS_adj and use
    var_adj = (p_adj + d_adj - (p_adj - d_adj)²) / n_adj — because in published comparisons
    it keeps the closest to nominal coverage at small n, where the plain Wald interval is far
    too narrow (zero width when everyone gives the same answer). Clip to [-100, 100].
    """
    promoters, detractors, n = _nps_counts(histogram)
    if n == 0:
        return MetricValue(None, 0, None, None)
    value = 100.0 * (promoters - detractors) / n
    n_adj = n + 3
    p_adj = (promoters + 0.75) / n_adj
    d_adj = (detractors + 0.75) / n_adj
    nps_adj = 100.0 * (p_adj - d_adj)
    var_adj = (p_adj + d_adj - (p_adj - d_adj) ** 2) / n_adj
    half = Z_95 * math.sqrt(var_adj) * 100.0
    return MetricValue(value, n, max(-100.0, nps_adj - half), min(100.0, nps_adj + half))


def nps_variance(histogram: Histogram) -> float:
    """Return the unadjusted sampling variance of NPS in proportion units.

    var = (p + d - (p - d)²) / n: NPS/100 is the mean of a variable scored +1 (promoter),
    0 (passive), -1 (detractor), and this is that mean's variance (population form, as
    published). Multiply by 100² for points². Raise on an empty histogram, which has none.
    """
    promoters, detractors, n = _nps_counts(histogram)
    if n == 0:
        raise ValueError("NPS variance is undefined for an empty histogram")
    p = promoters / n
    d = detractors / n
    return (p + d - (p - d) ** 2) / n


def nps_difference_test(h1: Histogram, h2: Histogram, alpha: float = 0.05) -> SignificanceResult:
    """Test whether two NPS values differ (``significance.nps_difference``), flagged at alpha."""
    from heedback.insights import significance  # it builds on this module's distributions

    return _flagged(significance.nps_difference(h1, h2), alpha)


def _flagged(comparison, alpha: float) -> SignificanceResult:
    return SignificanceResult(
        comparison.statistic, comparison.p_value, comparison.p_value < alpha, comparison.df
    )


# --------------------------------------------------------------------------------------------
# Shares, means, counts
# --------------------------------------------------------------------------------------------


def top_box_share(histogram: Histogram, scale_max: int, boxes: int = 2) -> MetricValue:
    """Return the percentage of answers in the top ``boxes`` points of the scale (CSAT).

    On a 1-5 scale with two boxes that is the share of 4s and 5s. Use the Wilson interval
    (see :func:`wilson_interval`) because top-box shares often sit near 100 %.
    """
    if boxes < 1:
        raise ValueError("boxes must be at least 1")
    cleaned = _clean(histogram)
    for value in cleaned:
        if value > scale_max:
            raise ValueError(f"answer {value!r} is above the scale maximum {scale_max}")
    threshold = scale_max - boxes  # answers strictly above it are in the top boxes
    top = sum(c for value, c in cleaned.items() if value > threshold)
    return _percent_with_wilson(top, _total(cleaned))


def share_yes(histogram: Histogram) -> MetricValue:
    """Return the percentage of "yes" (key 1) among yes/no answers (keys 1 and 0).

    Use the Wilson interval for the same reason as for top-box shares.
    """
    cleaned = _clean(histogram)
    for value in cleaned:
        if value not in (0, 1):
            raise ValueError(f"yes/no histograms use keys 1 (yes) and 0 (no), got {value!r}")
    return _percent_with_wilson(cleaned.get(1, 0), _total(cleaned))


def _mean_and_ss(cleaned: Mapping[int | float, int]) -> tuple[float, float, int]:
    """Return (mean, sum of squared deviations, n) by two passes with exact summation.

    Use two passes and ``math.fsum`` instead of Σx² - n·mean², which cancels catastrophically
    for tight distributions, and so that the result does not depend on bucket order.
    """
    n = _total(cleaned)
    m = math.fsum(value * c for value, c in cleaned.items()) / n
    ss = math.fsum(c * (value - m) ** 2 for value, c in cleaned.items())
    return m, ss, n


def variance(histogram: Histogram) -> float:
    """Return the sample variance (n - 1 denominator) of the answers.

    Use the unbiased form because it feeds t intervals and Welch tests. Raise below two
    answers, where it is undefined.
    """
    cleaned = _clean(histogram)
    n = _total(cleaned)
    if n < 2:
        raise ValueError("sample variance needs at least two answers")
    _, ss, _ = _mean_and_ss(cleaned)
    return ss / (n - 1)


def mean(histogram: Histogram) -> MetricValue:
    """Return the mean answer with a Student-t 95 % interval.

    Use t rather than normal critical values because rating segments are often small and
    the population spread is estimated from the same sample; the t quantile comes from
    :func:`student_t_quantile` (exact inversion, no table). A single answer has no spread
    to estimate, so its interval is ``None``; identical answers give a zero-width interval.
    """
    cleaned = _clean(histogram)
    n = _total(cleaned)
    if n == 0:
        return MetricValue(None, 0, None, None)
    m, ss, _ = _mean_and_ss(cleaned)
    if n == 1:
        return MetricValue(m, 1, None, None)
    half = student_t_quantile(0.975, n - 1) * math.sqrt(ss / (n - 1) / n)
    return MetricValue(m, n, m - half, m + half)


#: Customer Effort Score: the mean of 1-7 answers; same formula, so the same function.
ces = mean


def count(histogram: Histogram) -> MetricValue:
    """Return the number of answers; a count has no sampling interval."""
    n = _total(_clean(histogram))
    return MetricValue(float(n), n, None, None)


# --------------------------------------------------------------------------------------------
# Significance helpers
# --------------------------------------------------------------------------------------------


def two_proportion_test(
    successes1: int, n1: int, successes2: int, n2: int, alpha: float = 0.05
) -> SignificanceResult:
    """Test whether two proportions differ (``significance.two_proportions``), at alpha."""
    from heedback.insights import significance

    return _flagged(significance.two_proportions(successes1, n1, successes2, n2), alpha)


def welch_test(
    mean1: float,
    var1: float,
    n1: int,
    mean2: float,
    var2: float,
    n2: int,
    alpha: float = 0.05,
) -> SignificanceResult:
    """Test whether two means differ (``significance.welch``), flagged at alpha."""
    from heedback.insights import significance

    return _flagged(significance.welch(mean1, var1, n1, mean2, var2, n2), alpha)


def holm(p_values: Iterable[float], alpha: float = 0.05) -> list[bool]:
    """Return which hypotheses Holm's step-down procedure rejects (FWER ≤ alpha), in order.

    Use Holm instead of Bonferroni when a few comparisons must all be trusted: it controls
    the same family-wise error rate and is never less powerful.
    """
    from heedback.insights import significance

    return [p <= alpha for p in significance.holm_adjust(p_values)]


def benjamini_hochberg(p_values: Iterable[float], q: float = 0.05) -> list[bool]:
    """Return which hypotheses Benjamini–Hochberg rejects (FDR ≤ q), in order.

    Use it when scanning many segments for something worth a look: it bounds the expected
    share of false flags rather than the chance of any, so it keeps power as they grow.
    """
    from heedback.insights import significance

    return [p <= q for p in significance.benjamini_hochberg_adjust(p_values)]


# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricSpec:
    """One metric's single definition, shared by dashboards, exports, alerts and targets.

    ``compute(histogram, scale_max)`` takes the question's scale maximum as second
    argument; metrics that do not depend on the scale ignore it.
    """

    key: str
    label: str
    question_types: frozenset[str]
    unit: str  # "points", "percent", "score" or "answers"
    compute: Callable[[Histogram, int], MetricValue]


def _nps_metric(histogram: Histogram, scale_max: int) -> MetricValue:
    return nps(histogram)


def _csat_metric(histogram: Histogram, scale_max: int) -> MetricValue:
    return top_box_share(histogram, scale_max, boxes=2)


def _mean_metric(histogram: Histogram, scale_max: int) -> MetricValue:
    return mean(histogram)


def _share_yes_metric(histogram: Histogram, scale_max: int) -> MetricValue:
    return share_yes(histogram)


def _count_metric(histogram: Histogram, scale_max: int) -> MetricValue:
    return count(histogram)


def response_rate(histogram: Histogram) -> MetricValue:
    """Return the percentage of sent invitations that were answered, with a Wilson interval.

    The histogram counts invitations: key 1 the answered ones, key 0 the others, so n is
    the number sent and the rate is a share like "yes" (see :func:`share_yes`).
    """
    return share_yes(histogram)


def _response_rate_metric(histogram: Histogram, scale_max: int) -> MetricValue:
    return response_rate(histogram)


#: Metrics of no question: the survey's answers, or its invitations (``response_rate``).
SURVEY_METRICS = frozenset({"count", "response_rate"})


METRICS: dict[str, MetricSpec] = {
    spec.key: spec
    for spec in (
        MetricSpec("nps", "NPS", frozenset({"nps"}), "points", _nps_metric),
        MetricSpec("csat", "CSAT (top-2-box)", frozenset({"rating"}), "percent", _csat_metric),
        MetricSpec("mean", "Mean", frozenset({"nps", "rating", "ces"}), "score", _mean_metric),
        MetricSpec("ces", "CES", frozenset({"ces"}), "score", _mean_metric),
        MetricSpec("share_yes", "Share yes", frozenset({"yes_no"}), "percent", _share_yes_metric),
        MetricSpec("count", "Answers", QUESTION_TYPES, "answers", _count_metric),
        # Read from the collect app's invitations, not from answers: no question type.
        MetricSpec("response_rate", "Response rate", frozenset(), "percent", _response_rate_metric),
    )
}

_DECIMALS = {"points": 0, "percent": 0, "score": 1, "answers": 0}

#: Shown for a metric without a value (no answers).
EMPTY_DISPLAY = "\u2013"  # en dash


def _round_half_up(value: float, decimals: int) -> Decimal:
    """Round as people do (2.5 → 3), not banker's rounding, on the shortest decimal repr."""
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_value(spec: MetricSpec, value: MetricValue | float | None) -> str:
    """Return the display string for a metric value: "+42", "87%", "4.3", "1,204".

    Round here and only here, so every surface shows the same digits for the same number.
    NPS gets an explicit sign because "+12" and "12%" mean different things; a missing value
    shows as an en dash.
    """
    if isinstance(value, MetricValue):
        value = value.value
    if value is None:
        return EMPTY_DISPLAY
    if spec.unit not in _DECIMALS:
        raise ValueError(f"unknown unit {spec.unit!r}")
    rounded = _round_half_up(float(value), _DECIMALS[spec.unit])
    if rounded == 0:
        rounded = abs(rounded)  # never show "-0" or "+0"
    if spec.unit == "points":
        return f"{rounded:+}" if rounded else "0"
    if spec.unit == "percent":
        return f"{rounded}%"
    if spec.unit == "answers":
        return f"{int(rounded):,}"
    return f"{rounded}"
