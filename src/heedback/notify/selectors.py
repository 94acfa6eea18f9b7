"""Reads of the notify app: the messages that gave up, for the page that sends them again."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from heedback.notify.choices import MessageKind, MessageStatus
from heedback.notify.models import OutboxMessage, Webhook
from heedback.orgs.models import Organisation


def dead_messages(organisation: Organisation) -> QuerySet[OutboxMessage]:
    """Return the organisation's messages that gave up after every retry, newest first."""
    return OutboxMessage.objects.filter(
        organisation=organisation, status=MessageStatus.DEAD
    ).order_by("-next_attempt_at", "-pk")


@dataclass(frozen=True)
class DeadLetter:
    """A message that gave up, as the page shows it: where it was going and what it said."""

    message: OutboxMessage
    destination: str
    summary: str


def describe(organisation: Organisation, messages: list[OutboxMessage]) -> list[DeadLetter]:
    """Return each message with its destination (addresses, or the webhook's URL) in one query."""
    webhook_ids = {m.payload.get("webhook") for m in messages if m.kind == MessageKind.WEBHOOK}
    urls = dict(
        Webhook.objects.for_org(organisation).filter(pk__in=webhook_ids).values_list("pk", "url")
    )
    letters = []
    for message in messages:
        if message.kind == MessageKind.WEBHOOK:
            destination = urls.get(message.payload.get("webhook"), "")
            summary = message.payload.get("type", "")
        else:
            destination = ", ".join(message.payload.get("to", []))
            summary = message.payload.get("subject", "")
        letters.append(DeadLetter(message, destination, summary))
    return letters
