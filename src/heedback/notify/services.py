"""Writes of the notify app: put messages in the outbox, and deliver the ones that are due.

Delivery is at least once: a worker killed after the SMTP server accepted a message but
before it recorded the fact sends it again when the lease runs out. Each message carries
a Message-ID made from its idempotency key, so the receiving side can drop the repeat.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import re
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from heedback.core.errors import InvalidInput
from heedback.notify import webhooks
from heedback.notify.choices import MessageKind, MessageStatus, WebhookFormat
from heedback.notify.models import OutboxMessage, Webhook
from heedback.orgs.models import Organisation

logger = logging.getLogger("heedback.notify")

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 12
BATCH = 50
#: A run stops claiming new batches after this many seconds (the worker calls again soon).
TIME_BUDGET = 10.0


@dataclass(frozen=True)
class Email:
    """An email as services describe it: plain text always, HTML optionally."""

    to: Sequence[str]
    subject: str
    body: str
    html: str = ""
    reply_to: Sequence[str] = field(default_factory=tuple)
    headers: dict[str, str] = field(default_factory=dict)


def enqueue_email(
    email: Email,
    *,
    key: str,
    organisation: Organisation | None = None,
    send_at: datetime | None = None,
) -> OutboxMessage:
    """Write ``email`` to the outbox in the caller's transaction; a repeated key changes nothing.

    Call it inside the transaction that records the fact causing the email, never after:
    then a rollback leaves no email and a commit always leaves one.
    """
    payload = {
        "to": list(email.to),
        "subject": email.subject,
        "body": email.body,
        "html": email.html,
        "reply_to": list(email.reply_to),
        "headers": dict(email.headers),
    }
    return _write_once(
        key,
        organisation=organisation,
        kind=MessageKind.EMAIL,
        payload=payload,
        next_attempt_at=send_at or timezone.now(),
    )


def _write_once(key: str, **fields: object) -> OutboxMessage:
    """Write the outbox row keyed ``key`` unless it exists; return the stored row.

    An insert that ignores a conflicting key, then a read, in two round trips: rules
    write two messages per case at fifty cases a second, where get_or_create's read,
    savepoint, insert and release cost four.
    """
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(idempotency_key=key, **fields)], ignore_conflicts=True
    )
    return OutboxMessage.objects.get(idempotency_key=key)


def deliver_due(
    *, now: datetime | None = None, limit: int = BATCH, time_budget: float = TIME_BUDGET
) -> int:
    """Deliver the messages whose time has come, a batch of ``limit`` at a time; return how
    many were sent.

    Batches follow each other until one comes back short, one had a failure, or
    ``time_budget`` seconds have passed: under a burst (fifty detractors a second) the
    queue drains in one call instead of one batch per worker round.
    """
    sent = 0
    stop_at = time.monotonic() + time_budget
    while True:
        claimed = _claim(now or timezone.now(), limit)
        with _Mailer() as mailer:
            batch_sent = sum(_deliver(message, mailer) for message in claimed)
        sent += batch_sent
        # A failure means a struggling receiver: leave the rest to the next round.
        if len(claimed) < limit or batch_sent < len(claimed) or time.monotonic() > stop_at:
            return sent


def _claim(now: datetime, limit: int) -> list[OutboxMessage]:
    """Lease due messages to this worker so that no other worker sends them meanwhile."""
    with transaction.atomic():
        due = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .order_by("next_attempt_at", "id")[:limit]
        )
        messages = list(due)
        for message in messages:
            message.leased_until = now + LEASE
            message.attempts += 1
        OutboxMessage.objects.bulk_update(messages, ["leased_until", "attempts"])
    return messages


class _Mailer:
    """Share one SMTP connection between the emails of a batch.

    Opening a connection costs a TCP handshake, EHLO, STARTTLS and AUTH: against a real
    provider that is more than the message itself, so a campaign of thousands of
    invitations would spend most of its time shaking hands. After any failure the
    connection is dropped and the next email opens a fresh one, so one bad exchange cannot
    poison the rest of the batch. Other backends (the file outbox) keep one file per email.
    """

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None

    def __enter__(self) -> _Mailer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.drop()

    def connection(self) -> BaseEmailBackend:
        if self._connection is not None:
            return self._connection
        connection = get_connection(fail_silently=False)
        if isinstance(connection, SmtpBackend):
            connection.open()
            self._connection = connection
        return connection

    def drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # closing a broken connection may fail; it is gone either way
                logger.debug("closing the SMTP connection failed", exc_info=True)
            self._connection = None


def _deliver(message: OutboxMessage, mailer: _Mailer) -> int:
    try:
        if message.kind == MessageKind.WEBHOOK:
            _send_webhook(message)
        else:
            _send_email(message, mailer)
    except Exception as error:  # any failure of the receiving side: retry later
        if message.kind != MessageKind.WEBHOOK:
            mailer.drop()
        if is_permanent_refusal(error):
            _refused(message, error)
        else:
            _retry_later(message, error)
        return 0
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, sent_at=timezone.now(), leased_until=None, last_error=""
    )
    return 1


def _send_email(message: OutboxMessage, mailer: _Mailer) -> None:
    payload = _prepared(message)
    headers = {
        "Message-ID": f"<{message.idempotency_key}@heedback>",
        "X-Heedback-Idempotency-Key": message.idempotency_key,
        **payload.get("headers", {}),
    }
    email = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=payload["to"],
        reply_to=payload.get("reply_to") or None,
        headers=headers,
        connection=mailer.connection(),
    )
    if payload.get("html"):
        email.attach_alternative(payload["html"], "text/html")
    email.send()


def _prepared(message: OutboxMessage) -> dict:
    """Return the payload to send, with what must not rest in the outbox filled in now.

    An invitation's link carries a token that opens the customer's survey; it is kept out
    of the outbox row (a copy of the database must open no survey) and put into the email
    only on its way out, by the app that owns the message's key (``delivery_prepare``).
    """
    handler = _handler("delivery_prepare", message)
    return handler(message) if handler is not None else message.payload


def retry_delay(attempts: int) -> timedelta:
    """Return the wait before the next try: doubling from 30 s, capped at an hour, jittered.

    The jitter (half to all of the delay) keeps many messages that failed together, say
    while the mail server was down, from all retrying in the same second.
    """
    base = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)
    return base * random.uniform(0.5, 1.0)


def _retry_later(message: OutboxMessage, error: Exception) -> None:
    gave_up = message.attempts >= MAX_ATTEMPTS
    logger.warning(
        "delivery of %s failed (attempt %d): %s", message.idempotency_key, message.attempts, error
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.DEAD if gave_up else MessageStatus.PENDING,
        next_attempt_at=timezone.now() + retry_delay(message.attempts),
        leased_until=None,
        last_error=f"{type(error).__name__}: {error}"[:2000],
    )


def is_permanent_refusal(error: Exception) -> bool:
    """Tell whether the mail server refused for good (5xx): sending again cannot succeed.

    A 4xx (mailbox busy, greylisted) is temporary and retried like any other failure.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


@functools.cache
def _handlers(attribute: str) -> list[tuple[str, Callable[[OutboxMessage], object]]]:
    # Apps above notify declare ``delivery_refused = {key prefix: "dotted.path"}`` (and
    # ``delivery_prepare``) on their AppConfig, as they declare their periodic jobs:
    # notify cannot name them itself.
    return [
        (prefix, import_string(path))
        for config in apps.get_app_configs()
        for prefix, path in getattr(config, attribute, {}).items()
    ]


def _handler(attribute: str, message: OutboxMessage) -> Callable[[OutboxMessage], object] | None:
    for prefix, handler in _handlers(attribute):
        if message.idempotency_key.startswith(prefix):
            return handler
    return None


def _refused(message: OutboxMessage, error: Exception) -> None:
    """Give up on a refused message at once and tell the app whose key it carries."""
    logger.warning("delivery of %s refused for good: %s", message.idempotency_key, error)
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.DEAD,
            leased_until=None,
            last_error=f"refused: {type(error).__name__}: {error}"[:2000],
        )
        handler = _handler("delivery_refused", message)
        if handler is not None:
            handler(message)


def retry_now(message: OutboxMessage) -> None:
    """Put a message that gave up back in the queue, due at once (an operator's action)."""
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.PENDING, next_attempt_at=timezone.now(), leased_until=None
    )


def retry_dead_message(organisation: Organisation, message_id: int) -> bool:
    """Queue one of the organisation's messages that gave up for one more try, due now.

    Return False when there is no such message any more (sent, or queued already by
    someone else): the status is checked in the update itself, so two clicks queue it once.
    A message that fails again gives up again at once; it does not start a new series.
    """
    queued = OutboxMessage.objects.filter(
        pk=message_id, organisation=organisation, status=MessageStatus.DEAD
    ).update(status=MessageStatus.PENDING, next_attempt_at=timezone.now(), leased_until=None)
    return bool(queued)


# --- webhooks -----------------------------------------------------------------------------

EVENT_PATTERN = re.compile(r"^[a-z]+\.[a-z_]+$")
MAX_EVENTS = 50


@dataclass(frozen=True)
class WebhookInput:
    """A webhook as an organisation describes it; ``events`` empty means every event."""

    url: str
    description: str = ""
    events: Sequence[str] = ()
    format: str = WebhookFormat.STANDARD


@dataclass(frozen=True)
class CreatedWebhook:
    webhook: Webhook
    secret: str


def create_webhook(organisation: Organisation, webhook_input: WebhookInput) -> CreatedWebhook:
    """Register a receiver after checking its address (no private or reserved destination).

    The signing secret is returned once, here; afterwards only the receiver knows it.
    """
    errors = []
    try:
        webhooks.check_url(webhook_input.url)
    except webhooks.UnsafeDestination as error:
        errors.append(("url", str(error)))
    if webhook_input.format not in WebhookFormat.values:
        errors.append(("format", f"Choose one of: {', '.join(WebhookFormat.values)}."))
    if len(webhook_input.events) > MAX_EVENTS:
        errors.append(("events", f"At most {MAX_EVENTS} event types."))
    for index, event in enumerate(webhook_input.events):
        if not EVENT_PATTERN.match(event):
            errors.append((f"events.{index}", "Give an event type such as case.opened."))
    if len(webhook_input.description) > 200:
        errors.append(("description", "At most 200 characters."))
    if errors:
        raise InvalidInput.from_pairs("The webhook is not valid.", errors)
    secret = webhooks.new_secret()
    webhook = Webhook.objects.create(
        organisation=organisation,
        url=webhook_input.url.strip(),
        description=webhook_input.description.strip(),
        events=list(dict.fromkeys(webhook_input.events)),
        format=webhook_input.format,
        secret=secret,
    )
    return CreatedWebhook(webhook, secret)


def listening_webhooks(organisation: Organisation, event_type: str) -> list[Webhook]:
    """Return the organisation's active webhooks that want ``event_type``."""
    active = Webhook.objects.for_org(organisation).filter(is_active=True)
    return [webhook for webhook in active if webhook.wants(event_type)]


def enqueue_event(
    organisation: Organisation,
    event_type: str,
    data: dict,
    *,
    text: str,
    key: str,
    webhooks: Sequence[Webhook] | None = None,
) -> list[OutboxMessage]:
    """Write one outbox message per webhook that wants ``event_type``, in the caller's transaction.

    ``key`` names the fact (``case-12-opened``); each webhook's message key adds the
    webhook, and is sent as ``webhook-id`` so the receiver can drop a repeat. ``text`` is
    the one-line summary Slack-compatible receivers show. ``webhooks`` spares the read
    when the caller already has ``listening_webhooks`` (to skip building ``data``).
    """
    messages = []
    if webhooks is None:
        webhooks = listening_webhooks(organisation, event_type)
    for webhook in webhooks:
        if webhook.format == WebhookFormat.SLACK:
            body = {"text": text}
        else:
            body = {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}
        message = _write_once(
            f"{key}-webhook-{webhook.pk}",
            organisation=organisation,
            kind=MessageKind.WEBHOOK,
            payload={
                "webhook": webhook.pk,
                "type": event_type,
                "body": json.dumps(body, separators=(",", ":"), default=str),
            },
        )
        messages.append(message)
    return messages


def _send_webhook(message: OutboxMessage) -> None:
    """Sign and POST a webhook message; any refusal or failure raises (and is retried)."""
    webhook = Webhook.objects.get(pk=message.payload["webhook"])
    if not webhook.is_active:
        raise webhooks.DeliveryFailed("the webhook is switched off")
    body = message.payload["body"].encode()
    timestamp = int(timezone.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Heedback-Webhooks",
        "webhook-id": message.idempotency_key,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhooks.sign(
            webhook.secret, message.idempotency_key, timestamp, body
        ),
    }
    webhooks.post(webhook.url, body, headers)


#: What an emptied message says in place of its content, so operators see why.
WITHDRAWN = "withdrawn: it concerned a person whose data was erased"


def blank_messages(
    organisation: Organisation,
    *,
    addresses: Sequence[str] = (),
    mentions: Sequence[str] = (),
    key_fragments: Sequence[str] = (),
) -> int:
    """Empty the organisation's outbox messages that concern a person; return how many.

    A message concerns them when it is addressed to one of ``addresses``, mentions one of
    ``mentions`` (a name, an email, a phone number) anywhere in its payload, or its
    idempotency key contains one of ``key_fragments`` (an app's own keys for the person's
    cases and responses). Its payload is replaced and a message not sent yet is given up
    on, so that nothing goes out and nothing stays in the table. Run it inside the
    erasure's transaction.
    """
    wanted = Q(pk__in=[])
    for text in {value.strip() for value in [*addresses, *mentions] if value.strip()}:
        wanted |= Q(payload__icontains=text)
    for fragment in key_fragments:
        wanted |= Q(idempotency_key__contains=fragment)
    messages = OutboxMessage.objects.filter(organisation=organisation).filter(wanted)
    ids = list(messages.values_list("pk", flat=True))
    blank = {"to": [], "subject": "", "body": "", "html": "", "reply_to": [], "headers": {}}
    OutboxMessage.objects.filter(pk__in=ids, status=MessageStatus.PENDING).update(
        status=MessageStatus.DEAD, leased_until=None
    )
    return OutboxMessage.objects.filter(pk__in=ids).update(
        payload={**blank, "withdrawn": True}, last_error=WITHDRAWN
    )
