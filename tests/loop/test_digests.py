"""Digests end to end: due at each person's hour, once per period, through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from heedback.collect.models import Response
from heedback.loop import services
from heedback.loop.choices import CaseSource
from heedback.loop.models import DigestSubscription
from heedback.loop.services import CaseOpening, DigestPreference
from heedback.notify import services as notify_services
from heedback.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db
WEDNESDAY = datetime(2025, 1, 8, 12, tzinfo=UTC)
NEXT_MONDAY = datetime(2025, 1, 13, 7, 0, 30, tzinfo=UTC)


@pytest.fixture
def week(submit, clerk, manager, admin, make_member, organisation):
    """A week at the harbour: comments, an NPS per day, a case of the clerk's due soon."""
    analyst = make_member(organisation, "analyst")
    responses = []
    for day, (score, comment) in enumerate([(9, "Lovely breakfast"), (3, "Cold room"), (10, "")]):
        at = datetime(2025, 1, 7 + day, 10, tzinfo=UTC)
        responses.append(submit(nps=score, comment=comment, submitted_at=at, served_by=clerk.user))
    case = services.open_case(
        CaseOpening(
            organisation=organisation,
            unit=responses[1].unit,
            title="Cold room in 12",
            response=responses[1],
            source=CaseSource.STAFF,
            owner=clerk,
            due_hours=24,
        ),
        now=NEXT_MONDAY - timedelta(hours=2),
    )
    services.send_due_digests(now=WEDNESDAY)  # everyone gets a subscription
    return {"analyst": analyst, "case": case, "responses": responses}


def digests() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(idempotency_key__startswith="digest-").order_by("pk"))


def test_new_members_get_a_weekly_digest_if_they_work_cases(week, clerk, admin):
    subscriptions = {row.membership_id: row for row in DigestSubscription.objects.all()}
    assert subscriptions[clerk.pk].frequency == "weekly"
    assert subscriptions[clerk.pk].next_digest_at == datetime(2025, 1, 13, 7, tzinfo=UTC)
    assert subscriptions[week["analyst"].pk].frequency == "off"
    assert subscriptions[week["analyst"].pk].next_digest_at is None
    assert digests() == []


def test_each_person_gets_the_weeks_digest_once_through_smtp(
    week, clerk, manager, admin, smtp_server
):
    assert services.send_due_digests(now=NEXT_MONDAY - timedelta(minutes=1)) == 0
    assert services.send_due_digests(now=NEXT_MONDAY) == 3
    assert services.send_due_digests(now=NEXT_MONDAY + timedelta(hours=1)) == 0
    keys = sorted(message.idempotency_key for message in digests())
    assert keys == sorted(
        f"digest-{member.pk}-weekly-2025-W02" for member in (clerk, manager, admin)
    )
    # A second worker that took the same rows writes nothing new: the key is person × week.
    DigestSubscription.objects.update(next_digest_at=NEXT_MONDAY)
    services.send_due_digests(now=NEXT_MONDAY)
    assert len(digests()) == 3
    assert notify_services.deliver_due() == 3
    received = {message["To"]: message for message in smtp_server.messages}
    assert set(received) == {clerk.user.email, manager.user.email, admin.user.email}
    email = received[clerk.user.email]
    assert email["Subject"] == "Your Heedback digest for the week of 2025-01-06"
    assert email["Message-ID"] == f"<digest-{clerk.pk}-weekly-2025-W02@heedback>"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "Cold room in 12" in text
    assert "Lovely breakfast" in text
    assert "Cold room" in html
    assert '<svg class="trend"' in html  # the NPS trend inline …
    assert "<th>NPS</th>" in html  # … and the same numbers as a table
    # Three answers that week at the harbour: 9, 3, 10 → NPS (2 − 1) / 3 = 33.
    assert "NPS · Stay card\r\n- 2025-01-06: 33 (n=3)\r\n" in text
    assert f"/o/acme/cases/{week['case'].pk}/" in text


def test_a_daily_digest_follows_the_persons_time_zone(week, clerk):
    preference = DigestPreference(frequency="daily", hour=7, time_zone="Pacific/Auckland")
    subscription = services.set_digest_preference(clerk, preference, now=NEXT_MONDAY)
    # 07:00 in Auckland on 14 January is 18:00 UTC on the 13th.
    assert subscription.next_digest_at == datetime(2025, 1, 13, 18, tzinfo=UTC)
    services.send_due_digests(now=datetime(2025, 1, 13, 17, 59, tzinfo=UTC))
    assert not [m for m in digests() if m.idempotency_key.startswith(f"digest-{clerk.pk}-daily")]
    services.send_due_digests(now=datetime(2025, 1, 13, 18, 0, 5, tzinfo=UTC))
    daily = [m for m in digests() if m.idempotency_key.startswith(f"digest-{clerk.pk}-daily")]
    assert [m.idempotency_key for m in daily] == [f"digest-{clerk.pk}-daily-2025-01-13"]
    assert daily[0].payload["subject"] == "Your Heedback digest for 2025-01-13"


def test_nothing_to_say_sends_nothing(organisation, make_member):
    member = make_member(organisation, "frontline")
    services.send_due_digests(now=WEDNESDAY)
    services.send_due_digests(now=NEXT_MONDAY)
    assert digests() == []
    assert DigestSubscription.objects.get(membership=member).last_period == "2025-W02"


def test_the_digest_page_saves_a_preference_and_names_bad_fields(week, clerk):
    client = Client()
    client.force_login(clerk.user)
    page = client.get("/o/acme/digest/")
    assert page.status_code == 200
    saved = client.post(
        "/o/acme/digest/",
        {"frequency": "daily", "hour": "6", "weekday": "0", "time_zone": "Europe/Paris"},
        follow=True,
    )
    assert "Digest settings saved." in saved.content.decode()
    subscription = DigestSubscription.objects.get(membership=clerk)
    assert (subscription.frequency, subscription.hour, subscription.time_zone) == (
        "daily",
        6,
        "Europe/Paris",
    )
    refused = client.post(
        "/o/acme/digest/",
        {"frequency": "daily", "hour": "6", "weekday": "0", "time_zone": "Mars/Olympus"},
    )
    assert refused.status_code == 422
    assert "Unknown time zone." in refused.content.decode()
    subscription.refresh_from_db()
    assert subscription.time_zone == "Europe/Paris"
    assert Response.objects.count() == 3
