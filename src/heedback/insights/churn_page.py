"""The churn analysis page: lapse after each answer, the last feedback, themes before lapse.

It shows identified customers (the list of last feedback), so it needs ``VIEW_CUSTOMERS``
and covers the customers the member may see (managers: those served in their subtree).
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedback.collect import win_back
from heedback.customers.selectors import visible_customers
from heedback.insights import charts, churn
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units


class ChurnForm(forms.Form):
    follow_days = forms.IntegerField(
        label=gettext_lazy("Followed at least (days)"),
        min_value=7,
        max_value=730,
        required=False,
        help_text=gettext_lazy("Answers younger than this are left out: too soon to tell."),
    )
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def follow_days_or_default(self) -> int:
        if self.is_valid() and self.cleaned_data.get("follow_days"):
            return self.cleaned_data["follow_days"]
        return churn.FOLLOW_DAYS

    def page_number(self) -> int:
        return (self.cleaned_data.get("page") if self.is_valid() else None) or 1


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return formats.number_format(round(value * 100, 1), decimal_pos=1, use_l10n=True)


def _band_row(band: churn.Band) -> dict[str, object]:
    interval = band.interval
    return {
        "label": band.label,
        "lapsed": band.lapsed,
        "n": band.n,
        "rate": percent(band.rate),
        "interval": f"{percent(interval[0])} – {percent(interval[1])}" if interval else "—",
    }


def _comparison_row(comparison: churn.Comparison) -> dict[str, object]:
    return {
        "label": f"{comparison.first.label} · {comparison.second.label}",
        "difference": percent(comparison.difference),
        "p_value": formats.number_format(round(comparison.p_value, 4), decimal_pos=4),
        "is_significant": comparison.is_significant,
    }


def _chart(bands: list[churn.Band]) -> str:
    points = [
        charts.Point(
            band.label,
            band.rate * 100 if band.rate is not None else None,
            band.interval[0] * 100 if band.interval else None,
            band.interval[1] * 100 if band.interval else None,
            band.n < 30,
        )
        for band in bands
        if band.n
    ]
    if len(points) < 2:
        return ""
    return charts.trend(
        points,
        # xgettext:no-python-format
        title=_("Lapse rate by NPS band, with 95% interval"),
        lowest=0,
        highest=100,
    )


@member_view(Permission.VIEW_CUSTOMERS)
def churn_analysis(request: HttpRequest) -> HttpResponse:
    """Show who lapses after which answer, what they said last, and the themes before lapse."""
    organisation = request.organisation
    form = ChurnForm(request.GET or None)
    window = churn.ChurnWindow(as_of=timezone.now(), follow_days=form.follow_days_or_default())
    customers = visible_customers(request.membership)
    figures = churn.churn_figures(organisation, customers, window)
    page = form.page_number()
    feedback = churn.lapsed_with_last_feedback(
        organisation,
        customers,
        window,
        offset=(page - 1) * churn.FEEDBACK_PAGE,
        limit=churn.FEEDBACK_PAGE + 1,
    )
    context = {
        "nav": "customers",
        "form": form,
        "window": window,
        "figures": figures,
        "bands": [_band_row(band) for band in figures.nps],
        "comparisons": [_comparison_row(item) for item in figures.nps_comparisons],
        "domains": [
            {
                "name": domain.name,
                "low": _band_row(domain.low),
                "high": _band_row(domain.high),
                "comparison": _comparison_row(domain.comparison) if domain.comparison else None,
            }
            for domain in figures.domains
        ],
        "chart": _chart(figures.nps),
        "feedback": feedback[: churn.FEEDBACK_PAGE],
        "page": page,
        "has_next": len(feedback) > churn.FEEDBACK_PAGE,
        "themes": [
            {
                "name": lift.name,
                "lapsed": f"{lift.lapsed_mentioning} / {lift.lapsed_writing}",
                "lapsed_share": percent(lift.lapsed_share),
                "stayed": f"{lift.stayed_mentioning} / {lift.stayed_writing}",
                "stayed_share": percent(lift.stayed_share),
                "lift": formats.number_format(round(lift.lift, 2), decimal_pos=2)
                if lift.lift is not None
                else "—",
            }
            for lift in churn.themes_before_lapse(organisation, customers, window)[:20]
        ],
        # What lapsed customers say themselves, from the win-back survey (its own page).
        "win_back": win_back.reason_tally(organisation, visible_units(request.membership)),
    }
    return render(request, "insights/churn.html", context)
