"""The outbox: written with the fact, delivered by the worker through real SMTP, retried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from heedback.notify.choices import MessageStatus
from heedback.notify.models import OutboxMessage
from heedback.notify.services import (
    MAX_ATTEMPTS,
    Email,
    deliver_due,
    enqueue_email,
    retry_delay,
    retry_now,
)
from tests.conftest import SmtpInbox, serving_smtp

pytestmark = pytest.mark.django_db


def hello(number: int = 1) -> Email:
    return Email(to=["guest@example.com"], subject=f"Hello {number}", body="Thank you.")


def test_a_message_is_delivered_through_smtp_once(smtp_server):
    enqueue_email(hello(), key="hello-1")
    assert deliver_due() == 1
    assert deliver_due() == 0
    [received] = smtp_server.messages
    assert received["Subject"] == "Hello 1"
    assert received["Message-ID"] == "<hello-1@heedback>"
    assert received["X-Heedback-Idempotency-Key"] == "hello-1"
    assert OutboxMessage.objects.get().status == MessageStatus.SENT


def test_the_same_key_is_one_message(smtp_server):
    enqueue_email(hello(1), key="same")
    enqueue_email(hello(2), key="same")
    deliver_due()
    assert [message["Subject"] for message in smtp_server.messages] == ["Hello 1"]


def record_a_fact_that_fails() -> None:
    with transaction.atomic():
        enqueue_email(hello(), key="doomed")
        raise RuntimeError("the fact failed")


def test_a_rolled_back_fact_leaves_no_message(smtp_server):
    with pytest.raises(RuntimeError):
        record_a_fact_that_fails()
    deliver_due()
    assert OutboxMessage.objects.count() == 0
    assert smtp_server.messages == []


def test_a_message_waits_for_its_send_time(smtp_server):
    later = timezone.now() + timedelta(hours=2)
    enqueue_email(hello(), key="later", send_at=later)
    assert deliver_due() == 0
    assert deliver_due(now=later + timedelta(seconds=1)) == 1
    assert len(smtp_server.messages) == 1


def test_a_failing_server_means_a_retry_with_backoff_then_giving_up(settings, db):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        9,
        2,
    )  # nothing listens
    enqueue_email(hello(), key="unlucky")
    assert deliver_due() == 0
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)
    assert "Error" in message.last_error or "refused" in message.last_error.lower()
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=14)
    OutboxMessage.objects.update(attempts=MAX_ATTEMPTS - 1, next_attempt_at=timezone.now())
    deliver_due()
    assert OutboxMessage.objects.get().status == MessageStatus.DEAD
    retry_now(OutboxMessage.objects.get())
    assert OutboxMessage.objects.get().status == MessageStatus.PENDING


def test_a_worker_killed_while_sending_leaves_the_message_to_another_after_the_lease(smtp_server):
    enqueue_email(hello(), key="orphan")
    now = timezone.now()
    OutboxMessage.objects.update(
        leased_until=now + timedelta(minutes=5), attempts=1
    )  # taken, never finished
    assert deliver_due(now=now) == 0
    assert deliver_due(now=now + timedelta(minutes=6)) == 1
    assert smtp_server.message_ids == ["<orphan@heedback>"]


def test_retry_delays_double_and_are_capped():
    assert timedelta(seconds=15) <= retry_delay(1) <= timedelta(seconds=30)
    assert timedelta(seconds=60) <= retry_delay(3) <= timedelta(seconds=120)
    assert retry_delay(30) <= timedelta(hours=1)


def test_a_batch_shares_one_smtp_connection(smtp_server):
    for number in range(5):
        enqueue_email(hello(number), key=f"batch-{number}")
    assert deliver_due() == 5
    assert len(smtp_server.messages) == 5
    assert len(set(smtp_server.peers)) == 1


class RefusingOneInbox(SmtpInbox):
    """Refuse one recipient for a moment (4xx); accept everyone else."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "busy@example.com":
            return "452 4.2.2 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_after_a_failure_the_batch_goes_on_through_a_fresh_connection(settings, db):
    with serving_smtp(settings, RefusingOneInbox()) as inbox:
        enqueue_email(hello(1), key="first")
        enqueue_email(Email(to=["busy@example.com"], subject="Busy", body="Later."), key="second")
        enqueue_email(hello(3), key="third")
        # The claimed batch is finished; the refused message waits for its retry.
        assert deliver_due() == 2
    assert [message["Subject"] for message in inbox.messages] == ["Hello 1", "Hello 3"]
    assert len(set(inbox.peers)) == 2
    statuses = dict(OutboxMessage.objects.values_list("idempotency_key", "status"))
    assert statuses == {
        "first": MessageStatus.SENT,
        "second": MessageStatus.PENDING,
        "third": MessageStatus.SENT,
    }
