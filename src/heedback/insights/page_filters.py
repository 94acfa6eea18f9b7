"""What the dashboards share: the survey, period, unit and correction a reader picks, and CSV.

Every dashboard page (overview, unit page, scorecards, comparison) reads the same filters
through :func:`read_filters`, so a link copied from one page means the same on another,
and every table on them downloads through :func:`csv_download`.
"""

from __future__ import annotations

import csv
import zoneinfo
from dataclasses import dataclass
from datetime import date, timedelta
from io import StringIO
from urllib.parse import urlencode

from django import forms
from django.forms.utils import flatatt
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from heedback.collect.exporting import neutralise_cell
from heedback.orgs.forms import FetchedChoiceIterator, UnitChoiceField
from heedback.orgs.models import Membership, Organisation, Unit
from heedback.orgs.selectors import root_unit, visible_units
from heedback.surveys.choices import SurveyKind, SurveyStatus
from heedback.surveys.models import Survey
from heedback.surveys.selectors import surveys_of

PERIODS = [
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 12 months")),
    ("custom", _("Custom dates")),
]
CORRECTION_CHOICES = [
    ("bh", _("Benjamini–Hochberg (few false flags)")),
    ("holm", _("Holm (no false flag)")),
]
DEFAULT_PERIOD = "90"


class QuickSelect(forms.Select):
    """A select written in one pass rather than one template per option.

    The unit filter lists every unit the reader may see (hundreds in a hotel group), and
    Django's per-option templates made drawing it cost more than every figure of a
    dashboard. Same markup: the attributes Django gives the field, one ``<option>`` per
    choice, the chosen one ``selected``.
    """

    def render(self, name, value, attrs=None, renderer=None) -> str:
        chosen = {str(item) for item in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(key), " selected" if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html(
            "<select{}>{}</select>",
            flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name})),
            options,
        )


class FetchedChoiceField(forms.ModelChoiceField):
    """A survey choice read once per page: its select and the default survey share it."""

    iterator = FetchedChoiceIterator


class DashboardFilterForm(forms.Form):
    """Survey, period, unit subtree and multiple-comparison correction; all optional."""

    survey = FetchedChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.none(),
        required=False,
        empty_label=None,
        widget=QuickSelect,
    )
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    correction = forms.ChoiceField(
        label=_("Correction"), choices=CORRECTION_CHOICES, required=False
    )

    def __init__(self, surveys, units, *args, with_unit: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = surveys
        if with_unit:
            self.fields["unit"] = UnitChoiceField(
                queryset=units,
                required=False,
                label=_("Unit"),
                empty_label=_("All my units"),
                widget=QuickSelect,
            )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end comes before the start."))
        return data


@dataclass(frozen=True)
class Filters:
    """The filters as the selectors take them: every field resolved, periods bounded."""

    form: DashboardFilterForm
    organisation: Organisation
    survey: Survey | None
    unit: Unit  # the subtree shown: the chosen unit, else the reader's top unit
    date_from: date
    date_to: date
    correction: str
    visible_unit_paths: tuple[str, ...] | None

    def query_string(self) -> str:
        """Return the filters as URL parameters, for links to the other dashboards."""
        data = self.form.data or {}
        return urlencode({key: data[key] for key in data if key not in ("format", "page")})


def today_of(organisation) -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()


def top_unit(membership: Membership) -> Unit:
    """Return the unit whose subtree a member reads by default: theirs, or the root."""
    if membership.is_unit_scoped:
        return membership.unit
    unit = root_unit(membership.organisation)
    if unit is None:
        raise Http404("The organisation has no units")
    return unit


def default_survey(surveys) -> Survey | None:
    """Return the newest published customer survey, else the newest published, else any.

    Dashboards are about customers first: a staff pulse or a self-assessment published
    after the guest survey must not become what a member lands on.
    """
    surveys = list(surveys)
    published = [survey for survey in surveys if survey.status == SurveyStatus.PUBLISHED]
    customers = [survey for survey in published if survey.kind == SurveyKind.CUSTOMER]
    return (customers or published or surveys or [None])[0]


def read_filters(request: HttpRequest, *, with_unit: bool = True, unit: Unit | None = None):
    """Return the page's :class:`Filters` from the query string (invalid fields ignored)."""
    membership = request.membership
    surveys = surveys_of(request.organisation).order_by("-created_at", "-pk")
    units = visible_units(membership)
    form = DashboardFilterForm(surveys, units, request.GET or None, with_unit=with_unit)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    # Read only when none is chosen, from the form's own list, which its select then reuses.
    survey = data.get("survey") or default_survey(list(form.fields["survey"].queryset))
    today = today_of(request.organisation)
    period = data.get("period") or DEFAULT_PERIOD
    if period == "custom" or data.get("date_from") or data.get("date_to"):
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or date_to - timedelta(days=int(DEFAULT_PERIOD) - 1)
    else:
        date_to, date_from = today, today - timedelta(days=int(period) - 1)
    chosen = unit or data.get("unit") or top_unit(membership)
    visible = (membership.unit.path,) if membership.is_unit_scoped else None
    return Filters(
        form,
        request.organisation,
        survey,
        chosen,
        date_from,
        date_to,
        data.get("correction") or "bh",
        visible,
    )


def csv_download(filename: str, header: list[str], rows) -> HttpResponse:
    """Return a CSV attachment; text cells that a spreadsheet would run are neutralised."""
    buffer = StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise_cell(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
