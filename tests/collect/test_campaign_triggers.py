"""Automatic campaigns: an interaction reported through the API invites its customer later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from heedback.collect import campaigns, invitations
from heedback.collect.campaigns import CampaignInput
from heedback.collect.models import InteractionWatermark, Invitation
from heedback.customers import services as customer_services
from heedback.customers.inputs import InteractionInput
from heedback.customers.models import Interaction
from heedback.notify.services import deliver_due
from heedback.orgs.services import add_member, create_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(organisation, published_survey):
    campaign, _report = campaigns.create_campaign(
        organisation,
        CampaignInput(
            survey=published_survey,
            name="After each service call",
            subject="How did we do, {customer name}?",
            body="{staff member} came by at {unit}.",
            reminder_count=0,
            trigger_kind="service_call",
            trigger_delay_minutes=120,
        ),
    )
    return campaign


def visit(organisation, hotel, external_id, minutes_ago, *, kind="service_call", staff=""):
    customer_services.record_interaction(
        organisation,
        InteractionInput(
            external_id,
            "C-1",
            kind,
            timezone.now() - timedelta(minutes=minutes_ago),
            unit_id=hotel.pk,
            staff_email=staff,
        ),
    )


def test_an_interaction_from_the_api_invites_its_customer_after_the_delay(
    organisation, hotel, follow_up, api, make_customer, smtp_server
):
    make_customer("C-1", email="pat@example.com", name="Pat")
    tech = create_user(email="tech@acme.example", password="x" * 12, name="Tom Tech")
    add_member(organisation, tech, role="frontline", unit=hotel)
    reported = api.post(
        "/api/v1/interactions",
        {
            "external_id": "call-1",
            "customer": "C-1",
            "kind": "service_call",
            "occurred_at": (timezone.now() - timedelta(minutes=30)).isoformat(),
            "unit": hotel.pk,
            "staff": "tech@acme.example",
        },
    )
    assert reported.status_code == 201, reported.json()
    visit(organisation, hotel, "visit-1", 30, kind="visit")  # not the kind it waits for
    assert campaigns.invite_from_interactions() == 1
    assert campaigns.invite_from_interactions() == 0  # read once
    invitation = Invitation.objects.get()
    assert (invitation.campaign, invitation.unit, invitation.staff) == (follow_up, hotel, tech)
    assert invitation.interaction.external_id == "call-1"
    now = timezone.now()
    assert campaigns.send_due(now=now) == 0  # 30 minutes after: too early
    assert campaigns.send_due(now=now + timedelta(minutes=91)) == 1
    deliver_due()
    [message] = smtp_server.messages
    assert message["Subject"] == "How did we do, Pat?"
    assert "Tom Tech came by at Harbour Hotel." in message.get_content()
    finished = invitations.finish_invitation(invitation, 0, {"nps": 8})
    assert finished.response.interaction == invitation.interaction


def test_history_and_interactions_before_the_trigger_invite_nobody(
    organisation, hotel, published_survey, make_customer
):
    make_customer("C-1", email="pat@example.com")
    visit(organisation, hotel, "before", 60)
    campaigns.create_campaign(
        organisation,
        CampaignInput(
            survey=published_survey, name="T", subject="S", body="B", trigger_kind="service_call"
        ),
    )
    visit(organisation, hotel, "long-ago", 60 * 24 * 30)
    assert campaigns.invite_from_interactions() == 0


def test_a_late_commit_behind_the_watermark_is_still_read(
    organisation, hotel, follow_up, make_customer
):
    make_customer("C-1", email="pat@example.com")
    visit(organisation, hotel, "late", 10)
    # The watermark already passed this id (a later id committed first).
    newest = Interaction.objects.order_by("-pk").first().pk
    InteractionWatermark.objects.create(name=campaigns.TRIGGER_WATERMARK, position=newest)
    assert campaigns.invite_from_interactions() == 1
    assert campaigns.invite_from_interactions() == 0


def test_the_trigger_respects_throttle_and_unsubscribe(
    organisation, hotel, follow_up, make_customer
):
    make_customer("C-1", email="pat@example.com")
    visit(organisation, hotel, "one", 200)
    visit(organisation, hotel, "two", 190)
    assert campaigns.invite_from_interactions() == 2
    assert campaigns.send_due() == 1  # one invitation per 30 days
    skipped = Invitation.objects.get(skip_reason="throttled")
    assert skipped.interaction.external_id == "two"
