"""The comparison view: every metric of a survey for two periods, two units or two channels.

The rows come from ``comparisons.compare_sides`` (two grouped reads of the metric engine);
the p-values are adjusted over the rows of the page, with the correction the reader picks.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedback.collect.choices import Channel
from heedback.insights import comparisons
from heedback.insights.change_marks import change_mark
from heedback.insights.metrics import format_value
from heedback.insights.page_filters import csv_download, read_filters, top_unit
from heedback.orgs.access import member_view
from heedback.orgs.forms import UnitChoiceField
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units

MODES = [
    ("periods", gettext_lazy("Two periods")),
    ("units", gettext_lazy("Two units")),
    ("channels", gettext_lazy("Two channels")),
]
CSV_HEADER = [
    "question",
    "metric",
    "first",
    "first_n",
    "second",
    "second_n",
    "difference",
    "standard_error",
    "statistic",
    "p_value",
    "adjusted_p_value",
    "significant",
]


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ComparisonForm(forms.Form):
    """What the two sides are; a side left blank falls back to a sensible default."""

    mode = forms.ChoiceField(label=gettext_lazy("Compare"), choices=MODES, required=False)
    second_from = _date_field(gettext_lazy("Second period from"))
    second_to = _date_field(gettext_lazy("Second period to"))
    second_channel = forms.ChoiceField(
        label=gettext_lazy("Second channel"),
        choices=[("", "—"), *Channel.choices],
        required=False,
    )
    first_channel = forms.ChoiceField(
        label=gettext_lazy("First channel"), choices=[("", "—"), *Channel.choices], required=False
    )

    def __init__(self, units, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["second_unit"] = UnitChoiceField(
            queryset=units, required=False, label=gettext_lazy("Second unit")
        )
        self.order_fields(
            ["mode", "second_from", "second_to", "second_unit", "first_channel", "second_channel"]
        )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("second_from"), data.get("second_to")
        if start and end and start > end:
            self.add_error("second_to", _("The end comes before the start."))
        return data


def _sides(
    filters, data: dict, membership
) -> tuple[str, comparisons.Side, comparisons.Side, list[str]]:
    """Return the mode, both sides and their names; the first side is the page's filters."""
    mode = data.get("mode") or "periods"
    first_from, first_to = filters.date_from, filters.date_to
    unit = filters.unit
    if mode == "units":
        # By default a unit is compared with everything the reader sees (the organisation).
        other = data.get("second_unit") or top_unit(membership)
        return (
            mode,
            comparisons.Side(first_from, first_to, unit.path),
            comparisons.Side(first_from, first_to, other.path),
            [unit.name, other.name],
        )
    if mode == "channels":
        first_channel = data.get("first_channel") or Channel.WEB
        second_channel = data.get("second_channel") or Channel.EMAIL
        return (
            mode,
            comparisons.Side(first_from, first_to, unit.path, first_channel),
            comparisons.Side(first_from, first_to, unit.path, second_channel),
            [str(Channel(first_channel).label), str(Channel(second_channel).label)],
        )
    second_from, second_to = comparisons.previous_period(first_from, first_to)
    second_from = data.get("second_from") or second_from
    second_to = data.get("second_to") or second_to
    return (
        "periods",
        comparisons.Side(first_from, first_to, unit.path),
        comparisons.Side(second_from, second_to, unit.path),
        [_period_name(first_from, first_to), _period_name(second_from, second_to)],
    )


def _period_name(first: date, last: date) -> str:
    return f"{first.isoformat()} – {last.isoformat()}"


@member_view(Permission.VIEW)
def compare(request: HttpRequest) -> HttpResponse:
    """Show every metric of a survey on two sides, with differences and adjusted p-values."""
    filters = read_filters(request)
    units = visible_units(request.membership)
    form = ComparisonForm(units, request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    mode, first, second, names = _sides(filters, data, request.membership)
    minimum = request.organisation.minimum_sample
    rows = []
    if filters.survey is not None:
        rows = comparisons.compare_sides(
            filters.survey,
            first,
            second,
            minimum_sample=minimum,
            correction=filters.correction,
            visible_unit_paths=filters.visible_unit_paths,
        )
    if request.GET.get("format") == "csv":
        return csv_download("comparison.csv", CSV_HEADER, [_csv_row(row) for row in rows])
    return render(
        request,
        "insights/compare.html",
        {
            "nav": "dashboard",
            "filters": filters,
            "form": form,
            "mode": mode,
            "names": names,
            "minimum_sample": minimum,
            "rows": [_row_view(row, minimum) for row in rows],
            "tested": sum(row.comparison is not None for row in rows),
        },
    )


def _row_view(row: comparisons.MetricComparison, minimum: int) -> dict:
    spec = row.metric
    return {
        "row": row,
        "first": format_value(spec, row.first),
        "second": format_value(spec, row.second),
        "is_small": min(row.first.n, row.second.n) < minimum,
        "change": change_mark(row, minimum),
    }


def _csv_row(row: comparisons.MetricComparison) -> list:
    test = row.comparison
    return [
        row.question.key,
        row.metric.key,
        row.first.value,
        row.first.n,
        row.second.value,
        row.second.n,
        test.difference if test else None,
        test.standard_error if test else None,
        test.statistic if test else None,
        test.p_value if test else None,
        row.adjusted_p_value,
        row.is_significant,
    ]
