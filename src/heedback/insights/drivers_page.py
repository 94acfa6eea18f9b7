"""The drivers page of a survey: which domains move the outcome, and where improvement pays.

A thin adapter over ``driver_selectors.analyse_drivers``: the filters (outcome, period,
unit, bootstrap on request), the importance–performance chart as server SVG with its table,
the same table as CSV, and every warning in words.
"""

from __future__ import annotations

import csv
import zoneinfo

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedback.core.errors import InvalidInput
from heedback.insights import charts, drivers
from heedback.insights.driver_selectors import (
    DriverQuery,
    DriverResult,
    analyse_drivers,
    outcome_questions,
)
from heedback.insights.driver_usage import DriverAnalysisUseIn, record_driver_analysis_use
from heedback.insights.forms import ResultsFilterForm
from heedback.insights.selectors import survey_questions
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units
from heedback.orgs.tenancy import get_scoped_or_404
from heedback.surveys.models import Survey
from heedback.surveys.selectors import domains_of

QUADRANT_LABELS = {
    drivers.FIX_FIRST: gettext_lazy("Fix first"),
    drivers.KEEP_UP: gettext_lazy("Keep up"),
    drivers.POSSIBLE_OVERKILL: gettext_lazy("Possible overkill"),
    drivers.LOW_PRIORITY: gettext_lazy("Low priority"),
}


class DriverFilterForm(ResultsFilterForm):
    """The results filters plus the outcome and whether to draw bootstrap intervals."""

    def __init__(self, units, outcomes, *args, **kwargs) -> None:
        super().__init__(units, *args, **kwargs)
        self.fields["outcome"] = forms.ChoiceField(
            label=_("Outcome"),
            choices=[(question.key, question.text) for question in outcomes],
            required=False,
        )
        self.fields["intervals"] = forms.BooleanField(
            label=_("Bootstrap intervals (slower: resamples the responses)"), required=False
        )


@member_view(Permission.VIEW)
def survey_drivers(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Show (or, with ``format=csv``, download) the key drivers of a survey's outcome."""
    organisation, membership = request.organisation, request.membership
    survey = get_scoped_or_404(
        Survey.objects.select_related("published_version"), organisation, pk=survey_id
    )
    outcomes = outcome_questions(survey_questions(survey))
    form = DriverFilterForm(
        visible_units(membership), outcomes, request.GET or None, initial={"period": "365"}
    )
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
    date_from, date_to = form.period_bounds(today)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    result = None
    if outcomes:
        result = analyse_drivers(
            DriverQuery(
                organisation=organisation,
                survey=survey,
                outcome_key=data.get("outcome") or None,
                unit=data.get("unit"),
                date_from=date_from,
                date_to=date_to,
                visible_unit_paths=(membership.unit.path,) if membership.is_unit_scoped else None,
                with_bootstrap=bool(data.get("intervals")),
            )
        )
        analysed = data.get("unit") or (membership.unit if membership.is_unit_scoped else None)
        record_driver_analysis_use(
            DriverAnalysisUseIn(organisation, analysed, membership, "page", timezone.now())
        )
    domains = dict(domains_of(organisation).values_list("key", "name"))
    rows = [_row_view(row, domains) for row in result.rows] if result else []
    if request.GET.get("format") == "csv" and result is not None:
        return _csv(survey, result, rows)
    return render(
        request,
        "insights/drivers.html",
        {
            "survey": survey,
            "nav": "surveys",
            "form": form,
            "date_from": date_from,
            "date_to": date_to,
            "unit": data.get("unit"),
            "result": result,
            "rows": rows,
            "chart": _chart(rows) if rows else "",
            "warnings": _warnings(result, domains) if result else [],
            "problem": _problem(result) if result else _("The survey has no outcome question."),
            "csv_query": _with_csv(request),
        },
    )


#: How many drivers the overview shows; the drivers page has them all.
TOP_DRIVERS = 3


def top_drivers(organisation, filters) -> dict:
    """Return the overview's top drivers: the most important predictors of the first outcome.

    Ranked by their share of R² (general dominance), the same importance the drivers page
    charts; a driver whose coefficient is not significant says so rather than being hidden.
    """
    try:
        result = analyse_drivers(
            DriverQuery(
                organisation=organisation,
                survey=filters.survey,
                unit=filters.unit,
                date_from=filters.date_from,
                date_to=filters.date_to,
                visible_unit_paths=filters.visible_unit_paths,
            )
        )
    except InvalidInput as refused:  # a survey without an outcome (a re-survey, mentions)
        return {"result": None, "rows": [], "problem": refused.message}
    domains = dict(domains_of(organisation).values_list("key", "name"))
    ranked = sorted(
        result.rows,
        key=lambda row: row.share if row.share is not None else abs(row.beta),
        reverse=True,
    )
    return {
        "result": result,
        "rows": [_row_view(row, domains) for row in ranked[:TOP_DRIVERS]],
        "problem": _problem(result),
    }


def _row_view(row, domains: dict[str, str]) -> dict:
    return {
        "row": row,
        "label": domains.get(row.domain or "", "") or row.text,
        "quadrant": QUADRANT_LABELS.get(row.quadrant, ""),
    }


def _chart(rows: list[dict]) -> str:
    marks = [
        charts.QuadrantMark(
            item["label"],
            item["row"].share if item["row"].share is not None else abs(item["row"].beta),
            item["row"].performance or 0.0,
            item["row"].is_significant,
        )
        for item in rows
        if item["row"].performance is not None
    ]
    return charts.quadrant(
        marks,
        title=_("Importance (share of R²) against performance (score out of 100)"),
        corner_labels=tuple(
            str(QUADRANT_LABELS[key])
            for key in (
                drivers.FIX_FIRST,
                drivers.KEEP_UP,
                drivers.POSSIBLE_OVERKILL,
                drivers.LOW_PRIORITY,
            )
        ),
        axis_labels=(_("Performance"), _("Importance")),
    )


def _warnings(result: DriverResult, domains: dict[str, str]) -> list[str]:
    texts = {question.key: question.text for question in result.predictors}
    messages = []
    for warning in result.warnings:
        values = dict(warning.values)
        if "keys" in values:
            values["keys"] = ", ".join(texts.get(key, key) for key in values["keys"])
        messages.append(str(_WARNING_TEXTS[warning.code] % values))
    return messages


_WARNING_TEXTS = {
    "small_sample": gettext_lazy(
        "Only %(n)s responses for %(predictors)s drivers: at least %(needed)s are needed "
        "for stable importance. Treat the ranking as a hint."
    ),
    "collinearity": gettext_lazy(
        "The drivers move together (condition index %(condition_number)s): their separate "
        "coefficients are unreliable; the Shapley shares are more robust."
    ),
    "high_vif": gettext_lazy(
        "These drivers are largely explained by the others (VIF above %(limit)s): %(keys)s."
    ),
    "pairwise": gettext_lazy(
        "Not everyone answered every question: each correlation uses the responses that "
        "answered both (from %(n)s to %(largest_n)s); tests use the smallest count."
    ),
    "dropped": gettext_lazy("Left out, for lack of variation alongside the outcome: %(keys)s."),
    "too_many_for_shapley": gettext_lazy(
        "More than %(limit)s drivers: the Shapley shares are not computed; importance is |β|."
    ),
}


def _problem(result: DriverResult) -> str:
    if result.problem is None:
        return ""
    return {
        "no_predictors": _("The survey has no domain ratings to explain the outcome with."),
        "too_few": _("Too few responses in this period to estimate drivers."),
        "constant_outcome": _("Everyone gave the outcome the same answer: nothing to explain."),
    }.get(
        result.problem,
        _("The ratings cannot be separated from each other in this period (they are redundant)."),
    )


def _csv(survey: Survey, result: DriverResult, rows: list[dict]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="drivers-{survey.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "question",
            "driver",
            "beta",
            "standard_error",
            "t",
            "p_value",
            "shapley_r2",
            "share_of_r2",
            "performance",
            "answered",
            "quadrant",
            "share_low",
            "share_high",
            "n",
            "r_squared",
        ]
    )
    for item in rows:
        row = item["row"]
        interval = row.share_interval
        writer.writerow(
            [
                row.key,
                item["label"],
                _number(row.beta),
                _number(row.standard_error),
                _number(row.t),
                _number(row.p_value),
                _number(row.shapley),
                _number(row.share),
                _number(row.performance),
                row.answered,
                row.quadrant or "",
                _number(interval.low if interval else None),
                _number(interval.high if interval else None),
                result.n,
                _number(result.r_squared),
            ]
        )
    return response


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _with_csv(request: HttpRequest) -> str:
    params = request.GET.copy()
    params["format"] = "csv"
    return params.urlencode()
