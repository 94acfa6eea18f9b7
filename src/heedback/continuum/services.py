"""Writes of the continuum app: drafts, submitted assessments and custom statements.

Every way in — the questionnaire, the API, the admin — goes through these functions, which
check the statements against the instrument, keep one draft per person and scope, and
record the submission in the audit log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.continuum import selectors
from heedback.continuum.choices import AssessmentStatus
from heedback.continuum.instrument import Factor, Instrument, Level
from heedback.continuum.models import Assessment, AssessmentAnswer, CustomStatement
from heedback.core.errors import Conflict, InvalidInput
from heedback.orgs.models import Membership, Organisation, Unit
from heedback.orgs.services import record_audit

#: An organisation's own statements are asked after the 34 of the instrument; past this
#: many active ones the questionnaire no longer fits in ten minutes.
MAX_CUSTOM_STATEMENTS = 12
CUSTOM_TEXT_MAX_LENGTH = 300


@dataclass(frozen=True)
class Respondent:
    """Who answered: a person (with their role at the time) or an integration."""

    user: AbstractBaseUser | None
    label: str
    role: str

    @classmethod
    def of(cls, membership: Membership) -> Respondent:
        user = membership.user
        return cls(user, getattr(user, "email", "") or user.get_username(), membership.role)


@dataclass(frozen=True)
class AssessmentInput:
    """A complete assessment handed over in one go (the API)."""

    organisation: Organisation
    unit: Unit | None
    answers: Mapping[str, object]
    respondent: Respondent


def clean_answers(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, int | None]:
    """Return the answers checked against ``instrument``, or raise InvalidInput naming each.

    An answer is a whole number on the agreement scale or None for "don't know"; the
    error paths are ``answers.<statement id>`` so a form or an integration sees which.
    """
    scoring = instrument.scoring
    errors: list[tuple[str, str]] = []
    clean: dict[str, int | None] = {}
    for statement_id, value in answers.items():
        path = f"answers.{statement_id}"
        if instrument.statement(statement_id) is None:
            errors.append((path, _("unknown statement")))
        elif value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not scoring.scale_min <= value <= scoring.scale_max
        ):
            errors.append(
                (
                    path,
                    _("must be a whole number from %(low)d to %(high)d, or null for don't know")
                    % {"low": scoring.scale_min, "high": scoring.scale_max},
                )
            )
        else:
            clean[statement_id] = value
    if errors:
        raise InvalidInput.from_pairs(_("The answers are not valid."), errors)
    return clean


@transaction.atomic
def save_draft(
    organisation: Organisation,
    unit: Unit | None,
    respondent: Respondent,
    answers: Mapping[str, object],
) -> Assessment:
    """Save answers into the respondent's draft for the scope, starting the draft if needed.

    The organisation's only root unit is the organisation itself (``unit`` None).
    """
    instrument = selectors.instrument_for(organisation)
    clean = clean_answers(instrument, answers)
    unit = selectors.organisation_scope(organisation, unit)
    draft = _draft(organisation, unit, respondent, instrument)
    _store_answers(draft, clean)
    draft.updated_at = timezone.now()
    draft.save(update_fields=["updated_at"])
    return draft


def submit_draft(
    organisation: Organisation,
    unit: Unit | None,
    respondent: Respondent,
    answers: Mapping[str, object],
) -> Assessment:
    """Save the last answers into the draft and submit it; refuse a draft with no answer.

    The answers are saved in their own transaction first, so a refused submission loses
    nothing the respondent typed.
    """
    draft = save_draft(organisation, unit, respondent, answers)
    with transaction.atomic():
        draft = Assessment.objects.select_for_update().get(pk=draft.pk)
        if not draft.is_draft:
            raise Conflict(_("This assessment has already been submitted."))
        _check_answered(draft)
        return _submit(draft)


@transaction.atomic
def record_assessment(data: AssessmentInput) -> Assessment:
    """Store a complete assessment and submit it at once (no draft); used by the API."""
    instrument = selectors.instrument_for(data.organisation)
    clean = clean_answers(instrument, data.answers)
    if not any(value is not None for value in clean.values()):
        raise InvalidInput.from_pairs(
            _("The answers are not valid."), [("answers", _("answer at least one statement"))]
        )
    assessment = Assessment.objects.create(
        organisation=data.organisation,
        unit=selectors.organisation_scope(data.organisation, data.unit),
        respondent=_user_or_none(data.respondent.user),
        respondent_label=data.respondent.label[:200],
        respondent_role=data.respondent.role,
        instrument_version=instrument.version,
    )
    _store_answers(assessment, clean)
    return _submit(assessment)


def _draft(
    organisation: Organisation, unit: Unit | None, respondent: Respondent, instrument: Instrument
) -> Assessment:
    existing = selectors.draft_for(organisation, respondent.user, unit, lock=True)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Assessment.objects.create(
                organisation=organisation,
                unit=unit,
                respondent=_user_or_none(respondent.user),
                respondent_label=respondent.label[:200],
                respondent_role=respondent.role,
                instrument_version=instrument.version,
            )
    except IntegrityError:
        # Two tabs saved the first answers at once; the other one started the draft.
        existing = selectors.draft_for(organisation, respondent.user, unit, lock=True)
        if existing is None:
            raise
        return existing


def _store_answers(assessment: Assessment, answers: Mapping[str, int | None]) -> None:
    AssessmentAnswer.objects.bulk_create(
        [
            AssessmentAnswer(
                organisation_id=assessment.organisation_id,
                assessment=assessment,
                statement_id=statement_id,
                agreement=agreement,
            )
            for statement_id, agreement in answers.items()
        ],
        update_conflicts=True,
        unique_fields=["assessment", "statement_id"],
        update_fields=["agreement"],
    )


def _check_answered(assessment: Assessment) -> None:
    if not assessment.answers.filter(agreement__isnull=False).exists():
        raise InvalidInput.from_pairs(
            _("The assessment has no answers yet."),
            [("answers", _("answer at least one statement"))],
        )


def _submit(assessment: Assessment) -> Assessment:
    now = timezone.now()
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = now
    assessment.updated_at = now
    assessment.save(update_fields=["status", "submitted_at", "updated_at"])
    record_audit(
        assessment.organisation,
        _user_or_none(assessment.respondent),
        "continuum.assessment_submit",
        assessment.respondent_label,
        assessment_id=assessment.pk,
        unit_id=assessment.unit_id,
    )
    return assessment


def _user_or_none(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.pk else None


@transaction.atomic
def add_custom_statement(
    organisation: Organisation,
    *,
    factor: str,
    level: int,
    text: str,
    actor: AbstractBaseUser | None = None,
) -> CustomStatement:
    """Add an organisation's own statement to the questionnaire, at a factor and level."""
    text = " ".join(text.split())
    errors = []
    if factor not in {item.value for item in Factor}:
        errors.append(
            ("factor", _("Choose one of: %s.") % ", ".join(item.value for item in Factor))
        )
    if level not in {item.value for item in Level}:
        errors.append(("level", _("Choose a level from 1 (hostile) to 5 (centric).")))
    if not text or len(text) > CUSTOM_TEXT_MAX_LENGTH:
        errors.append(("text", _("Write the statement in 1 to 300 characters.")))
    if errors:
        raise InvalidInput.from_pairs(_("The statement is not valid."), errors)
    active = CustomStatement.objects.for_org(organisation).filter(is_retired=False)
    if active.count() >= MAX_CUSTOM_STATEMENTS:
        raise Conflict(
            _("At most %d statements of your own can be asked at once; retire one first.")
            % MAX_CUSTOM_STATEMENTS
        )
    if active.filter(text__iexact=text).exists():
        raise Conflict(_("This statement is already asked."), errors={"text": [_("taken")]})
    statement = CustomStatement.objects.create(
        organisation=organisation,
        factor=factor,
        level=level,
        text=text,
        created_by=_user_or_none(actor),
    )
    record_audit(organisation, actor, "continuum.statement_add", text, statement=statement.pk)
    return statement


@transaction.atomic
def retire_custom_statement(
    statement: CustomStatement, *, actor: AbstractBaseUser | None = None
) -> CustomStatement:
    """Stop asking a statement; answers already given keep counting where they were given."""
    if not statement.is_retired:
        statement.is_retired = True
        statement.save(update_fields=["is_retired"])
        record_audit(
            statement.organisation,
            actor,
            "continuum.statement_retire",
            statement.text,
            statement=statement.pk,
        )
    return statement
