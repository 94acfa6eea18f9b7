"""The page of deliveries that gave up, and "retry now" through a real SMTP server."""

from __future__ import annotations

import pytest
from django.test import Client

from heedback.notify import services as notify_services
from heedback.notify.choices import MessageKind, MessageStatus
from heedback.notify.models import OutboxMessage, Webhook
from heedback.orgs.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = "/o/acme/deliveries/failed/"


def dead(organisation, key: str, **payload) -> OutboxMessage:
    kind = MessageKind.WEBHOOK if "webhook" in payload else MessageKind.EMAIL
    return OutboxMessage.objects.create(
        organisation=organisation,
        kind=kind,
        idempotency_key=key,
        payload=payload,
        status=MessageStatus.DEAD,
        attempts=notify_services.MAX_ATTEMPTS,
        last_error="SMTPConnectError: connection refused",
    )


@pytest.fixture
def letters(organisation, other_organisation):
    webhook = Webhook.objects.create(
        organisation=organisation, url="https://hooks.example.com/heedback", secret="whsec_x"
    )
    email = dead(
        organisation,
        "case-1-alert",
        to=["manager@example.com"],
        subject="Case 1 is overdue",
        body="Look at it.",
    )
    hook = dead(organisation, "case-1-opened-webhook", webhook=webhook.pk, type="case.opened")
    foreign = dead(other_organisation, "theirs", to=["x@example.org"], subject="Theirs", body="-")
    OutboxMessage.objects.create(
        organisation=organisation, idempotency_key="sent", payload={}, status=MessageStatus.SENT
    )
    return {"email": email, "hook": hook, "foreign": foreign}


def test_admins_see_their_organisations_dead_letters_in_a_fixed_number_of_queries(
    letters, admin_client, django_assert_num_queries
):
    admin_client.get(URL)
    # Log-in (3), the count and the page of messages (2), their webhooks (1).
    with django_assert_num_queries(6):
        page = admin_client.get(URL)
    body = page.content.decode()
    assert f'data-message="{letters["email"].pk}"' in body
    assert f'data-message="{letters["hook"].pk}"' in body
    assert f'data-message="{letters["foreign"].pk}"' not in body
    assert "manager@example.com" in body
    assert "Case 1 is overdue" in body
    assert "https://hooks.example.com/heedback" in body
    assert "case.opened" in body
    assert "SMTPConnectError: connection refused" in body
    assert body.count('data-message="') == 2


def test_front_line_staff_may_not_see_or_retry(letters, clerk):
    client = Client()
    client.force_login(clerk.user)
    assert client.get(URL).status_code == 403
    assert client.post(f"/o/acme/deliveries/{letters['email'].pk}/retry/").status_code == 403
    letters["email"].refresh_from_db()
    assert letters["email"].status == MessageStatus.DEAD


def test_retry_now_sends_the_email_once_through_smtp_and_is_audited(
    letters, admin_client, smtp_server, admin
):
    url = f"/o/acme/deliveries/{letters['email'].pk}/retry/"
    page = admin_client.post(url, follow=True)
    assert "Queued: the worker sends it within seconds." in page.content.decode()
    again = admin_client.post(url, follow=True)
    assert "This message is no longer waiting to be sent again." in again.content.decode()
    assert notify_services.deliver_due() == 1
    assert [message["Subject"] for message in smtp_server.messages] == ["Case 1 is overdue"]
    assert smtp_server.message_ids == ["<case-1-alert@heedback>"]
    letters["email"].refresh_from_db()
    assert letters["email"].status == MessageStatus.SENT
    audit = AuditEvent.objects.get(action="outbox.retry")
    assert (audit.actor_id, audit.target) == (admin.user.pk, str(letters["email"].pk))


def test_another_organisations_message_cannot_be_retried(letters, admin_client):
    page = admin_client.post(f"/o/acme/deliveries/{letters['foreign'].pk}/retry/", follow=True)
    assert "This message is no longer waiting to be sent again." in page.content.decode()
    letters["foreign"].refresh_from_db()
    assert letters["foreign"].status == MessageStatus.DEAD
    assert not AuditEvent.objects.filter(action="outbox.retry").exists()


def test_a_retried_message_that_fails_again_gives_up_at_once(letters, organisation, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    assert notify_services.retry_dead_message(organisation, letters["email"].pk)
    assert notify_services.deliver_due() == 0
    letters["email"].refresh_from_db()
    assert (letters["email"].status, letters["email"].attempts) == (MessageStatus.DEAD, 13)
