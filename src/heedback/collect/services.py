"""Writes of the collect app: public links and the submission of responses."""

from __future__ import annotations

import secrets
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.collect import group_commit, storage
from heedback.collect.choices import Channel
from heedback.collect.models import Answer, Response, SurveyLink
from heedback.core.errors import Conflict, InvalidInput, ServiceError
from heedback.customers.models import Customer, Interaction
from heedback.orgs.models import Unit
from heedback.orgs.selectors import units_of
from heedback.surveys import services as survey_services
from heedback.surveys.choices import SurveyStatus
from heedback.surveys.definition import Question, QuestionType, SurveyDefinition
from heedback.surveys.models import Survey, SurveyVersion

# A clock a little fast on the sender's side must not reject a response.
CLOCK_SKEW = timedelta(minutes=5)
# Older than any feedback kept digitally, and early enough for every time zone's arithmetic.
EARLIEST_SUBMISSION = datetime(1900, 1, 1, tzinfo=UTC)
MAX_COMMENT_LENGTH = 5000
MAX_IDEMPOTENCY_KEY_LENGTH = 128
MAX_EXTERNAL_ID_LENGTH = 200
MAX_BATCH_SIZE = 1000
# Read once: ``Channel.values`` builds its list anew on every call.
CHANNELS = frozenset(Channel.values)


def local_date_of(organisation_time_zone: str, when: datetime) -> date:
    """Return the calendar day of ``when`` in the organisation's time zone."""
    return when.astimezone(zoneinfo.ZoneInfo(organisation_time_zone)).date()


def new_link_token() -> str:
    """Return an unguessable link token (192 random bits)."""
    return secrets.token_urlsafe(24)


# Crockford's base 32 without I, L, O and U: nothing to confuse when typed from a card.
SHORT_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_short_code() -> str:
    """Return a typable code of 8 characters (40 bits; looked up, never trusted as a secret)."""
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(8))


def normalise_short_code(typed: str) -> str:
    """Return the code as stored, forgiving case, spaces, dashes and look-alike letters."""
    cleaned = typed.upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


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
                defaults={"token": new_link_token(), "short_code": new_short_code()},
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
    """What a channel hands over: answers keyed by question, where and when they were given.

    ``errors`` carries problems the adapter found while reading its input (an unknown
    unit or staff member named in a request), so that they are reported together with
    the service's own findings, every field at once.
    """

    survey: Survey
    unit: Unit
    answers: Mapping[str, object]
    idempotency_key: str
    channel: str = Channel.WEB
    submitted_at: datetime | None = None
    comment: str = ""
    language: str = ""
    link: SurveyLink | None = None
    staff: AbstractBaseUser | None = None
    external_id: str = ""
    # Who answered and about which visit, when the channel knows (an invitation, an API
    # client naming them). An interaction alone names its customer too.
    customer: Customer | None = None
    interaction: Interaction | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def customer_id(self) -> int | None:
        """Return the customer's id: the one named, else the interaction's customer."""
        if self.customer is not None:
            return self.customer.pk
        return self.interaction.customer_id if self.interaction is not None else None


class SubmissionResult:
    """The stored response; when ``created``, ``answers`` holds its new answer rows.

    A response stored by the group committer also keeps the ``row`` of values it was
    stored from, and builds its model instances only when asked: the API answers a new
    response from the row (``collect.selectors.response_as_dict``), and building the
    instances cost as much as the rest of that answer.
    """

    def __init__(
        self,
        response: Response | None,
        created: bool,
        answers: tuple[Answer, ...] = (),
        *,
        row: storage.NewResponse | None = None,
        submission: Submission | None = None,
    ) -> None:
        self.created = created
        self.row = row
        self._response = response
        self._answers = answers
        self.submission = submission

    @property
    def response(self) -> Response:
        if self._response is None:
            assert self.submission is not None
            assert self.row is not None
            self._response, self._answers = _instances(self.submission, self.row)
        return self._response

    @property
    def answers(self) -> tuple[Answer, ...]:
        self.response  # noqa: B018  # builds them with the response
        return self._answers


def submit_response(submission: Submission, *, grouped: bool = False) -> SubmissionResult:
    """Validate and store a response once; a repeat of the same key returns the first response.

    The response is acknowledged only once its transaction has committed: the caller gets
    the stored row back from this function after ``atomic`` has exited. ``grouped`` lets
    concurrent calls in this process share that transaction (``group_commit``), which is
    what a busy ingest endpoint wants; the call still returns only after the commit.
    """
    if grouped:
        return _submit_grouped(submission)
    survey = submission.survey
    existing = _find_existing(survey, submission.idempotency_key)
    if existing is not None:
        return SubmissionResult(existing, created=False)
    row = build_row(submission)
    try:
        with transaction.atomic():
            storage.insert_rows([row])
    except IntegrityError:
        # Two identical submissions raced; the other one won and holds the answer.
        existing = _find_existing(survey, submission.idempotency_key)
        if existing is None:
            raise
        return SubmissionResult(existing, created=False)
    response, answers = _instances(submission, row)
    return SubmissionResult(response, created=True, answers=answers)


def _submit_grouped(submission: Submission) -> SubmissionResult:
    """Store through the group committer; the stored response wins over a now-invalid repeat.

    Validation comes first, so a new response costs no look-up of its own (the group looks
    up all its keys at once); only a refused submission checks whether its key is stored,
    to answer a repeat exactly as ``submit_response`` does.
    """
    try:
        row = build_row(submission)
    except ServiceError:
        existing = _find_existing(submission.survey, submission.idempotency_key)
        if existing is None:
            raise
        return SubmissionResult(existing, created=False)
    stored = group_commit.committer().store(row)
    if stored.created:
        return SubmissionResult(None, created=True, row=row, submission=submission)
    return SubmissionResult(Response.objects.get(pk=stored.response_id), created=False)


def _find_existing(survey: Survey, key: str) -> Response | None:
    return Response.objects.filter(survey=survey, idempotency_key=key).first()


def build_row(submission: Submission, *, now: datetime | None = None) -> storage.NewResponse:
    """Validate a submission and return it as the row to insert (with its answers).

    ``now`` is the time of receipt (and of submission when the sender gave none). Raises
    InvalidInput naming every bad field, or Conflict when the survey is closed. A batch
    uses one ``RowBuilder`` for all its items instead.
    """
    return RowBuilder(submission.survey, now=now).build(submission)


class RowBuilder:
    """Validate submissions to one survey and turn them into rows, sharing what they share.

    The survey's state, its published version's answer rules, how each question's answer
    is stored, the organisation's time zone and the time of receipt are the same for every
    item of a batch: prepared once here, they cost a batch of a thousand items what they
    cost one. Every item is still checked by every rule, and reports all its errors.
    """

    def __init__(self, survey: Survey, *, now: datetime | None = None) -> None:
        self.survey = survey
        self.now = now or timezone.now()
        self.latest_submission = self.now + CLOCK_SKEW
        self.is_open = (
            survey.status == SurveyStatus.PUBLISHED and survey.published_version_id is not None
        )
        self.zone = zoneinfo.ZoneInfo(survey.organisation.time_zone)
        self.today = self.now.astimezone(self.zone).date()
        if self.is_open:
            self.version = survey.published_version
            self.rules = self.version.parsed().answer_rules
            self.stored_as = _answer_makers(self.version)

    def build(self, submission: Submission) -> storage.NewResponse:
        """Validate ``submission`` (to this builder's survey) and return its row."""
        values = self.validate(submission)
        survey, stored_as = self.survey, self.stored_as
        submitted_at = submission.submitted_at
        if submitted_at is None:
            submitted_at, local_date = self.now, self.today
        else:
            local_date = submitted_at.astimezone(self.zone).date()
            # In UTC, as it is read back: the answer to a new response must not differ.
            submitted_at = submitted_at.astimezone(UTC)
        link, staff, interaction = submission.link, submission.staff, submission.interaction
        return storage.NewResponse(
            organisation_id=survey.organisation_id,
            survey_id=survey.pk,
            version_id=self.version.pk,
            unit_id=submission.unit.pk,
            link_id=link.pk if link is not None else None,
            channel=submission.channel,
            staff_id=staff.pk if staff is not None else None,
            customer_id=submission.customer_id,
            interaction_id=interaction.pk if interaction is not None else None,
            external_id=submission.external_id,
            idempotency_key=submission.idempotency_key,
            submitted_at=submitted_at,
            received_at=self.now,
            local_date=local_date,
            language=submission.language[:16],
            comment=submission.comment.strip(),
            answers=[stored_as[key](value) for key, value in values.items()],
        )

    def validate(self, submission: Submission) -> dict[str, object]:
        """Return the clean answers; raise InvalidInput naming every bad field, or Conflict."""
        if not self.is_open:
            raise Conflict(
                _("This survey is not accepting responses."), errors={"survey": [_("not open")]}
            )
        errors = list(submission.errors) + _envelope_errors(submission, self.latest_submission)
        answers = submission.answers
        cleaned = self.rules.clean(answers if type(answers) is dict else dict(answers))
        if cleaned.errors:
            errors.extend((f"answers.{error.path}", error.message) for error in cleaned.errors)
        if not errors and not cleaned.values and not submission.comment.strip():
            errors.append(("answers", _("Answer at least one question.")))
        if errors:
            raise InvalidInput.from_pairs(_("The response is not valid."), errors)
        return cleaned.values


def _answer_makers(version: SurveyVersion) -> dict[str, Callable[[object], storage.NewAnswer]]:
    """Return how each question of ``version`` is stored, made once per version instance.

    A published version is kept for the life of the process (``frozen_version``) and
    never changes, so its makers are too: making them for every single response cost
    a fifth of its validation. A version read afresh from the database makes its own.
    """
    makers = version.__dict__.get("_answer_makers")
    if makers is None:
        questions = version.parsed().questions
        makers = version.__dict__["_answer_makers"] = {q.key: _answer_maker(q) for q in questions}
    return makers


def _answer_maker(question: Question) -> Callable[[object], storage.NewAnswer]:
    """Return the function that turns a clean answer to ``question`` into its stored row."""
    key = question.key
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE):
        return lambda value: (key, None, "", [value] if isinstance(value, str) else list(value))
    if question.type == QuestionType.TEXT:
        return lambda value: (key, None, str(value), None)
    return lambda value: (key, int(value), "", None)  # bool is 1/0, scales are whole numbers


def _instances(
    submission: Submission, row: storage.NewResponse
) -> tuple[Response, tuple[Answer, ...]]:
    """Return a stored row as model instances tied to what the caller named.

    The related rows are the submission's own objects, so reading the response back (its
    version, unit, staff) costs no query. The answers carry no ids of their own. Built
    from the row's values as the ORM builds what it reads (``from_db``, related objects
    put in the relation caches), at a third of the cost of keyword construction.
    """
    survey = submission.survey
    response = Response.from_db("default", None, row.values())
    related = {
        "survey": survey,
        "version": survey.published_version,
        "unit": submission.unit,
        "link": submission.link,
        "staff": submission.staff,
        "interaction": submission.interaction,
    }
    for name, instance in related.items():
        Response._meta.get_field(name).set_cached_value(response, instance)
    to_response = Answer._meta.get_field("response")
    answers = []
    for key, number, text, choices in row.answers:
        answer = Answer.from_db("default", None, (None, response.pk, key, number, text, choices))
        to_response.set_cached_value(answer, response)
        answers.append(answer)
    return response, tuple(answers)


def _validate(submission: Submission) -> tuple[SurveyVersion, dict[str, object]]:
    builder = RowBuilder(submission.survey)
    values = builder.validate(submission)
    return builder.version, values


def _envelope_errors(submission: Submission, latest: datetime) -> list[tuple[str, str]]:
    """Check everything around the answers: key, unit, channel, time, comment, external id.

    ``latest`` is the latest time of submission believed (now, give or take a fast clock).
    """
    errors = []
    organisation_id = submission.survey.organisation_id
    key = submission.idempotency_key
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        errors.append(("idempotency_key", _("Give a key of 1–128 printable characters.")))
    if submission.unit.organisation_id != organisation_id:
        errors.append(("unit", _("The unit does not exist.")))
    if submission.channel not in CHANNELS:
        errors.append(("channel", _("Choose one of: %s.") % ", ".join(Channel.values)))
    when = submission.submitted_at
    if when is not None and (timezone.is_naive(when) or when > latest):
        errors.append(("submitted_at", _("Give a time with its time zone, not in the future.")))
    elif when is not None and when < EARLIEST_SUBMISSION:
        errors.append(("submitted_at", _("Give a time after 1900.")))
    for name in ("comment", "external_id", "language"):
        if "\x00" in getattr(submission, name):
            # PostgreSQL cannot store it, and no honest sender has one to send.
            errors.append((name, _("Remove the NUL character.")))
    if len(submission.comment) > MAX_COMMENT_LENGTH:
        errors.append(("comment", _("At most %d characters.") % MAX_COMMENT_LENGTH))
    if len(submission.external_id) > MAX_EXTERNAL_ID_LENGTH:
        errors.append(("external_id", _("At most %d characters.") % MAX_EXTERNAL_ID_LENGTH))
    if submission.customer is not None or submission.interaction is not None:
        errors.extend(_customer_errors(submission))
    return errors


def _customer_errors(submission: Submission) -> list[tuple[str, str]]:
    """Check that the customer and interaction belong here and to each other."""
    organisation_id = submission.survey.organisation_id
    customer, interaction = submission.customer, submission.interaction
    errors = []
    if customer is not None and customer.organisation_id != organisation_id:
        errors.append(("customer", _("The customer does not exist.")))
    if interaction is not None and interaction.organisation_id != organisation_id:
        errors.append(("interaction", _("The interaction does not exist.")))
    elif (
        interaction is not None and customer is not None and interaction.customer_id != customer.pk
    ):
        errors.append(("interaction", _("The interaction belongs to another customer.")))
    return errors


class ItemStatus:
    CREATED = "created"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


@dataclass(frozen=True)
class ItemResult:
    """The outcome of one item of a batch, reported in the item's position."""

    index: int
    status: str
    response_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def submit_batch(survey: Survey, items: list[Submission | ServiceError]) -> list[ItemResult]:
    """Store every valid, new item of a batch at once; report each item's fate.

    An item is stored whole or not at all; invalid items never stop the valid ones. A key
    seen earlier in the batch, or already stored, is a duplicate pointing at the stored
    response. Items arrive as Submissions, or as the error an adapter hit reading them.
    """
    results: list[ItemResult | None] = [None] * len(items)
    built: dict[str, tuple[int, storage.NewResponse]] = {}
    repeats: list[tuple[int, str]] = []
    builders = {survey.pk: RowBuilder(survey)}
    for index, item in enumerate(items):
        if isinstance(item, ServiceError):
            results[index] = ItemResult(index, ItemStatus.INVALID, errors=_errors_of(item))
            continue
        builder = builders.get(item.survey.pk)
        if builder is None or builder.survey is not item.survey:
            builder = builders[item.survey.pk] = RowBuilder(
                item.survey, now=builders[survey.pk].now
            )
        try:
            row = builder.build(item)
        except ServiceError as error:
            results[index] = ItemResult(index, ItemStatus.INVALID, errors=_errors_of(error))
            continue
        if item.idempotency_key in built:
            repeats.append((index, item.idempotency_key))
            continue
        built[item.idempotency_key] = (index, row)
    stored = _store_batch(survey, [row for _index, row in built.values()])
    ids = {}
    for key, (index, row) in built.items():
        created = key not in stored
        ids[key] = row.id if created else stored[key]
        status = ItemStatus.CREATED if created else ItemStatus.DUPLICATE
        results[index] = ItemResult(index, status, ids[key])
    for index, key in repeats:
        results[index] = ItemResult(index, ItemStatus.DUPLICATE, ids[key])
    return results  # type: ignore[return-value]  # every position is filled above


def _store_batch(survey: Survey, rows: list[storage.NewResponse]) -> dict[str, int]:
    """Insert the new rows of a batch in one transaction; return the keys already stored.

    A concurrent writer may store one of the keys between the look-up and the insert: the
    unique constraint then fails the whole transaction, and the batch is simply retried
    with a fresh look-up (it can lose that race only a bounded number of times). The
    look-up searches the unique index, so its cost does not grow with the survey.
    """
    for _attempt in range(5):
        existing = storage.stored_keys(survey.pk, [row.idempotency_key for row in rows])
        new = [row for row in rows if row.idempotency_key not in existing]
        try:
            with storage.writers_queue(), transaction.atomic():
                storage.insert_rows(new)
        except IntegrityError:
            continue
        return existing
    raise Conflict(_("The batch kept colliding with concurrent writes; send it again."))


def _errors_of(error: ServiceError) -> dict[str, list[str]]:
    return error.errors or {"__all__": [error.message]}


def answer_columns(question: Question, value: object) -> tuple[int | None, str, list | None]:
    """Return how ``value`` is stored: scales and yes/no as numbers, choices as a list, text."""
    _key, number, text, choices = _answer_maker(question)(value)
    return number, text, choices


def answer_row(response: Response, question: Question, value: object) -> Answer:
    """Return the Answer row holding ``value`` (see ``answer_columns``)."""
    number, text, choices = answer_columns(question, value)
    return Answer(
        response=response, question_key=question.key, number=number, text=text, choices=choices
    )


def answer_value(question: Question, answer: Answer) -> object:
    """Return an answer as the API and the form speak it back (the inverse of ``answer_row``)."""
    return stored_value(question, answer.number, answer.text, answer.choices)


def stored_value(
    question: Question | None, number: int | None, text: str, choices: list | None
) -> object:
    """Return an answer from its stored columns, typed by its question when it has one."""
    if question is not None:
        if question.type == QuestionType.YES_NO:
            return bool(number)
        if question.type == QuestionType.SINGLE_CHOICE:
            return (choices or [None])[0]
    return Answer.value_of(number, text, choices)


def definition_of(response: Response) -> SurveyDefinition:
    return response.version.parsed()
