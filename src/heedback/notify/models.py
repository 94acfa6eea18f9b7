"""The outbox: every message a fact causes, written in the fact's own transaction."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from heedback.notify.choices import MessageKind, MessageStatus, WebhookFormat
from heedback.orgs.models import Organisation, OrgOwned


class OutboxMessage(models.Model):
    """One message to deliver, at least once, with a key its receiver can deduplicate by.

    A row is written in the same transaction as the fact that caused it, so a rollback
    leaves no message, and a crash after the commit only delays it: the worker delivers
    every pending row whose time has come, retrying with capped, jittered backoff.
    """

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=MessageKind, default=MessageKind.EMAIL)
    idempotency_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=MessageStatus, default=MessageStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A worker that takes a message holds it until this time; a worker killed while
    # sending lets the lease run out and another one sends the message again.
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["next_attempt_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} ({self.status})"


class Webhook(OrgOwned):
    """A receiver of an organisation's events, called through the outbox and signed.

    ``events`` lists the event types sent (empty: all). The URL was checked against SSRF
    when saved and is checked again at every delivery (``notify.webhooks``).
    """

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list, blank=True)
    format = models.CharField(max_length=20, choices=WebhookFormat, default=WebhookFormat.STANDARD)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        """Tell whether this webhook is sent ``event_type``."""
        return self.is_active and (not self.events or event_type in self.events)
