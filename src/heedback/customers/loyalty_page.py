"""The loyalty economics page's figures: the organisation's activity, the model, intervals.

A page helper rather than a selector: it composes the customers app's figures with the
interval formula of ``insights.metrics`` (pages may compose several apps; the customers
app's services and selectors may not import insights).
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import QueryDict
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from heedback.customers import economics, selectors, services
from heedback.customers.forms import LoyaltyForm
from heedback.insights import churn
from heedback.insights.metrics import wilson_interval
from heedback.orgs.models import Organisation

#: How long the lapse rate of each NPS band is kept for the what-if (the churn page counts
#: them afresh on each view; this page is for the slower question of what they are worth).
BAND_RATES_SECONDS = 6 * 3600


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
    bands = band_lapse(organisation)
    return {
        "move": _move_what_if(bands, assumptions, figures),
        "bands": bands,
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


def band_lapse(organisation: Organisation) -> dict[str, tuple[int, int]]:
    """Return (lapsed, customers) after each NPS band, as the churn page counts them.

    Counting reads every judged customer's last answer (seconds at a million customers),
    so the result is kept a few hours per organisation.
    """
    # The creation time tells apart two organisations that had the same id in turn.
    key = f"heedback:loyalty-band-lapse:{organisation.pk}:{organisation.created_at.timestamp()}"
    found = cache.get(key)
    if found is None:
        window = churn.ChurnWindow(as_of=timezone.now())
        figures = churn.churn_figures(organisation, selectors.live_customers(organisation), window)
        found = {band.key: (band.lapsed, band.n) for band in figures.nps}
        cache.set(key, found, BAND_RATES_SECONDS)
    return found


def _move_what_if(
    bands: dict[str, tuple[int, int]],
    assumptions: economics.Assumptions,
    figures: economics.Economics,
) -> dict[str, object] | None:
    """Return the detractors what-if, formatted, or None when a band has no customers."""
    (from_lapsed, from_n), (to_lapsed, to_n) = bands["detractor"], bands[assumptions.moved_to]
    if not from_n or not to_n:
        return None
    move = economics.value_of_moving(
        assumptions.moved_detractors, from_lapsed / from_n, to_lapsed / to_n, figures.lifetime_value
    )
    return {
        "moved": move.moved,
        "from_lapse": percent(move.from_lapse),
        "to_lapse": percent(move.to_lapse),
        "from_n": from_n,
        "to_n": to_n,
        "kept": formats.number_format(round(move.kept, 1), decimal_pos=1, use_l10n=True),
        "value": money(move.value),
        "is_promoter": assumptions.moved_to == "promoter",
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
