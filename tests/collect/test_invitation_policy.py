"""The invitation policy page (throttle, reminder defaults, quiet hours) and quiet hours at work."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time

import pytest

from heedback.collect import campaigns
from heedback.collect.campaigns import CampaignInput, ContactInput
from heedback.collect.invitation_policy import quiet_until
from heedback.collect.models import InvitationPolicy
from heedback.notify.models import OutboxMessage
from heedback.notify.services import deliver_due
from heedback.orgs.models import AuditEvent

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
VALID = {
    "days_between_invitations": "14",
    "default_reminder_count": "2",
    "default_reminder_interval_days": "5",
    "quiet_hours_start": "21:00",
    "quiet_hours_end": "08:00",
}


def test_the_page_shows_the_defaults_and_saves_a_policy(admin_client, organisation):
    page = admin_client.get("/o/acme/campaigns/policy/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="days_between_invitations" value="30"' in html
    assert 'name="default_reminder_count" value="1"' in html
    saved = admin_client.post("/o/acme/campaigns/policy/", VALID)
    assert saved.status_code == 302
    policy = InvitationPolicy.objects.get(organisation=organisation)
    assert (
        policy.days_between_invitations,
        policy.default_reminder_count,
        policy.default_reminder_interval_days,
        policy.quiet_hours_start,
        policy.quiet_hours_end,
    ) == (14, 2, 5, time(21), time(8))
    assert AuditEvent.objects.filter(action="invitation_policy.update").count() == 1
    form = admin_client.get("/o/acme/campaigns/new/").content.decode()
    assert 'name="reminder_count" value="2"' in form
    assert 'name="reminder_interval_days" value="5"' in form


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"quiet_hours_end": ""}, {"quiet_hours_end"}),
        ({"quiet_hours_start": "08:00"}, {"quiet_hours_end"}),
        ({"days_between_invitations": "400"}, {"days_between_invitations"}),
        (
            {"default_reminder_count": "6", "default_reminder_interval_days": "0"},
            {
                "default_reminder_count",
                "default_reminder_interval_days",
            },
        ),
        ({"quiet_hours_start": "25:00"}, {"quiet_hours_start"}),
    ],
)
def test_a_bad_policy_is_refused_by_field_and_nothing_changes(
    admin_client, organisation, changes, errors
):
    refused = admin_client.post("/o/acme/campaigns/policy/", VALID | changes)
    assert refused.status_code == 422
    assert set(refused.context["form"].errors) == errors
    assert not InvitationPolicy.objects.filter(days_between_invitations=14).exists()
    assert not AuditEvent.objects.filter(action="invitation_policy.update").exists()


def test_quiet_hours_across_midnight_and_in_the_day():
    night = InvitationPolicy(quiet_hours_start=time(21), quiet_hours_end=time(8))
    day = InvitationPolicy(quiet_hours_start=time(12), quiet_hours_end=time(14))
    zone = "Europe/London"
    assert quiet_until(night, datetime(2026, 12, 6, 22, 30, tzinfo=LONDON), zone) == datetime(
        2026, 12, 7, 8, tzinfo=LONDON
    )
    assert quiet_until(night, datetime(2026, 12, 7, 6, 0, tzinfo=LONDON), zone) == datetime(
        2026, 12, 7, 8, tzinfo=LONDON
    )
    assert quiet_until(night, datetime(2026, 12, 7, 8, 0, tzinfo=LONDON), zone) is None
    assert quiet_until(day, datetime(2026, 12, 7, 13, 0, tzinfo=LONDON), zone) == datetime(
        2026, 12, 7, 14, tzinfo=LONDON
    )
    assert quiet_until(day, datetime(2026, 12, 7, 11, 59, tzinfo=LONDON), zone) is None
    assert quiet_until(InvitationPolicy(), datetime(2026, 12, 7, 3, tzinfo=LONDON), zone) is None


def test_an_invitation_due_in_quiet_hours_leaves_when_they_end(
    admin_client, organisation, published_survey, smtp_server
):
    admin_client.post("/o/acme/campaigns/policy/", VALID)
    late = datetime(2026, 12, 6, 22, 30, tzinfo=LONDON)
    campaigns.create_campaign(
        organisation,
        CampaignInput(survey=published_survey, name="Night", subject="S", body="B", send_at=late),
        [ContactInput("owl@example.com")],
    )
    assert campaigns.send_due(now=late) == 1
    message = OutboxMessage.objects.get()
    assert message.next_attempt_at == datetime(2026, 12, 7, 8, tzinfo=LONDON)
    assert deliver_due(now=late) == 0
    assert deliver_due(now=datetime(2026, 12, 7, 8, 0, 1, tzinfo=LONDON)) == 1
    assert [m["To"] for m in smtp_server.messages] == ["owl@example.com"]
