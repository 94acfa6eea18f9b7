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
from heedback.loop.conditions import AnswerFact, ResponseFacts, is_low, matches
from heedback.loop.models import (
    Case,
    EvaluatedResponse,
    EvaluationCursor,
    ResponseTag,
    Rule,
    RuleMatch,
)
from heedback.loop.services.cases import CaseOpening, open_case
from heedback.loop.services.common import default_owner, now_or
from heedback.loop.services.rules import rule_conditions, rule_scope
from heedback.orgs.models import Organisation
from heedback.orgs.selectors import managers_of
from heedback.surveys.confidentiality import attributable
from heedback.surveys.definition import NUMERIC_TYPES, QuestionType

logger = logging.getLogger("heedback.loop")

SETTLE = timedelta(minutes=10)
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
    while True:
        step_now = now_or(now)
        ids = list(_pending(cursor.position).order_by("pk").values_list("pk", flat=True)[:limit])
        if not ids:
            break
        responses = list(_with_facts(Response.objects.filter(pk__in=ids)).order_by("pk"))
        rules = _enabled_rules({response.organisation_id for response in responses})
        for response in responses:
            evaluated += evaluate_response(
                response, rules.get(response.organisation_id, []), now=step_now
            )
        if len(ids) < limit or time.monotonic() > stop_at:
            break
    _advance(cursor.position, now_or(now))
    return evaluated


def _pending(position: int) -> QuerySet[Response]:
    done = EvaluatedResponse.objects.filter(response_id=OuterRef("pk"))
    return Response.objects.filter(pk__gt=position).filter(~Exists(done))


def _with_facts(responses: QuerySet[Response]) -> QuerySet[Response]:
    return responses.select_related("unit", "version", "organisation", "survey").prefetch_related(
        "answers"
    )


def _enabled_rules(organisation_ids: Iterable[int]) -> dict[int, list[Rule]]:
    rules: dict[int, list[Rule]] = {}
    enabled = Rule.objects.filter(organisation_id__in=list(organisation_ids), is_enabled=True)
    for rule in enabled.select_related("unit").order_by("pk"):
        rules.setdefault(rule.organisation_id, []).append(rule)
    return rules


def evaluate_response(response: Response, rules: Sequence[Rule], *, now: datetime) -> int:
    """Evaluate one response in its own transaction; return 1, or 0 if another worker did."""
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    EvaluatedResponse.objects.create(response_id=response.pk, at=now)
            except IntegrityError:
                return 0  # evaluated, or being evaluated, by another worker
            matched = act_on(response, rules, now=now)
            if matched:
                EvaluatedResponse.objects.filter(pk=response.pk).update(matched=matched)
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


def facts_of(response: Response) -> ResponseFacts:
    """Return what the rules see of a response: each scored answer with its question's details."""
    questions = {question.key: question for question in response.version.parsed().questions}
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
    )


def matching_rules(response: Response, rules: Sequence[Rule]) -> list[Rule]:
    """Return the rules that hold for a response."""
    facts = facts_of(response)
    return [rule for rule in rules if matches(rule_scope(rule), rule_conditions(rule), facts)]


def act_on(response: Response, rules: Sequence[Rule], *, now: datetime) -> int:
    """Do what the matching rules say, in the caller's transaction; return how many matched.

    All the rules that open a case open *one* case together, with the highest priority
    and the shortest deadline among them: one customer, one problem, one owner.
    """
    if response.survey.is_confidential:
        return 0  # employee answers are confidential: no case or alert may show one
    matched = matching_rules(response, rules)
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
    for response in responses.iterator(chunk_size=500):
        if result.examined == TRY_LIMIT:
            result.is_truncated = True
            break
        result.examined += 1
        if matches(scope, conditions, facts_of(response)):
            result.matched += 1
            name = response.unit.name
            result.by_unit[name] = result.by_unit.get(name, 0) + 1
            if len(result.samples) < TRY_SAMPLES:
                result.samples.append(response)
    result.by_unit = dict(sorted(result.by_unit.items(), key=lambda item: -item[1]))
    return result
