"""The loyalty economics page's figures: the organisation's activity, the model, intervals.

A page helper rather than a selector: it composes the customers app's figures with the
interval formula of ``insights.metrics`` (pages may compose several apps; the customers
app's services and selectors may not import insights).
"""

from __future__ import annotations

from django.http import QueryDict
from django.utils import formats
from django.utils.translation import gettext as _

from heedback.customers import economics, selectors, services
from heedback.customers.forms import LoyaltyForm
from heedback.insights.metrics import wilson_interval
from heedback.orgs.models import Organisation


def money(value: float | None) -> str:
    if value is None:
        return "—"
    return formats.number_format(round(value, 2), decimal_pos=2, use_l10n=True, force_grouping=True)


def percent(share: float | None, decimals: int = 1) -> str:
    if share is None:
        return "—"
    return formats.number_format(round(share * 100, decimals), decimal_pos=decimals, use_l10n=True)


def loyalty_context(organisation: Organisation, data: QueryDict | None) -> dict[str, object]:
    """Return the loyalty page's context for the assumptions in ``data`` (the defaults if none)."""
    form = LoyaltyForm(data)
    assumptions = form.assumptions()
    if data is None:
        form = LoyaltyForm(initial=LoyaltyForm.initial_for(assumptions))
    counted = services.latest_loyalty_activity(organisation, assumptions.period_months)
    activity, counted_at = counted.activity, counted.counted_at
    periods = selectors.periods_ending(organisation, counted.end_day, assumptions.period_months)
    figures = economics.compute(activity, assumptions)
    return {
        "form": form,
        "assumptions": assumptions,
        "periods": periods,
        "counted_at": counted_at,
        "activity": activity,
        "figures": figures,
        "display": _display(activity, assumptions, figures),
        "is_small": activity.previous_customers < organisation.minimum_sample,
        "minimum_sample": organisation.minimum_sample,
        "research_points": economics.RESEARCH_POINTS,
        "research_low": percent(economics.RESEARCH_PROFIT_LOW, 0),
        "research_high": percent(economics.RESEARCH_PROFIT_HIGH, 0),
    }


def _display(
    activity: economics.Activity,
    assumptions: economics.Assumptions,
    figures: economics.Economics,
) -> dict[str, str]:
    """Return every figure of the page formatted, with the retention interval and its effect."""
    shown = {
        "retention": percent(figures.retention),
        "revenue_per_customer": money(figures.revenue_per_customer),
        "lifetime_value": money(figures.lifetime_value),
        "raised_retention": percent(figures.raised_retention),
        "raised_lifetime_value": money(figures.raised_lifetime_value),
        "lifetime_value_gain": percent(figures.lifetime_value_gain),
        "value_of_points": money(figures.value_of_points),
        "steady_state_gain": percent(figures.steady_state_gain),
        "expected_periods": formats.number_format(round(figures.expected_periods, 1), 1)
        if figures.expected_periods
        else "—",
        "period_discount": percent(figures.period_discount_rate, 2),
        "retention_interval": "",
        "lifetime_value_interval": "",
        "research_gain": "—",
    }
    if figures.retention is None or figures.revenue_per_customer is None:
        return shown
    low, high = wilson_interval(activity.retained_customers, activity.previous_customers)
    per_period = figures.revenue_per_customer * assumptions.margin
    discount = figures.period_discount_rate
    shown["retention_interval"] = _("%(low)s%% to %(high)s%%") % {
        "low": percent(low),
        "high": percent(high),
    }
    shown["lifetime_value_interval"] = _("%(low)s to %(high)s") % {
        "low": money(economics.lifetime_value(per_period, low, discount)),
        "high": money(economics.lifetime_value(per_period, high, discount)),
    }
    shown["research_gain"] = percent(
        economics.steady_state_gain(figures.retention, economics.RESEARCH_POINTS)
    )
    return shown
