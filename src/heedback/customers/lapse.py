"""Lapse detection: has a customer who had a rhythm stopped coming back?

Pure functions over one customer's interaction times, free of Django, so that the rule can
be tested alone, explained on the page, and checked against an independent computation.

**The rule.** Interactions less than twelve hours apart are one visit (an order and a
service call during one stay). The *gaps* are the times between consecutive visits. A
customer has a rhythm once they have ``minimum_visits`` visits (three by default, so at
least two gaps). Then, with ``t`` the time since their last visit:

- *lapsed* when ``t`` exceeds the ``lapse_quantile`` (0.9) of their own gaps: nine in ten of
  their past returns came sooner, so this absence is unusual *for them*;
- *at risk* when ``t`` exceeds the ``at_risk_quantile`` (0.75) of their gaps but they are not
  yet lapsed: overdue, still in time for a call;
- with fewer than ``own_history_gaps`` (5) gaps a high quantile of their own history is
  little more than its largest gap, so the threshold is at least the organisation's
  ``fallback_gap_days``: a short history never flags a lapse sooner than that.

Quantiles interpolate linearly between order statistics (Hyndman and Fan's type 7, the
default of numpy, pandas and PostgreSQL's ``percentile_cont``), so the database and this
module give the same thresholds.

Nothing here depends on the current time except :func:`status_at`: a rhythm is stored as the
instants at which the customer *becomes* at risk and lapsed, so time passing changes no
stored row, and a list of lapsed customers is an indexed comparison with now.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

#: Interactions closer than this are one visit.
SAME_VISIT_SECONDS = 12 * 3600
SECONDS_PER_DAY = 86400


class Basis(StrEnum):
    """Which history a customer's threshold comes from (``choices.LapseBasis`` mirrors it)."""

    OWN = "own"
    FALLBACK = "fallback"
    TOO_FEW = "too_few"


@dataclass(frozen=True)
class LapseRule:
    """An organisation's lapse parameters (``LapseSettings`` stores them)."""

    lapse_quantile: float = 0.9
    at_risk_quantile: float = 0.75
    minimum_visits: int = 3
    own_history_gaps: int = 5
    fallback_gap_days: float = 60.0

    def problems(self) -> list[tuple[str, str]]:
        """Return (field, message) for every parameter out of range; empty when valid."""
        found = []
        if not 0.5 <= self.lapse_quantile < 1:
            found.append(("lapse_quantile", "between 0.5 and 0.99"))
        if not 0 < self.at_risk_quantile < self.lapse_quantile:
            found.append(("at_risk_quantile", "above 0 and below the lapse quantile"))
        if not 3 <= self.minimum_visits <= 100:
            found.append(("minimum_visits", "between 3 and 100"))
        if not 2 <= self.own_history_gaps <= 100:
            found.append(("own_history_gaps", "between 2 and 100"))
        if not 1 <= self.fallback_gap_days <= 3650:
            found.append(("fallback_gap_days", "between 1 and 3650 days"))
        return found

    @property
    def fallback_seconds(self) -> float:
        return self.fallback_gap_days * SECONDS_PER_DAY


@dataclass(frozen=True)
class Rhythm:
    """What a customer's history says, independent of today: stored on the customer.

    Gaps are in seconds. ``lapse_gap`` and ``at_risk_gap`` are ``None`` without a rhythm.
    """

    visits: int
    first_at: datetime | None
    last_at: datetime | None
    basis: Basis
    gap_count: int = 0
    typical_gap: float | None = None
    at_risk_gap: float | None = None
    lapse_gap: float | None = None

    @property
    def at_risk_at(self) -> datetime | None:
        """Return the instant the customer becomes at risk, if they keep away."""
        return _after(self.last_at, self.at_risk_gap)

    @property
    def lapse_at(self) -> datetime | None:
        """Return the instant the customer lapses, if they keep away."""
        return _after(self.last_at, self.lapse_gap)


def _after(moment: datetime | None, seconds: float | None) -> datetime | None:
    if moment is None or seconds is None:
        return None
    return moment + timedelta(seconds=seconds)


def visit_gaps(times: Iterable[datetime]) -> list[float]:
    """Return the gaps in seconds between consecutive visits, in time order.

    Interactions closer than ``SAME_VISIT_SECONDS`` belong to one visit, so their gap is
    dropped; the input may be in any order.
    """
    ordered = sorted(times)
    gaps = []
    for earlier, later in itertools.pairwise(ordered):
        gap = (later - earlier).total_seconds()
        if gap >= SAME_VISIT_SECONDS:
            gaps.append(gap)
    return gaps


def quantile(values: Sequence[float], q: float) -> float:
    """Return the ``q`` quantile of ``values`` with linear interpolation (type 7)."""
    if not values:
        raise ValueError("the quantile of nothing is undefined")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def thresholds(
    gaps: Sequence[float], rule: LapseRule
) -> tuple[Basis, float | None, float | None, float | None]:
    """Return (basis, typical gap, at-risk gap, lapse gap) for a customer's gaps.

    The database path (``lapse_sql``) computes the same with ``percentile_cont``.
    """
    if len(gaps) + 1 < rule.minimum_visits:
        return Basis.TOO_FEW, None, None, None
    typical = quantile(gaps, 0.5)
    at_risk = quantile(gaps, rule.at_risk_quantile)
    own = quantile(gaps, rule.lapse_quantile)
    if len(gaps) >= rule.own_history_gaps:
        return Basis.OWN, typical, at_risk, own
    return Basis.FALLBACK, typical, at_risk, max(own, rule.fallback_seconds)


def rhythm_of(times: Iterable[datetime], rule: LapseRule) -> Rhythm:
    """Return the rhythm of a customer from the times of their interactions."""
    ordered = sorted(times)
    if not ordered:
        return Rhythm(visits=0, first_at=None, last_at=None, basis=Basis.TOO_FEW)
    gaps = visit_gaps(ordered)
    basis, typical, at_risk, lapse = thresholds(gaps, rule)
    return Rhythm(
        visits=len(gaps) + 1,
        first_at=ordered[0],
        last_at=ordered[-1],
        basis=basis,
        gap_count=len(gaps),
        typical_gap=typical,
        at_risk_gap=at_risk,
        lapse_gap=lapse,
    )


@dataclass(frozen=True)
class Reason:
    """Why a customer has the status they have: a code and the numbers behind it.

    ``customers.explain`` turns a reason into a translated sentence.
    """

    code: str
    values: dict[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class LapseStatus:
    """A customer's lapse status at one moment, with the reasons for it."""

    lapsed: bool
    lapsed_since: datetime | None
    at_risk: bool
    at_risk_since: datetime | None
    reasons: tuple[Reason, ...]


def status_at(rhythm: Rhythm, now: datetime) -> LapseStatus:
    """Return whether the customer is lapsed or at risk at ``now``, and why.

    At risk and lapsed exclude each other: a lapsed customer is past being at risk.
    """
    if rhythm.lapse_gap is None or rhythm.last_at is None:
        reason = Reason("too_few_visits", {"visits": rhythm.visits})
        return LapseStatus(False, None, False, None, (reason,))
    absent_days = max((now - rhythm.last_at).total_seconds(), 0.0) / SECONDS_PER_DAY
    values: dict[str, float | int | str] = {
        "absent_days": absent_days,
        "typical_days": (rhythm.typical_gap or 0.0) / SECONDS_PER_DAY,
        "at_risk_days": (rhythm.at_risk_gap or 0.0) / SECONDS_PER_DAY,
        "lapse_days": rhythm.lapse_gap / SECONDS_PER_DAY,
        "gaps": rhythm.gap_count,
        "basis": rhythm.basis.value,
    }
    lapse_at, at_risk_at = rhythm.lapse_at, rhythm.at_risk_at
    if lapse_at is not None and now > lapse_at:
        reasons = [Reason("lapsed", values)]
        if rhythm.basis == Basis.FALLBACK:
            reasons.append(Reason("short_history", values))
        return LapseStatus(True, lapse_at, False, None, tuple(reasons))
    if at_risk_at is not None and now > at_risk_at:
        return LapseStatus(False, None, True, at_risk_at, (Reason("overdue", values),))
    return LapseStatus(False, None, False, None, (Reason("on_rhythm", values),))
