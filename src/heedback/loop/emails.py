"""The emails the loop sends: what each says, and the key that makes it unique in the outbox.

Every email is written to the outbox in the transaction of the fact it reports, with a
key derived from that fact, so a retried or doubled job never sends a second copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.loop.models import Case
from heedback.notify.services import Email, enqueue_email


def case_url(case: Case) -> str:
    """Return the case page's address (absolute when HEEDBACK_BASE_URL is set)."""
    path = reverse("case-detail", args=[case.organisation.slug, case.pk])
    return f"{settings.BASE_URL}{path}"


def address_key(address: str) -> str:
    """Return a short, stable stand-in for an address inside an idempotency key."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:16]


def _when(case: Case) -> str:
    zone = case.organisation.time_zone
    local = timezone.localtime(case.due_at, timezone=_zone(zone))
    return local.strftime("%Y-%m-%d %H:%M") + f" ({zone})"


def _zone(name: str):
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


def _summary(case: Case) -> list[str]:
    lines = [
        _("Case: %s") % case.title,
        _("Unit: %s") % case.unit.name,
        _("Priority: %s") % case.get_priority_display(),
        _("Due: %s") % _when(case),
    ]
    if case.owner_id:
        lines.append(_("Owner: %s") % case.owner.user.email)
    return lines


def send_case_alert(
    case: Case, addresses: Iterable[str], *, reason: str, occasion: str = "opened"
) -> list[str]:
    """Alert ``addresses`` that a case needs them; return the addresses written to the outbox.

    ``occasion`` tells one alert of a case from another (opened, reopened-2) in the key.
    """
    sent = []
    is_reopened = occasion.startswith("reopened")
    subject = (_("Case reopened: %s") if is_reopened else _("New case: %s")) % case.title
    for address in sorted({a.strip().lower() for a in addresses if a.strip()}):
        body = "\n".join(
            [
                _("A case needs someone to act on it (%s).") % reason,
                "",
                *_summary(case),
                "",
                _("Open the case: %s") % case_url(case),
            ]
        )
        enqueue_email(
            Email(to=[address], subject=subject, body=body),
            key=f"case-{case.pk}-{occasion}-{address_key(address)}",
            organisation=case.organisation,
        )
        sent.append(address)
    return sent


def send_escalation(case: Case, addresses: Iterable[str], *, level: int) -> list[str]:
    """Tell the next managers up that a case passed its deadline; return who was written to."""
    sent = []
    for address in sorted({a.strip().lower() for a in addresses if a.strip()}):
        body = "\n".join(
            [
                _("This case passed its deadline and is escalated to you (step %d).") % level,
                "",
                *_summary(case),
                "",
                _("Open the case: %s") % case_url(case),
            ]
        )
        enqueue_email(
            Email(to=[address], subject=_("Overdue case escalated: %s") % case.title, body=body),
            key=f"case-{case.pk}-escalation-{level}-{address_key(address)}",
            organisation=case.organisation,
        )
        sent.append(address)
    return sent


def send_assignment(case: Case, address: str, *, event_id: int) -> None:
    """Tell a member that a case is now theirs."""
    body = "\n".join(
        [
            _("This case is now yours."),
            "",
            *_summary(case),
            "",
            _("Open the case: %s") % case_url(case),
        ]
    )
    enqueue_email(
        Email(to=[address], subject=_("Case assigned to you: %s") % case.title, body=body),
        key=f"case-{case.pk}-event-{event_id}-assigned",
        organisation=case.organisation,
    )


def send_reply(case: Case, address: str, text: str, *, event_id: int, reply_to: str) -> None:
    """Send the customer the owner's reply; the customer's answer goes to the owner."""
    enqueue_email(
        Email(
            to=[address],
            subject=_("About your feedback to %s") % case.organisation.name,
            body=text,
            reply_to=(reply_to,) if reply_to else (),
        ),
        key=f"case-{case.pk}-event-{event_id}-reply",
        organisation=case.organisation,
    )


def send_feedback_alert(response, rule, addresses: Iterable[str], *, summary: str) -> list[str]:
    """Alert ``addresses`` that a response matched a rule that opens no case."""
    sent = []
    for address in sorted({a.strip().lower() for a in addresses if a.strip()}):
        lines = [
            _("New feedback matched the rule “%s”.") % rule.name,
            "",
            _("Unit: %s") % response.unit.name,
            _("Score: %s") % summary,
        ]
        if response.comment:
            lines += ["", response.comment]
        enqueue_email(
            Email(to=[address], subject=_("Feedback alert: %s") % rule.name, body="\n".join(lines)),
            key=f"rule-{rule.pk}-response-{response.pk}-{address_key(address)}",
            organisation=response.organisation,
        )
        sent.append(address)
    return sent
