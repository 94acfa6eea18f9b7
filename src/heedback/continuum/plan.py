"""The service plan's arithmetic: what each target measures and how an actual stands against it.

Pure Python, tested without a database. A target is *on track* when the actual meets it;
*missed* only when the whole 95 % interval of the actual lies on the wrong side of it, so
that noise in a small sample is never reported as a miss; *at risk* in between (the actual
falls short but the data cannot yet tell a real shortfall from chance). An actual without
an interval (too few to compute one) that falls short is at risk, never missed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from heedback.insights.metrics import Z_95


class PlanMetric(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    RESPONSE_HOURS = "response_hours"  # time to first action on a case, median, hours
    CLOSED_IN_TIME = "closed_in_time"  # share of decided cases resolved by their deadline


@dataclass(frozen=True)
class MetricRule:
    """A plan metric's direction and the range a target may take."""

    higher_is_better: bool
    lowest: float
    highest: float
    reads_responses: bool  # NPS and CSAT come from the plan's survey; the rest from cases


RULES = {
    PlanMetric.NPS: MetricRule(True, -100.0, 100.0, True),
    PlanMetric.CSAT: MetricRule(True, 0.0, 100.0, True),
    PlanMetric.RESPONSE_HOURS: MetricRule(False, 0.01, 24.0 * 90, False),
    PlanMetric.CLOSED_IN_TIME: MetricRule(True, 0.0, 100.0, False),
}


class Standing(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    MISSED = "missed"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class Actual:
    """A measured figure for a target's unit, segment and period, with its 95 % interval."""

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None
    note: str = ""


def judge(metric: PlanMetric, target: float, actual: Actual) -> Standing:
    """Return how ``actual`` stands against ``target`` (see the module's rule)."""
    if actual.value is None or actual.n == 0:
        return Standing.NO_DATA
    rule = RULES[metric]
    meets = actual.value >= target if rule.higher_is_better else actual.value <= target
    if meets:
        return Standing.ON_TRACK
    if actual.low is None or actual.high is None:
        return Standing.AT_RISK
    clearly_short = actual.high < target if rule.higher_is_better else actual.low > target
    return Standing.MISSED if clearly_short else Standing.AT_RISK


def median_with_interval(values: Sequence[float]) -> Actual:
    """Return the median and a distribution-free 95 % interval from order statistics.

    The interval runs between the j-th and k-th smallest values with
    j = ⌊n/2 − 1.96·√n/2⌋ and k = ⌈1 + n/2 + 1.96·√n/2⌉ (the normal approximation to
    the binomial count of values below the median); it needs no assumption about the shape of
    response times, which are skewed. Below six values there is no useful interval.
    """
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return Actual(None, 0)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    if n < 6:
        return Actual(median, n)
    half = Z_95 * math.sqrt(n) / 2
    j = max(1, math.floor(n / 2 - half))
    k = min(n, math.ceil(1 + n / 2 + half))
    return Actual(median, n, ordered[j - 1], ordered[k - 1])
