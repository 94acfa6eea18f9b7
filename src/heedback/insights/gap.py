"""The perception gap: how staff rate their own delivery beside how customers rate it.

Pure functions, no Django. Both sides are moments (count, Σ, Σ²) of ratings put on one
0–100 score, so a self-assessment on 1–5 and a customer survey on 1–10 compare fairly; the
difference is tested with Welch's t-test (unequal variances: a dozen staff against
hundreds of customers), and Holm's correction is applied across the cells shown together,
so that one table of fifty cells does not turn up "significant" gaps by chance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from heedback.insights.drivers import Moments, WelchResult, holm_adjusted, welch_test

SIGNIFICANCE_LEVEL = 0.05


@dataclass(frozen=True)
class GapCell:
    """One domain in one place: the staff's own rating, the customers' and their test."""

    domain: str
    staff: Moments
    customers: Moments
    test: WelchResult | None
    adjusted_p_value: float | None
    is_small: bool

    @property
    def gap(self) -> float | None:
        """Return staff minus customers, in points of the 0–100 score."""
        if self.staff.mean is None or self.customers.mean is None:
            return None
        return self.staff.mean - self.customers.mean

    @property
    def is_significant(self) -> bool:
        return (
            not self.is_small
            and self.adjusted_p_value is not None
            and self.adjusted_p_value < SIGNIFICANCE_LEVEL
        )


def compare(
    cells: Sequence[tuple[str, Moments, Moments]], *, minimum_customers: int
) -> list[GapCell]:
    """Test each (domain, staff, customers) triple and adjust the p-values together.

    A cell with fewer customer answers than ``minimum_customers`` (the organisation's
    minimum sample), or fewer than two staff answers, is marked small: shown, never called
    significant, and left out of the correction.
    """
    tests = [welch_test(staff, customers) for _domain, staff, customers in cells]
    small = [customers.n < minimum_customers or staff.n < 2 for _domain, staff, customers in cells]
    adjusted = holm_adjusted(
        [
            None if is_small or test is None else test.p_value
            for test, is_small in zip(tests, small, strict=True)
        ]
    )
    return [
        GapCell(domain, staff, customers, test, p, is_small)
        for (domain, staff, customers), test, p, is_small in zip(
            cells, tests, adjusted, small, strict=True
        )
    ]


def add_moments(into: dict, key, moments: Moments) -> None:
    """Add moments to ``into[key]`` (a dict of running totals)."""
    into[key] = into.get(key, Moments()) + moments


def both_sides(
    staff: Mapping[str, Moments], customers: Mapping[str, Moments], order: Sequence[str]
) -> list[tuple[str, Moments, Moments]]:
    """Return the domains rated on both sides, in the taxonomy's order."""
    return [
        (domain, staff[domain], customers[domain])
        for domain in order
        if domain in staff and domain in customers
    ]
