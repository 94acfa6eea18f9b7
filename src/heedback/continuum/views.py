"""Continuum pages: the placement, the questionnaire, the units, the organisation's statements."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heedback.continuum import (
    internal,
    internal_out,
    pdf,
    placement_export,
    presentation,
    selectors,
    services,
)
from heedback.continuum.choices import FACTOR_DESCRIPTIONS, Agreement, FactorChoice, LevelChoice
from heedback.continuum.evidence_history import evidence_history
from heedback.continuum.forms import CustomStatementForm, InternalCustomersForm, SectionForm
from heedback.continuum.instrument import Factor, Level
from heedback.continuum.models import CustomStatement
from heedback.continuum.wording import factor_name
from heedback.core.errors import ServiceError
from heedback.orgs.access import member_view
from heedback.orgs.forms import apply_service_error
from heedback.orgs.models import Membership, Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units
from heedback.orgs.tenancy import get_scoped_or_404


def _scope(request: HttpRequest, membership: Membership) -> Unit | None:
    """Return the unit named by ``unit`` (one the member may see), or the default scope.

    The default is the whole organisation, or for a manager or front-line member (who see
    only their own subtree) their own unit. None stands for the whole organisation, which
    its only root unit also is.
    """
    raw = request.POST.get("unit") or request.GET.get("unit")
    if not raw:
        unit = membership.unit if membership.is_unit_scoped else None
    else:
        unit = get_scoped_or_404(visible_units(membership), membership.organisation, pk=raw)
    return selectors.organisation_scope(membership.organisation, unit)


def _scope_choices(membership: Membership) -> list[dict]:
    choices = [] if membership.is_unit_scoped else [{"id": "", "name": _("Whole organisation")}]
    choices += [
        {"id": unit.pk, "name": "\u2003" * unit.depth + unit.name}
        for unit in visible_units(membership)
    ]
    return choices


def _placement_url(organisation_slug: str, unit: Unit | None) -> str:
    url = reverse("continuum", args=[organisation_slug])
    return f"{url}?{urlencode({'unit': unit.pk})}" if unit is not None else url


@member_view(Permission.VIEW)
def placement(request: HttpRequest) -> HttpResponse:
    """Show where a scope stands: self-assessed and from its data, why, and what to do next."""
    organisation, membership = request.organisation, request.membership
    unit = _scope(request, membership)
    instruments = selectors.Instruments(organisation)
    report = selectors.placement_report(organisation, unit, instruments=instruments)
    history = presentation.history_months(
        selectors.placement_history(organisation, unit, instruments),
        evidence_history(organisation, unit),
    )
    own = selectors.latest_submitted_by(organisation, request.user, unit)
    own_placement = selectors.placement_of(own, instruments) if own else None
    context = {
        "nav": "continuum",
        "unit": unit,
        "scope_choices": _scope_choices(membership),
        "report": presentation.report_out(report, organisation, membership),
        "history_chart": presentation.history_chart(history),
        "history": history,
        "history_factors": [factor_name(factor) for factor in Factor],
        "history_count": sum(1 for month in history if month["self"]),
        "levels": [presentation.level_out(level) for level in Level],
        "own": presentation.placement_out(own_placement) if own_placement else None,
        "own_assessment": own,
        "draft": selectors.draft_for(organisation, request.user, unit),
        "can_assess": membership.has(Permission.ASSESS),
    }
    return render(request, "continuum/placement.html", context)


@member_view(Permission.ASSESS)
def assess(request: HttpRequest) -> HttpResponse:
    """Ask one factor's statements at a time; every step saves the draft, the last submits."""
    organisation, membership = request.organisation, request.membership
    unit = _scope(request, membership)
    instrument = selectors.instrument_for(organisation)
    section = _section(request)
    draft = selectors.draft_for(organisation, request.user, unit)
    saved = selectors.answers_of(draft) if draft else {}
    form = SectionForm(instrument.of_factor(section), request.POST or None, saved=saved)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "next")
        respondent = services.Respondent.of(membership)
        try:
            if action == "submit":
                services.submit_draft(organisation, unit, respondent, form.answers())
            else:
                services.save_draft(organisation, unit, respondent, form.answers())
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            return _after_save(request, action, section, unit)
    asked = {key: value for key, value in saved.items() if instrument.statement(key)}
    context = _questionnaire(form, section, unit, membership, asked)
    context["total"] = len(instrument.statements)
    status = 422 if form.errors else 200
    return render(request, "continuum/assess.html", context, status=status)


def _questionnaire(
    form: SectionForm,
    section: Factor,
    unit: Unit | None,
    membership: Membership,
    saved: dict[str, int | None],
) -> dict:
    """Return what the questionnaire shows: this part's statements, where it is, progress."""
    sections = list(Factor)
    index = sections.index(section)
    posted = {key for key, value in _posted(form).items() if value}
    return {
        "nav": "continuum",
        "unit": unit,
        "scope_choices": _scope_choices(membership),
        "form": form,
        "items": [
            (
                statement,
                presentation.statement_text(statement),
                form.value_of(statement.id),
                form.errors.get(statement.id, []),
            )
            for statement in form.statements
        ],
        "section": section,
        "section_name": FactorChoice(section).label,
        "section_description": FACTOR_DESCRIPTIONS[FactorChoice(section)],
        "section_number": index + 1,
        "section_count": len(sections),
        "previous": sections[index - 1] if index else None,
        "is_last": index == len(sections) - 1,
        "answered": len(set(saved) | posted),
        "scale": [(str(value), label) for value, label in Agreement.choices],
    }


def _section(request: HttpRequest) -> Factor:
    raw = request.POST.get("section") or request.GET.get("section") or ""
    try:
        return Factor(raw)
    except ValueError:
        return next(iter(Factor))


def _posted(form: SectionForm) -> dict[str, object]:
    if not form.is_bound:
        return {}
    return {statement.id: form.data.get(statement.id, "") for statement in form.statements}


def _after_save(request: HttpRequest, action: str, section: Factor, unit: Unit | None):
    slug = request.organisation.slug
    if action == "submit":
        messages.success(request, _("Thank you. Your answers are in the placement below."))
        return redirect(_placement_url(slug, unit))
    if action == "save":
        messages.success(request, _("Draft saved. Come back any time to finish it."))
        return redirect(_placement_url(slug, unit))
    sections = list(Factor)
    step = -1 if action == "back" else 1
    index = min(max(sections.index(section) + step, 0), len(sections) - 1)
    query = {"section": sections[index].value}
    if unit is not None:
        query["unit"] = unit.pk
    return redirect(f"{reverse('continuum-assess', args=[slug])}?{urlencode(query)}")


@member_view(Permission.VIEW)
def unit_overview(request: HttpRequest) -> HttpResponse:
    """Place every unit the member may see, with pulse and customer scores side by side."""
    organisation, membership = request.organisation, request.membership
    units = list(visible_units(membership))
    overview = selectors.unit_overview(organisation, units, as_of=timezone.now())
    context = {
        "nav": "continuum",
        "rows": [presentation.unit_row_out(row) for row in overview.rows],
        "correlation": overview.correlation,
        "minimum_respondents": presentation.CONFIDENTIALITY_MINIMUM,
    }
    return render(request, "continuum/units.html", context)


@member_view(Permission.EDIT_SURVEYS)
def statements(request: HttpRequest) -> HttpResponse:
    """List the organisation's own statements and add one."""
    organisation = request.organisation
    form = CustomStatementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_custom_statement(organisation, actor=request.user, **form.cleaned_data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Statement added to the questionnaire."))
            return redirect("continuum-statements", organisation.slug)
    context = {
        "nav": "continuum",
        "form": form,
        "statements": selectors.custom_statements(organisation),
        "level_names": dict(LevelChoice.choices),
        "maximum": services.MAX_CUSTOM_STATEMENTS,
    }
    return render(request, "continuum/statements.html", context, status=422 if form.errors else 200)


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def statement_retire(request: HttpRequest, statement_id: int) -> HttpResponse:
    """Stop asking one of the organisation's statements."""
    organisation = request.organisation
    statement = get_scoped_or_404(CustomStatement, organisation, pk=statement_id)
    services.retire_custom_statement(statement, actor=request.user)
    messages.success(request, _("The statement is no longer asked."))
    return redirect("continuum-statements", organisation.slug)


def _internal_report(request: HttpRequest):
    """Return the filter form and the internal-customers report it asks for."""
    organisation, membership = request.organisation, request.membership
    pulses, surveys = internal.pulse_surveys(organisation), internal.customer_surveys(organisation)
    form = InternalCustomersForm(pulses, surveys, request.GET or None, initial={"period": "365"})
    valid = form.is_bound and form.is_valid()
    pulse = form.cleaned_data.get("pulse") if valid else None
    survey = form.cleaned_data.get("survey") if valid else None
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(organisation.time_zone)).date()
    date_from, date_to = form.period_bounds(today)
    report = internal.internal_customers(
        organisation,
        pulse=pulse or internal.default_survey(pulses),
        customer_survey=survey or internal.default_survey(surveys),
        date_from=date_from,
        date_to=date_to,
        units=list(visible_units(membership)),
        visible_unit_paths=(membership.unit.path,) if membership.is_unit_scoped else None,
    )
    return form, report


@member_view(Permission.VIEW)
def internal_customers(request: HttpRequest) -> HttpResponse:
    """Show the employee pulse per unit beside its customer scores, and how they relate."""
    form, report = _internal_report(request)
    data = internal_out.report_out(report)
    context = {
        "nav": "continuum",
        "form": form,
        "report": data,
        "headline": data["correlations"][0] if data["correlations"] else None,
        "chart": internal_out.scatter_chart(report),
        "chart_pairs": report.headline.pairs if report.headline else [],
        "csv_query": request.GET.urlencode(),
    }
    return render(request, "continuum/internal.html", context, status=400 if form.errors else 200)


@member_view(Permission.VIEW)
def internal_customers_csv(request: HttpRequest) -> HttpResponse:
    """Send the internal-customers table as CSV, with the page's filters and withholding."""
    _form, report = _internal_report(request)
    response = HttpResponse(
        internal_out.report_csv(internal_out.report_out(report)), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="internal-customers.csv"'
    return response


def _placement_data(request: HttpRequest) -> tuple[Unit | None, dict]:
    organisation, membership = request.organisation, request.membership
    unit = _scope(request, membership)
    report = selectors.placement_report(organisation, unit)
    return unit, presentation.report_out(report, organisation, membership)


def _export_name(unit: Unit | None, extension: str) -> str:
    return f"continuum-{unit.pk if unit is not None else 'organisation'}.{extension}"


@member_view(Permission.VIEW)
def placement_csv(request: HttpRequest) -> HttpResponse:
    """Send the placement of a scope as CSV: per factor, answers and data, reasons, steps."""
    unit, data = _placement_data(request)
    response = HttpResponse(placement_export.placement_csv(data), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(unit, "csv")}"'
    return response


@member_view(Permission.VIEW)
def placement_pdf(request: HttpRequest) -> HttpResponse:
    """Send the placement of a scope as a one-page PDF."""
    unit, data = _placement_data(request)
    response = HttpResponse(pdf.placement_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(unit, "pdf")}"'
    return response
