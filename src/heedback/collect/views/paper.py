"""Staff type in the answers of paper cards, one card after another (channel ``paper``)."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.collect import services
from heedback.collect.choices import Channel
from heedback.collect.forms import display_conditions, question_fields, read_answers
from heedback.core.errors import Conflict, InvalidInput
from heedback.orgs.access import member_view
from heedback.orgs.forms import unit_field
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units
from heedback.orgs.tenancy import get_scoped_or_404
from heedback.surveys.models import Survey

PAPER_TOKEN_SALT = "heedback.collect.paper"  # noqa: S105 (a signing namespace)


def _card_date(raw: str, today) -> tuple[datetime | None, str]:
    """Return noon of the day written on the card (its hour is rarely on it), or an error."""
    if not raw:
        return None, ""
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        return None, _("Enter the date as YYYY-MM-DD.")
    if day > today:
        return None, _("The card cannot be dated in the future.")
    return datetime.combine(day, time(12), timezone.get_current_timezone()), ""


@member_view(Permission.ENTER_RESPONSES)
def paper_entry(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Type in one paper card; after saving, the form is ready for the next card."""
    organisation = request.organisation
    survey = get_scoped_or_404(
        Survey.objects.select_related("published_version"), organisation, pk=survey_id
    )
    if not survey.is_published or survey.published_version_id is None:
        raise Http404("The survey is not published")
    definition = survey.published_version.parsed()
    units = visible_units(request.membership)
    unit_choice = unit_field(organisation, required=True, label=_("Unit on the card"))
    unit_choice.queryset = units
    values: dict = {}
    errors: dict[str, list[str]] = {}
    chosen_unit, card_date = request.POST.get("unit", ""), request.POST.get("card_date", "")
    if request.method == "POST":
        values = read_answers(request.POST, definition)
        errors = _save(request, survey, units, values, chosen_unit, card_date)
        if not errors:
            messages.success(request, _("Card saved. Ready for the next one."))
            return redirect("survey-paper-entry", organisation.slug, survey.pk)
    return render(
        request,
        "collect/paper_entry.html",
        {
            "survey": survey,
            "definition": definition,
            "units": units,
            "nav": "surveys",
            "chosen_unit": chosen_unit,
            "card_date": card_date,
            "errors": errors,
            "questions": question_fields(definition, values, errors),
            "conditions": display_conditions(definition),
            "entry_token": signing.dumps(uuid.uuid4().hex, salt=PAPER_TOKEN_SALT),
        },
        status=422 if errors else 200,
    )


def _save(request, survey, units, values, chosen_unit, card_date) -> dict[str, list[str]]:
    """Store the card; return the errors to show (nothing is stored when there are any)."""
    unit = units.filter(pk=chosen_unit).first() if chosen_unit.isdigit() else None
    submitted_at, date_error = _card_date(card_date, timezone.localdate())
    problems: dict[str, list[str]] = {}
    if unit is None:
        problems["unit"] = [_("Choose the unit written on the card.")]
    if date_error:
        problems["card_date"] = [date_error]
    try:
        key = signing.loads(
            request.POST.get("entry_token", ""), salt=PAPER_TOKEN_SALT, max_age=86400
        )
    except signing.BadSignature:
        problems["form"] = [_("This form has expired. Check the answers and save again.")]
        key = ""
    if problems:
        return problems
    try:
        services.submit_response(
            services.Submission(
                survey=survey,
                unit=unit,
                answers=values,
                idempotency_key=f"paper-{key}",
                channel=Channel.PAPER,
                submitted_at=submitted_at,
                staff=None,
            )
        )
    except (InvalidInput, Conflict) as error:
        return {path.removeprefix("answers."): texts for path, texts in error.errors.items()} or {
            "form": [error.message]
        }
    return {}
