"""Loyalty economics: what retention is worth, from the organisation's own figures.

Pure arithmetic, free of Django, tested with hand-worked values. The model is the
standard one for customer lifetime value with constant retention:

- a customer active in a period comes back in the next with probability ``r`` (the
  retention rate: the share of last period's customers active again this period);
- while a customer stays they bring ``m`` per period (revenue per active customer times
  the margin), from this period on;
- money a period later is worth ``1 / (1 + i)`` of money now (``i`` the per-period rate
  equivalent to the yearly discount rate ``d``: ``(1 + d) ** (months / 12) - 1``).

Then the lifetime value is ``m * sum_t (r / (1 + i)) ** t = m * (1 + i) / (1 + i - r)``.

The what-if raises ``r`` by ``k`` points. Two consequences are shown: the lifetime value
of today's customers, and the *steady-state* customer base, which at a constant number
of new customers per period is ``new / (1 - r)``, so grows by ``(1 - r) / (1 - r - k) - 1``;
at constant margin, profit grows in proportion. The latter is the figure comparable with
the service-profit chain's "5 points more retention, 25 % to 85 % more profit", which
also counts effects this model leaves out (loyal customers buy more, cost less to serve,
pay premium prices and refer others), so it reads as a floor.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Retention is capped below 1: a model where nobody ever leaves has no finite value.
MAX_RETENTION = 0.99
#: PRODUCT.md: "5% more customer retention can raise profit by 25% to 85%".
RESEARCH_POINTS = 5.0
RESEARCH_PROFIT_LOW = 0.25
RESEARCH_PROFIT_HIGH = 0.85


@dataclass(frozen=True)
class Assumptions:
    """The inputs a manager may change on the page."""

    period_months: int = 12
    discount_rate: float = 0.10  # per year
    margin: float = 1.0  # share of revenue kept as profit; 1 means "value = revenue"
    retention_points: float = 5.0  # the what-if: points of retention more
    moved_detractors: int = 10  # the other what-if: detractors won over
    moved_to: str = "promoter"  # … to passives or to promoters

    def problems(self) -> list[tuple[str, str]]:
        """Return (field, message) for every input out of range."""
        found = []
        if self.period_months not in (1, 3, 6, 12):
            found.append(("period_months", "1, 3, 6 or 12"))
        if not 0 <= self.discount_rate <= 1:
            found.append(("discount_rate", "between 0 and 100 %"))
        if not 0 < self.margin <= 1:
            found.append(("margin", "above 0 and at most 100 %"))
        if not 0 < self.retention_points <= 50:
            found.append(("retention_points", "above 0 and at most 50 points"))
        if not 0 <= self.moved_detractors <= 10_000_000:
            found.append(("moved_detractors", "between 0 and 10,000,000"))
        if self.moved_to not in ("passive", "promoter"):
            found.append(("moved_to", "passive or promoter"))
        return found


@dataclass(frozen=True)
class Activity:
    """What the organisation's interactions say about two consecutive periods."""

    previous_customers: int  # active in the previous period
    retained_customers: int  # of those, active again in the current period
    current_customers: int  # active in the current period
    current_revenue: float  # revenue of the current period


@dataclass(frozen=True)
class Economics:
    """The figures of the loyalty page; ``None`` where the data cannot give them."""

    retention: float | None
    revenue_per_customer: float | None
    period_discount_rate: float
    expected_periods: float | None
    lifetime_value: float | None
    raised_retention: float | None
    raised_lifetime_value: float | None
    lifetime_value_gain: float | None  # share: raised / base - 1
    value_of_points: float | None  # for today's customers
    steady_state_gain: float | None  # share: customer base (and profit) growth


def period_rate(yearly: float, months: int) -> float:
    """Return the per-period discount rate equivalent to a yearly one."""
    return (1 + yearly) ** (months / 12) - 1


def retention_rate(activity: Activity) -> float | None:
    """Return the share of the previous period's customers active again, or None."""
    if activity.previous_customers == 0:
        return None
    return activity.retained_customers / activity.previous_customers


def lifetime_value(per_period: float, retention: float, discount: float) -> float:
    """Return ``per_period * (1 + i) / (1 + i - r)``: this period's value and every later one."""
    retention = min(retention, MAX_RETENTION)
    return per_period * (1 + discount) / (1 + discount - retention)


def steady_state_gain(retention: float, points: float) -> float:
    """Return how much larger the customer base settles at with ``points`` more retention."""
    raised = min(retention + points / 100, MAX_RETENTION)
    retention = min(retention, MAX_RETENTION)
    return (1 - retention) / (1 - raised) - 1


def compute(activity: Activity, assumptions: Assumptions) -> Economics:
    """Return the loyalty figures for the organisation's activity and the assumptions."""
    discount = period_rate(assumptions.discount_rate, assumptions.period_months)
    retention = retention_rate(activity)
    revenue = (
        activity.current_revenue / activity.current_customers
        if activity.current_customers
        else None
    )
    if retention is None or revenue is None:
        return Economics(retention, revenue, discount, *([None] * 7))
    per_period = revenue * assumptions.margin
    raised = min(retention + assumptions.retention_points / 100, MAX_RETENTION)
    base = lifetime_value(per_period, retention, discount)
    higher = lifetime_value(per_period, raised, discount)
    return Economics(
        retention=retention,
        revenue_per_customer=revenue,
        period_discount_rate=discount,
        expected_periods=1 / (1 - min(retention, MAX_RETENTION)),
        lifetime_value=base,
        raised_retention=raised,
        raised_lifetime_value=higher,
        lifetime_value_gain=higher / base - 1 if base else None,
        value_of_points=(higher - base) * activity.current_customers,
        steady_state_gain=steady_state_gain(retention, assumptions.retention_points),
    )


@dataclass(frozen=True)
class MoveWhatIf:
    """The value of moving ``moved`` detractors to another NPS band.

    A moved customer is taken to lapse as often as the band they move to does in the
    organisation's own data, not as often as detractors do; every customer kept that way
    is worth a lifetime value.
    """

    moved: int
    from_lapse: float  # lapse rate after a detractor answer
    to_lapse: float  # lapse rate after an answer in the target band
    kept: float  # customers kept: moved × (from_lapse − to_lapse)
    value: float | None  # kept × lifetime value, None without a lifetime value


def value_of_moving(
    moved: int, from_lapse: float, to_lapse: float, lifetime: float | None
) -> MoveWhatIf:
    """Return how many customers moving ``moved`` detractors keeps, and what they are worth.

    When the target band lapses as often or more (possible in small samples), nobody is
    kept: the what-if claims no value the data does not show.
    """
    kept = moved * max(from_lapse - to_lapse, 0.0)
    value = kept * lifetime if lifetime is not None else None
    return MoveWhatIf(moved, from_lapse, to_lapse, kept, value)
