"""The evaluation job: every new response is checked against the enabled rules, once.

**Once, with several workers and a kill at any moment.** A response is claimed by
inserting its row in the ledger (``EvaluatedResponse``, keyed by the response) in the
same transaction as everything its rules do: the case, the matches, the tags and the
outbox rows of the alerts. A worker killed half-way rolls all of it back and the
response is evaluated again on the next run; a second worker evaluating the same
response at the same moment fails on the ledger's primary key (PostgreSQL makes it wait
for the first to commit) and skips it. ``RuleMatch`` (unique per rule and response) and
the unique rule-opened case per response hold the same line a second time.

**Catching up from a watermark.** The job looks at responses above the watermark that
the ledger does not list. The watermark moves only over responses that are evaluated
and were received more than ``SETTLE`` ago: ids are taken when a row is inserted but
become visible when its transaction commits, so a response stored by a transaction
still open could have a lower id than one already seen. No transaction that stores
responses stays open for ten minutes (a batch of 1,000 commits in well under a second),
so a response committed late is still above the watermark when it appears.

**Text rules wait for the reading.** A rule on sentiment, theme or urgency can only judge
a comment the text app has read (its worker job reads new responses a few seconds after
they arrive, then assigns themes). A response with text, in an organisation with such a
rule enabled, is therefore left pending until its analysis (and, for theme rules, its
themes) is stored, or until ``TEXT_WAIT`` has passed: it is then evaluated with the text
conditions false and the ledger says so (``without_text``), rather than wait for ever.
Organisations without text rules lose no time.

**Old feedback is not acted on.** A response submitted more than ``STALE_AFTER`` ago (an
import of last year's cards) is evaluated and recorded, but opens no case and alerts
nobody: a 48-hour deadline on a year-old complaint would only raise false alarms.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, Max, Min, OuterRef, QuerySet
from django.utils.translation import gettext as _

from heedback.collect.models import Response
from heedback.loop import emails
from heedback.loop.choices import PRIORITY_RANK, AlertTarget, CaseSource
from heedback.loop.conditions import (
    AnswerFact,
    ResponseFacts,
    TextFacts,
    is_low,
    matches,
    needs_text,
    needs_themes,
)
from heedback.loop.models import (
    Case,
    EvaluatedResponse,
    EvaluationCursor,
    ResponseTag,
    Rule,
    RuleMatch,
)
from heedback.loop.services.cases import CaseOpening, open_case, record_resurvey_answer
from heedback.loop.services.common import default_owner, now_or
from heedback.loop.services.events import publish_match
from heedback.loop.services.resurvey import answer_of, resurveyed_cases
from heedback.loop.services.rules import rule_conditions, rule_scope
from heedback.orgs.models import Organisation
from heedback.orgs.selectors import managers_of
from heedback.surveys.confidentiality import attributable
from heedback.surveys.definition import NUMERIC_TYPES, QuestionType
from heedback.text.models import TextAnalysis, ThemeSpace
from heedback.text.selectors import text_analyses

logger = logging.getLogger("heedback.loop")

SETTLE = timedelta(minutes=10)
#: How long a response with text waits for its reading before text rules count it false.
TEXT_WAIT = timedelta(minutes=5)
STALE_AFTER = timedelta(days=30)
BATCH = 200
#: A run stops starting new batches after this many seconds (the worker calls again soon).
TIME_BUDGET = 20.0
CURSOR_ID = 1
SCORED_TYPES = NUMERIC_TYPES | {QuestionType.YES_NO}


def evaluate_new_responses(
    *, now: datetime | None = None, limit: int = BATCH, time_budget: float = TIME_BUDGET
) -> int:
    """Check the responses not yet evaluated against the enabled rules; return how many.

    Works in batches of ``limit`` until none is left or ``time_budget`` seconds have
    passed, so one round of the worker's jobs stays short after a large import. The
    worker runs this every few seconds (declared on the app's ``periodic_jobs``).
    """
    cursor, _created = EvaluationCursor.objects.get_or_create(pk=CURSOR_ID)
    stop_at = time.monotonic() + time_budget
    evaluated = 0
    after = cursor.position
    while True:
        step_now = now_or(now)
        ids = list(_pending(after).order_by("pk").values_list("pk", flat=True)[:limit])
        if not ids:
            break
        after = ids[-1]  # responses still waiting for their reading are passed over
        responses = list(_with_facts(Response.objects.filter(pk__in=ids)).order_by("pk"))
        rules = _enabled_rules({response.organisation_id for response in responses})
        readings = read_texts(responses, rules, now=step_now)
        resurveys = resurveyed_cases(responses)
        for response in responses:
            reading = readings.get(response.pk, TextReading())
            if reading.is_waiting:
                continue
            evaluated += evaluate_response(
                response,
                rules.get(response.organisation_id, []),
                now=step_now,
                reading=reading,
                resurveyed_case=resurveys.get(response.pk),
            )
        if len(ids) < limit or time.monotonic() > stop_at:
            break
    _advance(cursor.position, now_or(now))
    return evaluated


def _pending(position: int) -> QuerySet[Response]:
    done = EvaluatedResponse.objects.filter(response_id=OuterRef("pk"))
    return Response.objects.filter(pk__gt=position).filter(~Exists(done))


def _with_facts(responses: QuerySet[Response]) -> QuerySet[Response]:
    return responses.select_related(
        "unit", "version", "organisation", "survey", "customer"
    ).prefetch_related("answers")


def _enabled_rules(organisation_ids: Iterable[int]) -> dict[int, list[Rule]]:
    rules: dict[int, list[Rule]] = {}
    enabled = Rule.objects.filter(organisation_id__in=list(organisation_ids), is_enabled=True)
    for rule in enabled.select_related("unit").order_by("pk"):
        rules.setdefault(rule.organisation_id, []).append(rule)
    return rules


@dataclass(frozen=True)
class TextReading:
    """What the rules may see of a response's texts when it is evaluated.

    ``facts`` is None when there is no reading to look at; ``is_waiting`` asks the job to
    come back later; ``is_missing`` records that the reading never came in time.
    """

    facts: TextFacts | None = None
    is_waiting: bool = False
    is_missing: bool = False


def read_texts(
    responses: Sequence[Response], rules: dict[int, list[Rule]], *, now: datetime
) -> dict[int, TextReading]:
    """Return the reading of each response with text whose organisation has a text rule.

    Three queries for any number of responses (four with a theme rule); none when no
    rule looks at text.
    """
    wanted = {
        organisation_id: (
            any(needs_text(rule_conditions(rule)) for rule in org_rules),
            any(needs_themes(rule_conditions(rule)) for rule in org_rules),
        )
        for organisation_id, org_rules in rules.items()
    }
    with_text = [
        response
        for response in responses
        if wanted.get(response.organisation_id, (False, False))[0] and has_text(response)
    ]
    if not with_text:
        return {}
    ids = [response.pk for response in with_text]
    combined = text_analyses(ids)
    newest = dict(
        TextAnalysis.objects.filter(response_id__in=ids)
        .values("response_id")
        .annotate(newest=Max("pk"))
        .values_list("response_id", "newest")
    )
    theme_organisations = {r.organisation_id for r in with_text if wanted[r.organisation_id][1]}
    assigned = (
        dict(
            ThemeSpace.objects.filter(organisation_id__in=theme_organisations).values_list(
                "organisation_id", "assigned_through"
            )
        )
        if theme_organisations
        else {}
    )
    readings = {}
    for response in with_text:
        is_read = response.pk in combined
        if is_read and wanted[response.organisation_id][1]:
            through = assigned.get(response.organisation_id)
            is_read = through is None or through >= newest[response.pk]
        facts = _text_facts(combined[response.pk]) if response.pk in combined else None
        if is_read:
            readings[response.pk] = TextReading(facts=facts)
        elif response.received_at > now - TEXT_WAIT:
            readings[response.pk] = TextReading(is_waiting=True)
        else:
            readings[response.pk] = TextReading(facts=facts, is_missing=True)
    return readings


def has_text(response: Response) -> bool:
    """Tell whether a response has a comment or a text answer for the text app to read."""
    return bool(response.comment) or any(
        answer.text and answer.number is None and answer.choices is None
        for answer in response.answers.all()
    )


def _text_facts(combined: dict) -> TextFacts:
    sentiment = combined["sentiment"] or {}
    return TextFacts(
        sentiment_score=sentiment.get("score"),
        sentiment_label=sentiment.get("label", ""),
        is_urgent=combined["urgent"],
        urgency_reasons=frozenset(combined["urgency_reasons"]),
        themes=frozenset(theme["id"] for theme in combined["themes"]),
    )


def evaluate_response(
    response: Response,
    rules: Sequence[Rule],
    *,
    now: datetime,
    reading: TextReading | None = None,
    resurveyed_case: int | None = None,
) -> int:
    """Evaluate one response in its own transaction; return 1, or 0 if another worker did.

    A response answering the re-survey of ``resurveyed_case`` is logged on that case
    (a "no" reopens it) instead of going through the rules.
    """
    reading = reading or TextReading()
    claimed = False
    try:
        with transaction.atomic():
            # The ledger row is the transaction's first write, so a conflict on it has
            # nothing else to undo: no savepoint (two round trips per response) is needed.
            EvaluatedResponse.objects.create(
                response_id=response.pk, at=now, without_text=reading.is_missing
            )
            claimed = True
            if resurveyed_case is not None:
                _record_resurvey(response, resurveyed_case, now=now)
                return 1
            matched = act_on(response, rules, now=now, text=reading.facts)
            if matched:
                EvaluatedResponse.objects.filter(pk=response.pk).update(matched=matched)
    except IntegrityError:
        if not claimed:
            return 0  # evaluated, or being evaluated, by another worker
        raise  # the database refused a later write: the next run tries again
    except DatabaseError:
        raise  # the database is busy or gone: the next run tries again
    except Exception as error:
        # A response the rules cannot handle is recorded with the error rather than tried
        # forever; it keeps the watermark from passing it until an operator looks.
        logger.exception("evaluating response %s failed", response.pk)
        EvaluatedResponse.objects.get_or_create(
            response_id=response.pk, defaults={"at": now, "error": repr(error)[:2000]}
        )
        return 0
    return 1


def _record_resurvey(response: Response, case_id: int, *, now: datetime) -> None:
    is_solved = answer_of(response)
    case = Case.objects.filter(pk=case_id, organisation_id=response.organisation_id).first()
    if case is not None and is_solved is not None:
        record_resurvey_answer(case, is_solved=is_solved, response=response, now=now)


def facts_of(response: Response, text: TextFacts | None = None) -> ResponseFacts:
    """Return what the rules see of a response: its scored answers, customer and ``text``."""
    questions = response.version.parsed().questions_by_key
    answers = []
    for answer in response.answers.all():
        question = questions.get(answer.question_key)
        if question is None or question.type not in SCORED_TYPES or answer.number is None:
            continue
        scale = question.effective_scale()
        answers.append(
            AnswerFact(
                question=question.key,
                type=question.type,
                number=answer.number,
                domain=question.domain,
                scale_min=scale.min if scale else 0,
                scale_max=scale.max if scale else 1,
            )
        )
    return ResponseFacts(
        channel=response.channel,
        unit_path=response.unit.path,
        survey_id=response.survey_id,
        answers=tuple(answers),
        text=text,
        customer=customer_facts(response.customer) if response.customer_id else None,
    )


def customer_facts(customer) -> dict[str, object]:
    """Return what customer conditions may read: the customer's attributes and fields.

    The named fields (``CUSTOMER_FIELDS``) win over an attribute of the same name.
    """
    facts: dict[str, object] = dict(customer.attributes or {})
    facts.update(value_tier=customer.value_tier, temperament=customer.temperament)
    return facts


def matching_rules(
    response: Response, rules: Sequence[Rule], *, text: TextFacts | None = None
) -> list[Rule]:
    """Return the rules that hold for a response."""
    facts = facts_of(response, text)
    return [rule for rule in rules if matches(rule_scope(rule), rule_conditions(rule), facts)]


def act_on(
    response: Response, rules: Sequence[Rule], *, now: datetime, text: TextFacts | None = None
) -> int:
    """Do what the matching rules say, in the caller's transaction; return how many matched.

    All the rules that open a case open *one* case together, with the highest priority
    and the shortest deadline among them: one customer, one problem, one owner.
    """
    if response.survey.is_confidential:
        return 0  # employee answers are confidential: no case or alert may show one
    matched = matching_rules(response, rules, text=text)
    if not matched or response.submitted_at < now - STALE_AFTER:
        return 0
    openers = [rule for rule in matched if rule.opens_case]
    case = _open_for(response, openers, now) if openers else None
    RuleMatch.objects.bulk_create(
        [
            RuleMatch(
                organisation_id=response.organisation_id,
                rule=rule,
                response=response,
                case=case if rule.opens_case else None,
                at=now,
            )
            for rule in matched
        ]
    )
    tags = [(tag, rule) for rule in matched for tag in rule.tags]
    ResponseTag.objects.bulk_create(
        [
            ResponseTag(organisation_id=response.organisation_id, response=response, tag=t, rule=r)
            for t, r in tags
        ],
        ignore_conflicts=True,
    )
    if case is not None and tags:
        Case.objects.filter(pk=case.pk).update(tags=sorted({tag for tag, _rule in tags}))
    for rule in matched:
        if not rule.opens_case and rule.alert:
            _alert_without_case(response, rule)
        if rule.calls_webhooks:
            publish_match(
                response, rule, case if rule.opens_case else None, summary=score_summary(response)
            )
    return len(matched)


def _open_for(response: Response, openers: Sequence[Rule], now: datetime) -> Case:
    first = max(openers, key=lambda rule: (PRIORITY_RANK[rule.case_priority], -rule.pk))
    recipients = list(dict.fromkeys(item for rule in openers for item in rule.alert))
    return open_case(
        CaseOpening(
            organisation=response.organisation,
            unit=response.unit,
            title=_title(response, first),
            priority=first.case_priority,
            due_hours=min(rule.case_due_hours for rule in openers),
            response=response,
            source=CaseSource.RULE,
            rules=openers,
            alert=recipients,
        ),
        now=now,
    )


def _title(response: Response, rule: Rule) -> str:
    return f"{rule.name} · {response.unit.name} · {score_summary(response)}"[:300]


def score_summary(response: Response) -> str:
    """Return the scores that best say how the customer felt ("NPS 3", "NPS 8, 2/5")."""
    facts = facts_of(response).answers
    parts = [_("NPS %d") % fact.number for fact in facts if fact.type == QuestionType.NPS][:1]
    rated = [fact for fact in facts if fact.type in (QuestionType.RATING, QuestionType.CES)]
    if rated:
        lowest = min(
            rated,
            key=lambda fact: (fact.number - fact.scale_min) / (fact.scale_max - fact.scale_min),
        )
        if is_low(lowest) or not parts:
            parts.append(f"{lowest.number}/{lowest.scale_max}")
    return ", ".join(parts) or response.get_channel_display()


def _alert_without_case(response: Response, rule: Rule) -> None:
    addresses: list[str] = []
    for recipient in rule.alert:
        if recipient == AlertTarget.OWNER:
            owner = default_owner(response.unit, response.staff_id)
            addresses.extend([owner.user.email] if owner else [])
        elif recipient == AlertTarget.MANAGERS:
            addresses.extend(member.user.email for member in managers_of(response.unit))
        else:
            addresses.append(recipient)
    emails.send_feedback_alert(response, rule, addresses, summary=score_summary(response))


def _advance(position: int, now: datetime) -> None:
    """Move the watermark over evaluated responses received more than SETTLE ago."""
    above = Response.objects.filter(pk__gt=position)
    settled = above.filter(received_at__lt=now - SETTLE).aggregate(top=Max("pk"))["top"]
    if settled is None:
        return
    limits = [settled]
    first_pending = _pending(position).aggregate(first=Min("pk"))["first"]
    if first_pending is not None:
        limits.append(first_pending - 1)
    first_recent = above.filter(received_at__gte=now - SETTLE).aggregate(first=Min("pk"))["first"]
    if first_recent is not None:
        limits.append(first_recent - 1)
    target = min(limits)
    if target > position:
        EvaluationCursor.objects.filter(pk=CURSOR_ID, position__lt=target).update(
            position=target, moved_at=now
        )


# --- trying a rule ------------------------------------------------------------------------

TRY_DAYS = 30
TRY_LIMIT = 20_000
TRY_SAMPLES = 20
TRY_CHUNK = 500


@dataclass
class TrialResult:
    """What a rule would have done over a period: how often, where, for which responses."""

    examined: int = 0
    matched: int = 0
    opens_case: bool = True
    by_unit: dict[str, int] = field(default_factory=dict)
    samples: list[Response] = field(default_factory=list)
    is_truncated: bool = False
    days: int = TRY_DAYS
    reads_text: bool = False


def try_rule(
    organisation: Organisation,
    rule: Rule,
    *,
    now: datetime | None = None,
    days: int = TRY_DAYS,
) -> TrialResult:
    """Return what ``rule`` (saved or not) would have done over the last ``days`` of feedback.

    Nothing is written: no case, no email. At most TRY_LIMIT responses are examined,
    newest first; the result says when the period held more.
    """
    now = now_or(now)
    result = TrialResult(opens_case=rule.opens_case, days=days)
    # Rules never act on employee answers (confidential), so they are not tried on them.
    recent = Response.objects.for_org(organisation).filter(
        attributable(), submitted_at__gte=now - timedelta(days=days)
    )
    responses = _with_facts(recent).order_by("-submitted_at", "-pk")[: TRY_LIMIT + 1]
    scope, conditions = rule_scope(rule), rule_conditions(rule)
    reads_text = result.reads_text = needs_text(conditions)
    for chunk in _chunks(responses.iterator(chunk_size=TRY_CHUNK), TRY_CHUNK):
        # Text conditions see the readings stored by now (a trial never waits for one).
        texts = text_analyses([response.pk for response in chunk]) if reads_text else {}
        for response in chunk:
            if result.examined == TRY_LIMIT:
                result.is_truncated = True
                break
            result.examined += 1
            text = _text_facts(texts[response.pk]) if response.pk in texts else None
            if matches(scope, conditions, facts_of(response, text)):
                result.matched += 1
                name = response.unit.name
                result.by_unit[name] = result.by_unit.get(name, 0) + 1
                if len(result.samples) < TRY_SAMPLES:
                    result.samples.append(response)
    result.by_unit = dict(sorted(result.by_unit.items(), key=lambda item: -item[1]))
    return result


def _chunks(items: Iterable[Response], size: int) -> Iterable[list[Response]]:
    chunk: list[Response] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
