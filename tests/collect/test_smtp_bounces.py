"""A real SMTP server refusing recipients: 5xx counts as a bounce at once, 4xx is retried."""

from __future__ import annotations

import pytest

from heedback.collect import campaigns, selectors
from heedback.collect.campaigns import CampaignInput, ContactInput
from heedback.collect.models import Invitation, Suppression
from heedback.notify.choices import MessageStatus
from heedback.notify.models import OutboxMessage
from heedback.notify.services import deliver_due
from tests.conftest import SmtpInbox, serving_smtp

pytestmark = pytest.mark.django_db

REFUSALS = {
    "gone@example.com": "550 5.1.1 <gone@example.com>: Recipient address rejected",
    "busy@example.com": "452 4.2.2 Mailbox busy, try again later",
}


class RefusingInbox(SmtpInbox):
    """Refuse the recipients of REFUSALS with their reply; accept everyone else."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in REFUSALS:
            return REFUSALS[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_smtp(settings):
    with serving_smtp(settings, RefusingInbox()) as inbox:
        yield inbox


def test_a_permanent_refusal_is_a_bounce_and_a_temporary_one_is_retried(
    organisation, published_survey, hotel, refusing_smtp
):
    campaign, _report = campaigns.create_campaign(
        organisation,
        CampaignInput(
            survey=published_survey,
            name="Autumn",
            subject="How was {unit}?",
            body="Tell us.",
            reminder_count=2,
        ),
        [
            ContactInput("gone@example.com"),
            ContactInput("busy@example.com"),
            ContactInput("fine@example.com"),
        ],
    )
    assert campaigns.send_due() == 3
    assert deliver_due() == 1
    assert [message["To"] for message in refusing_smtp.messages] == ["fine@example.com"]
    gone = Invitation.objects.get(email="gone@example.com")
    busy = Invitation.objects.get(email="busy@example.com")
    assert gone.bounced_at is not None
    assert gone.next_reminder_at is None  # no reminder to a dead address
    assert busy.bounced_at is None
    assert busy.next_reminder_at is not None
    outbox = {message.payload["to"][0]: message for message in OutboxMessage.objects.order_by("pk")}
    refused, retried = outbox["gone@example.com"], outbox["busy@example.com"]
    assert (refused.status, refused.attempts) == (MessageStatus.DEAD, 1)
    assert refused.last_error.startswith("refused: SMTPRecipientsRefused")
    assert (retried.status, retried.attempts) == (MessageStatus.PENDING, 1)
    assert "452" in retried.last_error
    assert list(Suppression.objects.values_list("email", "reason")) == [
        ("gone@example.com", "bounced")
    ]
    counts = selectors.campaign_counts(campaign)
    assert (counts.sent, counts.bounced) == (3, 1)
    # The refused message is not tried again, and the bounced address is invited no more.
    OutboxMessage.objects.update(next_attempt_at=refused.created_at)
    REFUSALS.pop("busy@example.com")
    try:
        assert deliver_due() == 1  # the busy mailbox took it this time
    finally:
        REFUSALS["busy@example.com"] = "452 4.2.2 Mailbox busy, try again later"
    assert OutboxMessage.objects.get(pk=refused.pk).attempts == 1
    assert sorted(m["To"] for m in refusing_smtp.messages) == [
        "busy@example.com",
        "fine@example.com",
    ]
