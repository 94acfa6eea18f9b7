"""The export page: choose a format and the results page's filters, download the file."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heedback.collect import exporting
from heedback.collect.choices import Channel
from heedback.insights.forms import ResultsFilterForm
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units
from heedback.orgs.tenancy import get_scoped_or_404
from heedback.surveys.confidentiality import MINIMUM_RESPONDENTS
from heedback.surveys.models import Survey

FORMAT_CHOICES = [
    ("csv", _("CSV (spreadsheets, any tool)")),
    ("xlsx", _("Excel workbook (XLSX)")),
    ("parquet", _("Parquet (DuckDB, pandas, warehouses)")),
]


class ExportForm(ResultsFilterForm):
    """The results page's period and unit, plus the channel and the file format."""

    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices]
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="csv")


@member_view(Permission.VIEW)
def survey_export(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Show the export form; with ``format`` in the query, send the file."""
    organisation, membership = request.organisation, request.membership
    survey = get_scoped_or_404(Survey, organisation, pk=survey_id)
    if survey.is_confidential:
        context = {"survey": survey, "nav": "surveys", "minimum": MINIMUM_RESPONDENTS}
        return render(request, "collect/export_confidential.html", context, status=403)
    form = ExportForm(visible_units(membership), request.GET or None, initial={"period": "all"})
    if "format" in request.GET and form.is_valid():
        today = timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
        date_from, date_to = form.period_bounds(today)
        query = exporting.ExportQuery(
            organisation=organisation,
            survey=survey,
            date_from=date_from,
            date_to=date_to,
            unit=form.cleaned_data.get("unit"),
            channel=form.cleaned_data.get("channel") or None,
            visible_unit_paths=(membership.unit.path,) if membership.is_unit_scoped else None,
        )
        download = exporting.start_export(
            query, form.cleaned_data["format"], actor=request.user, via="web"
        )
        return send_export(download)
    return render(
        request,
        "collect/export.html",
        {"survey": survey, "form": form, "nav": "surveys"},
        status=400 if form.errors else 200,
    )


def send_export(download: exporting.ExportDownload) -> StreamingHttpResponse:
    """Stream an export as a file download."""
    response = StreamingHttpResponse(download.chunks, content_type=download.content_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response["X-Export-Rows"] = str(download.rows)
    return response
