"""Writes of the collect app: public links and the submission of responses."""

from __future__ import annotations

import secrets
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.collect.choices import Channel
from heedback.collect.models import Answer, Response, SurveyLink
from heedback.core.errors import Conflict, InvalidInput
from heedback.orgs.models import Unit
from heedback.orgs.selectors import units_of
from heedback.surveys import services as survey_services
from heedback.surveys.choices import SurveyStatus
from heedback.surveys.definition import Question, QuestionType, SurveyDefinition, clean_answers
from heedback.surveys.models import Survey, SurveyVersion

# A clock a little fast on the sender's side must not reject a response.
CLOCK_SKEW = timedelta(minutes=5)
MAX_COMMENT_LENGTH = 5000
MAX_IDEMPOTENCY_KEY_LENGTH = 128


def local_date_of(organisation_time_zone: str, when: datetime) -> date:
    """Return the calendar day of ``when`` in the organisation's time zone."""
    return when.astimezone(zoneinfo.ZoneInfo(organisation_time_zone)).date()


def new_link_token() -> str:
    """Return an unguessable link token (192 random bits)."""
    return secrets.token_urlsafe(24)


def ensure_links(survey: Survey) -> list[SurveyLink]:
    """Give every unit of the survey's organisation a public link, keeping existing ones."""
    existing = {link.unit_id: link for link in survey.links.select_related("unit")}
    links = []
    for unit in units_of(survey.organisation):
        link = existing.get(unit.pk)
        if link is None:
            link, _created = SurveyLink.objects.get_or_create(
                organisation=survey.organisation,
                survey=survey,
                unit=unit,
                defaults={"token": new_link_token()},
            )
            link.unit = unit
        links.append(link)
    return links


@transaction.atomic
def publish_and_open_links(
    survey: Survey, *, actor: AbstractBaseUser | None = None
) -> SurveyVersion:
    """Publish the survey and make sure every unit has its link."""
    version = survey_services.publish_survey(survey, actor=actor)
    ensure_links(survey)
    return version


@dataclass(frozen=True)
class Submission:
    """What a channel hands over: answers keyed by question, where and when they were given."""

    survey: Survey
    unit: Unit
    answers: Mapping[str, object]
    idempotency_key: str
    channel: str = Channel.WEB
    submitted_at: datetime | None = None
    comment: str = ""
    language: str = ""
    link: SurveyLink | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SubmissionResult:
    response: Response
    created: bool


def submit_response(submission: Submission) -> SubmissionResult:
    """Validate and store a response once; a repeat of the same key returns the first response.

    The response is acknowledged only once its transaction has committed: the caller gets
    the stored row back from this function after ``atomic`` has exited.
    """
    survey = submission.survey
    existing = _find_existing(survey, submission.idempotency_key)
    if existing is not None:
        return SubmissionResult(existing, created=False)
    version, values = _validate(submission)
    try:
        with transaction.atomic():
            response = _store(submission, version, values)
    except IntegrityError:
        # Two identical submissions raced; the other one won and holds the answer.
        existing = _find_existing(survey, submission.idempotency_key)
        if existing is None:
            raise
        return SubmissionResult(existing, created=False)
    return SubmissionResult(response, created=True)


def _find_existing(survey: Survey, key: str) -> Response | None:
    return Response.objects.filter(survey=survey, idempotency_key=key).first()


def _validate(submission: Submission) -> tuple[SurveyVersion, dict[str, object]]:
    survey = submission.survey
    if survey.status != SurveyStatus.PUBLISHED or survey.published_version_id is None:
        raise Conflict(
            _("This survey is not accepting responses."), errors={"survey": [_("not open")]}
        )
    errors = list(submission.errors)
    key = submission.idempotency_key
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        errors.append(("idempotency_key", _("Give a key of 1–128 printable characters.")))
    if submission.unit.organisation_id != survey.organisation_id:
        errors.append(("unit", _("The unit does not exist.")))
    if submission.channel not in Channel.values:
        errors.append(("channel", _("Choose one of: %s.") % ", ".join(Channel.values)))
    when = submission.submitted_at
    if when is not None and (timezone.is_naive(when) or when > timezone.now() + CLOCK_SKEW):
        errors.append(("submitted_at", _("Give a time with its time zone, not in the future.")))
    if len(submission.comment) > MAX_COMMENT_LENGTH:
        errors.append(("comment", _("At most %d characters.") % MAX_COMMENT_LENGTH))
    version = survey.published_version
    cleaned = clean_answers(version.parsed(), dict(submission.answers))
    errors.extend((f"answers.{error.path}", error.message) for error in cleaned.errors)
    if not errors and not cleaned.values and not submission.comment.strip():
        errors.append(("answers", _("Answer at least one question.")))
    if errors:
        raise InvalidInput.from_pairs(_("The response is not valid."), errors)
    return version, cleaned.values


def _store(submission: Submission, version: SurveyVersion, values: dict[str, object]) -> Response:
    submitted_at = submission.submitted_at or timezone.now()
    response = Response.objects.create(
        organisation_id=submission.survey.organisation_id,
        survey=submission.survey,
        version=version,
        unit=submission.unit,
        link=submission.link,
        channel=submission.channel,
        idempotency_key=submission.idempotency_key,
        submitted_at=submitted_at,
        local_date=local_date_of(submission.survey.organisation.time_zone, submitted_at),
        language=submission.language[:16],
        comment=submission.comment.strip(),
    )
    questions = {question.key: question for question in version.parsed().questions}
    Answer.objects.bulk_create(
        [answer_row(response, questions[key], value) for key, value in values.items()]
    )
    return response


def answer_row(response: Response, question: Question, value: object) -> Answer:
    """Return the Answer row holding ``value``: scales and yes/no as numbers, choices as a list."""
    answer = Answer(response=response, question_key=question.key)
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE):
        answer.choices = [value] if isinstance(value, str) else list(value)
    elif question.type == QuestionType.TEXT:
        answer.text = str(value)
    else:
        answer.number = int(value)  # bool is 1/0, scales are whole numbers
    return answer


def answer_value(question: Question, answer: Answer) -> object:
    """Return an answer as the API and the form speak it back (the inverse of ``answer_row``)."""
    if question.type == QuestionType.YES_NO:
        return bool(answer.number)
    if question.type == QuestionType.SINGLE_CHOICE:
        return (answer.choices or [None])[0]
    return answer.value


def definition_of(response: Response) -> SurveyDefinition:
    return response.version.parsed()
