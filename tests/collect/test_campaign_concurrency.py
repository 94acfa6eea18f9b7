"""Invitations under concurrency, for real, on PostgreSQL (row locks, SKIP LOCKED)."""

from __future__ import annotations

import pytest
from django.db import connection

from heedback.collect import campaigns, invitations
from heedback.collect.campaigns import CampaignInput, ContactInput
from heedback.collect.models import Invitation, Response
from heedback.notify.models import OutboxMessage
from tests.customers.test_concurrency import run_together

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite's shared in-memory test database refuses concurrent writers",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_two_workers_send_each_invitation_once_and_throttle_across_campaigns(
    organisation, published_survey, hotel
):
    contacts = [ContactInput(f"p{index}@example.com") for index in range(60)]
    for name in ("First", "Second"):  # the same people in two campaigns
        campaigns.create_campaign(
            organisation,
            CampaignInput(survey=published_survey, name=name, subject="S", body="B"),
            contacts,
        )
    errors = run_together(
        lambda: campaigns.send_due(limit=30), lambda: campaigns.send_due(limit=30)
    )
    assert errors == []
    while Invitation.objects.filter(status="scheduled").exists():
        campaigns.send_due(limit=30)  # a round of skips sends nothing but still progresses
    assert Invitation.objects.filter(status="sent").count() == 60
    assert Invitation.objects.filter(skip_reason="throttled").count() == 60
    assert OutboxMessage.objects.count() == 60


def test_two_tabs_sending_at_once_store_one_response(organisation, published_survey, hotel):
    campaigns.create_campaign(
        organisation,
        CampaignInput(survey=published_survey, name="C", subject="S", body="B"),
        [ContactInput("tabs@example.com")],
    )
    invitation = Invitation.objects.get()
    outcomes = []

    def send(score: int):
        def job():
            try:
                outcomes.append(invitations.finish_invitation(invitation, 0, {"nps": score}))
            except invitations.InvitationGone:
                outcomes.append("gone")

        return job

    assert run_together(send(9), send(3)) == []
    assert Response.objects.count() == 1
    assert sorted(map(str, outcomes)).count("gone") == 1
