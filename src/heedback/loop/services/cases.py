"""Writes of cases: open, assign, log follow-up, change state, resolve, reopen.

Each function owns its transaction, locks the case row while it changes state
(``select_for_update``), records what happened in the case's log and writes the emails
it causes to the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from heedback.collect.models import Response
from heedback.core.errors import Conflict, InvalidInput
from heedback.loop import emails
from heedback.loop.choices import (
    TRANSITIONS,
    AlertTarget,
    CasePriority,
    CaseSource,
    CaseStatus,
    CodeKind,
    EventKind,
)
from heedback.loop.models import Case, CaseCode, CaseEvent, Rule
from heedback.loop.services.common import (
    SYSTEM,
    Actor,
    can_own_cases,
    default_owner,
    due_after,
    now_or,
    settings_of,
)
from heedback.loop.services.events import publish
from heedback.loop.services.resurvey import send_resurvey
from heedback.orgs.models import Membership, Organisation, Unit
from heedback.orgs.selectors import managers_of

MAX_DUE_HOURS = 24 * 90
MAX_TITLE_LENGTH = 300
MAX_TEXT_LENGTH = 10_000


@dataclass(frozen=True)
class CaseOpening:
    """What opening a case needs; the owner defaults to the response's staff, else the manager."""

    organisation: Organisation
    unit: Unit
    title: str
    priority: str = CasePriority.NORMAL
    due_hours: int = 48
    response: Response | None = None
    owner: Membership | None = None
    source: str = CaseSource.STAFF
    rules: Sequence[Rule] = ()
    alert: Sequence[str] = ()
    note: str = ""
    actor: Actor = SYSTEM
    external_key: str = ""


def open_case(opening: CaseOpening, *, now: datetime | None = None) -> Case:
    """Open a case with its owner and deadline, log it and alert who the opening names."""
    now = now_or(now)
    _check_opening(opening)
    # Inside a caller's transaction (the rules' evaluation) a failure rolls all of it
    # back anyway, so no savepoint is spent; called alone, this is the transaction.
    with transaction.atomic(savepoint=False):
        return _create_case(opening, now)


def _check_opening(opening: CaseOpening) -> None:
    errors = []
    organisation_id = opening.organisation.pk
    if not opening.title.strip() or len(opening.title) > MAX_TITLE_LENGTH:
        errors.append(("title", _("Give a title of 1–%d characters.") % MAX_TITLE_LENGTH))
    if opening.priority not in CasePriority.values:
        errors.append(("priority", _("Choose one of: %s.") % ", ".join(CasePriority.values)))
    if not 1 <= opening.due_hours <= MAX_DUE_HOURS:
        errors.append(("due_hours", _("Give 1 to %d hours.") % MAX_DUE_HOURS))
    if opening.unit.organisation_id != organisation_id:
        errors.append(("unit", _("The unit does not exist.")))
    if opening.response is not None and opening.response.organisation_id != organisation_id:
        errors.append(("response", _("The response does not exist.")))
    owner = opening.owner
    if owner is not None and (owner.organisation_id != organisation_id or not can_own_cases(owner)):
        errors.append(("owner", _("Choose a member who works cases.")))
    if errors:
        raise InvalidInput.from_pairs(_("The case is not valid."), errors)


def _create_case(opening: CaseOpening, now: datetime) -> Case:
    response = opening.response
    owner = opening.owner
    if owner is None:
        owner = default_owner(opening.unit, response.staff_id if response else None)
    # A rule's deadline counts from when the feedback reached us, not from when the
    # worker got to it: the customer has been waiting since then.
    start = response.received_at if response is not None and opening.source == "rule" else now
    due_at = due_after(start, opening.due_hours, opening.unit, opening.organisation)
    case = Case.objects.create(
        organisation=opening.organisation,
        title=opening.title.strip(),
        priority=opening.priority,
        source=opening.source,
        unit=opening.unit,
        response=response,
        owner=owner,
        due_hours=opening.due_hours,
        due_at=due_at,
        next_escalation_at=due_at,
        opened_at=now,
        updated_at=now,
        external_key=opening.external_key,
    )
    if opening.rules:
        case.rules.add(*opening.rules)  # a new case has none to replace: no read first
    _log(
        case,
        EventKind.OPENED,
        opening.actor,
        now,
        body=opening.note.strip(),
        detail={
            "rules": [rule.pk for rule in opening.rules],
            "owner": owner.pk if owner else None,
        },
    )
    if opening.alert:
        alert(case, opening.alert, now=now, reason=_reason(opening))
    publish(case, "case.opened", now=now)
    return case


def _reason(opening: CaseOpening) -> str:
    if opening.rules:
        return _("rule: %s") % ", ".join(rule.name for rule in opening.rules)
    return _("opened by %s") % opening.actor.display


def alert(case: Case, recipients: Sequence[str], *, now: datetime, reason: str) -> list[str]:
    """Email a case's alert to the owner, the unit's managers and/or named addresses."""
    addresses: list[str] = []
    for recipient in recipients:
        if recipient == AlertTarget.OWNER:
            if case.owner_id:
                addresses.append(case.owner.user.email)
        elif recipient == AlertTarget.MANAGERS:
            addresses.extend(member.user.email for member in managers_of(case.unit))
        else:
            addresses.append(recipient)
    sent = emails.send_case_alert(case, addresses, reason=reason)
    if sent:
        _log(case, EventKind.ALERTED, SYSTEM, now, detail={"to": sent})
    return sent


def _log(
    case: Case, kind: str, actor: Actor, now: datetime, *, body: str = "", **fields: object
) -> CaseEvent:
    return CaseEvent.objects.create(
        organisation_id=case.organisation_id,
        case=case,
        kind=kind,
        actor=actor.membership,
        actor_label=actor.display,
        at=now,
        body=body,
        **fields,
    )


def _locked(case: Case) -> Case:
    """Lock the case's row for this transaction and return it fresh."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("organisation", "unit", "owner__user")
        .get(pk=case.pk)
    )


def _touch(case: Case, now: datetime, actor: Actor, fields: list[str]) -> None:
    """Save ``fields``; a person's first action on a new case starts the work on it."""
    if actor.membership is not None:
        if case.first_action_at is None:
            case.first_action_at = now
            fields.append("first_action_at")
        if case.status == CaseStatus.NEW:
            _log(
                case, EventKind.STATUS, actor, now, from_status=case.status, to_status="in_progress"
            )
            case.status = CaseStatus.IN_PROGRESS
            fields.append("status")
    case.updated_at = now
    case.save(update_fields=[*fields, "updated_at"])


# --- assignment and priority --------------------------------------------------------------


def assign_case(
    case: Case, owner: Membership | None, *, actor: Actor, now: datetime | None = None
) -> Case:
    """Give the case to ``owner`` (None: unassigned) and tell them, unless they did it."""
    now = now_or(now)
    if owner is not None and (
        owner.organisation_id != case.organisation_id or not can_own_cases(owner)
    ):
        raise InvalidInput.from_pairs(
            _("The case cannot go to this person."),
            [("owner", _("Choose a member who works cases."))],
        )
    with transaction.atomic():
        case = _locked(case)
        if case.owner_id == (owner.pk if owner else None):
            return case
        event = _log(
            case,
            EventKind.ASSIGNED,
            actor,
            now,
            detail={"from": case.owner_id, "to": owner.pk if owner else None},
        )
        case.owner = owner
        case.updated_at = now
        case.save(update_fields=["owner", "updated_at"])
        if owner is not None and owner != actor.membership:
            emails.send_assignment(case, owner.user.email, event_id=event.pk)
    return case


def change_priority(
    case: Case, priority: str, *, actor: Actor, now: datetime | None = None
) -> Case:
    """Set the case's priority (the deadline stays: it was promised)."""
    now = now_or(now)
    if priority not in CasePriority.values:
        raise InvalidInput.from_pairs(
            _("The priority is not valid."),
            [("priority", _("Choose one of: %s.") % ", ".join(CasePriority.values))],
        )
    with transaction.atomic():
        case = _locked(case)
        if case.priority == priority:
            return case
        _log(case, EventKind.PRIORITY, actor, now, detail={"from": case.priority, "to": priority})
        case.priority = priority
        case.updated_at = now
        case.save(update_fields=["priority", "updated_at"])
    return case


# --- the follow-up log --------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """One entry a person adds to the log: a note, a call, a reply or a gesture.

    A call says whether the customer was ``reached`` and, if known, whether the problem
    is ``solved``; a reply is emailed to ``reply_to`` when given (else it was sent some
    other way and is only recorded); a gesture has an ``amount`` within the role's limit.
    """

    kind: str
    body: str = ""
    reached: bool | None = None
    solved: bool | None = None
    reply_to: str = ""
    amount: Decimal | str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)


FOLLOW_UP_KINDS = (EventKind.NOTE, EventKind.CALL, EventKind.REPLY, EventKind.GESTURE)


def add_event(
    case: Case, follow_up: FollowUp, *, actor: Actor, now: datetime | None = None
) -> CaseEvent:
    """Add a note, call, reply or gesture to the case's log; a reply may email the customer."""
    now = now_or(now)
    amount = _check_follow_up(case, follow_up, actor)
    with transaction.atomic():
        case = _locked(case)
        event = _log(
            case,
            follow_up.kind,
            actor,
            now,
            body=follow_up.body.strip(),
            reached=follow_up.reached if follow_up.kind == EventKind.CALL else None,
            solved=follow_up.solved if follow_up.kind == EventKind.CALL else None,
            amount=amount,
            detail={"to": follow_up.reply_to.strip()} if follow_up.reply_to.strip() else {},
        )
        fields: list[str] = []
        if amount is not None:
            case.gesture_total += amount
            fields.append("gesture_total")
        _touch(case, now, actor, fields)
        if follow_up.kind == EventKind.REPLY and follow_up.reply_to.strip():
            owner_address = case.owner.user.email if case.owner_id else ""
            emails.send_reply(
                case,
                follow_up.reply_to.strip(),
                follow_up.body.strip(),
                event_id=event.pk,
                reply_to=owner_address,
            )
    return event


def _check_follow_up(case: Case, follow_up: FollowUp, actor: Actor) -> Decimal | None:
    """Validate a follow-up entry; return the gesture amount as a Decimal (or None)."""
    errors = list(follow_up.errors)
    kind, body = follow_up.kind, follow_up.body.strip()
    if kind not in FOLLOW_UP_KINDS:
        errors.append(("kind", _("Choose one of: %s.") % ", ".join(FOLLOW_UP_KINDS)))
    if kind in (EventKind.NOTE, EventKind.REPLY, EventKind.GESTURE) and not body:
        errors.append(("body", _("Write what happened.")))
    if len(body) > MAX_TEXT_LENGTH:
        errors.append(("body", _("At most %d characters.") % MAX_TEXT_LENGTH))
    if kind == EventKind.CALL and follow_up.reached is None:
        errors.append(("reached", _("Say whether the customer was reached.")))
    if kind == EventKind.REPLY and follow_up.reply_to.strip():
        try:
            validate_email(follow_up.reply_to.strip())
        except ValidationError:
            errors.append(("reply_to", _("Enter a valid email address.")))
    amount = None
    if kind == EventKind.GESTURE:
        amount, problem = _gesture_amount(case, follow_up.amount, actor)
        if problem:
            errors.append(("amount", problem))
    if errors:
        raise InvalidInput.from_pairs(_("The entry is not valid."), errors)
    return amount


def _gesture_amount(
    case: Case, raw: Decimal | str | None, actor: Actor
) -> tuple[Decimal | None, str]:
    """Check a gesture against the actor's role limit: empowerment within bounds."""
    try:
        amount = Decimal(str(raw)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None, _("Give an amount such as 25 or 12.50.")
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e10"):
        return None, _("Give an amount above zero.")
    limits = settings_of(case.organisation).gesture_limits
    role = actor.role
    if role is None or role not in limits:
        return None, _("Your role may not make gestures.")
    limit = limits[role]
    if limit not in ("", None) and amount > Decimal(str(limit)):
        return None, _("Your role may make gestures up to %s.") % limit
    return amount, ""


# --- state changes --------------------------------------------------------------------------


def change_status(case: Case, status: str, *, actor: Actor, now: datetime | None = None) -> Case:
    """Move the case to ``status`` along the allowed transitions (resolve and reopen apart)."""
    now = now_or(now)
    if status == CaseStatus.RESOLVED:
        raise InvalidInput.from_pairs(
            _("Resolve the case with its resolution."), [("status", _("use resolve"))]
        )
    if status == CaseStatus.REOPENED:
        return reopen_case(case, reason="", actor=actor, now=now)
    if status not in CaseStatus.values:
        raise InvalidInput.from_pairs(
            _("The status is not valid."),
            [("status", _("Choose one of: %s.") % ", ".join(CaseStatus.values))],
        )
    with transaction.atomic():
        case = _locked(case)
        if case.status == status:
            return case
        _check_transition(case, status)
        _log(case, EventKind.STATUS, actor, now, from_status=case.status, to_status=status)
        case.status = status
        fields = ["status"]
        if status == CaseStatus.CLOSED:
            case.closed_at = now
            case.next_escalation_at = None
            fields += ["closed_at", "next_escalation_at"]
        _touch(case, now, actor, fields)
    return case


def _check_transition(case: Case, status: str) -> None:
    if status not in TRANSITIONS[case.status]:
        raise Conflict(
            _("A case that is %(current)s cannot become %(wanted)s.")
            % {
                "current": CaseStatus(case.status).label.lower(),
                "wanted": CaseStatus(status).label.lower(),
            },
            errors={"status": [_("not allowed from %s") % case.status]},
        )


@dataclass(frozen=True)
class Resolution:
    """How a case ended: a resolution code, the root cause (optional) and a note."""

    code: str
    root_cause: str = ""
    note: str = ""


def resolve_case(
    case: Case, resolution: Resolution, *, actor: Actor, now: datetime | None = None
) -> Case:
    """Resolve the case with a code from the organisation's lists; the escalation stops."""
    now = now_or(now)
    code, cause = _codes(case.organisation, resolution)
    with transaction.atomic():
        case = _locked(case)
        _check_transition(case, CaseStatus.RESOLVED)
        _log(
            case,
            EventKind.RESOLVED,
            actor,
            now,
            body=resolution.note.strip(),
            from_status=case.status,
            to_status=CaseStatus.RESOLVED,
            detail={"code": code.key, "root_cause": cause.key if cause else ""},
        )
        case.status = CaseStatus.RESOLVED
        case.resolution_code = code
        case.root_cause = cause
        case.resolution_note = resolution.note.strip()
        case.resolved_at = now
        case.next_escalation_at = None
        fields = ["status", "resolution_code", "root_cause", "resolution_note", "resolved_at"]
        _touch(case, now, actor, [*fields, "next_escalation_at"])
        publish(case, "case.resolved", now=now)
        send_resurvey(case, now=now)
    return case


def _codes(organisation: Organisation, resolution: Resolution) -> tuple[CaseCode, CaseCode | None]:
    codes = {
        (code.kind, code.key): code
        for code in CaseCode.objects.for_org(organisation).filter(is_retired=False)
    }
    errors = []
    code = codes.get((CodeKind.RESOLUTION, resolution.code))
    if code is None:
        errors.append(("resolution_code", _("Choose a resolution from the list.")))
    cause = None
    if resolution.root_cause:
        cause = codes.get((CodeKind.ROOT_CAUSE, resolution.root_cause))
        if cause is None:
            errors.append(("root_cause", _("Choose a root cause from the list.")))
    if len(resolution.note) > MAX_TEXT_LENGTH:
        errors.append(("note", _("At most %d characters.") % MAX_TEXT_LENGTH))
    if errors:
        raise InvalidInput.from_pairs(_("The resolution is not valid."), errors)
    return code, cause


def reopen_case(case: Case, *, reason: str, actor: Actor, now: datetime | None = None) -> Case:
    """Reopen a resolved or closed case with a fresh deadline; its escalation starts over."""
    now = now_or(now)
    with transaction.atomic():
        case = _locked(case)
        _check_transition(case, CaseStatus.REOPENED)
        _log(
            case,
            EventKind.REOPENED,
            actor,
            now,
            body=reason.strip(),
            from_status=case.status,
            to_status=CaseStatus.REOPENED,
        )
        case.status = CaseStatus.REOPENED
        case.reopened_count += 1
        case.resolved_at = case.closed_at = None
        case.due_at = due_after(now, case.due_hours, case.unit, case.organisation)
        case.next_escalation_at = case.due_at
        case.escalation_level = 0
        case.escalated_to = case.escalation_unit = None
        case.updated_at = now
        case.save()
        if case.owner_id:
            emails.send_case_alert(
                case,
                [case.owner.user.email],
                reason=_("reopened"),
                occasion=f"reopened-{case.reopened_count}",
            )
        publish(case, "case.reopened", now=now, occasion=str(case.reopened_count))
    return case


def mark_seen(case: Case, membership: Membership, *, now: datetime | None = None) -> None:
    """Note when the owner first saw the case: the *time to front line* starts the loop."""
    if case.owner_id == membership.pk and case.first_seen_at is None:
        Case.objects.filter(pk=case.pk, first_seen_at__isnull=True).update(
            first_seen_at=now_or(now)
        )


def record_resurvey_answer(
    case: Case,
    *,
    is_solved: bool,
    response: Response | None = None,
    now: datetime | None = None,
) -> Case:
    """Log the customer's answer to "Is your problem solved?"; a "no" reopens the case.

    The re-survey that asks it is sent on resolution (``services.resurvey``); its answer
    is logged once per re-survey response, so a repeat changes nothing. The solved rate
    of the loop metrics counts these entries.
    """
    now = now_or(now)
    actor = Actor(label=_("the customer"))
    with transaction.atomic():
        case = _locked(case)
        if (
            response is not None
            and case.events.filter(kind=EventKind.RESURVEY, detail__response=response.pk).exists()
        ):
            return case
        _log(
            case,
            EventKind.RESURVEY,
            actor,
            now,
            solved=is_solved,
            detail={"response": response.pk if response is not None else None},
        )
        if not is_solved and case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            return reopen_case(
                case, reason=_("The customer says the problem is not solved."), actor=actor, now=now
            )
    return case
