"""Win-back: lapsed customers invited through campaigns, the others counted by reason, and
the reasons they give counted, on pages and through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from heedback.collect import campaigns, invitations, win_back
from heedback.collect.choices import InvitationStatus
from heedback.collect.models import Campaign, Invitation
from heedback.collect.services import Submission, submit_response
from heedback.customers import services
from heedback.customers.models import Customer
from heedback.notify.models import OutboxMessage
from heedback.orgs.models import AuditEvent
from heedback.surveys.models import Survey
from tests.churn.conftest import uneven_visits
from tests.customers.conftest import every

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def world(organisation, published_survey, hotel, make_customer, add_visits):
    """Five lapsed customers with different fates, one overdue, one still coming."""
    now = timezone.now()
    made = {}
    for key, email in (
        ("lena", "lena@example.com"),
        ("noemail", ""),
        ("unsub", "unsub@example.com"),
        ("recent", "recent@example.com"),
    ):
        made[key] = make_customer(key.upper(), name=key.title(), email=email)
        add_visits(made[key], every(7, 8, last=now - 30 * DAY), unit=hotel)
    made["overdue"] = make_customer("OVERDUE", name="Otto", email="otto@example.com")
    add_visits(made["overdue"], uneven_visits(now - 11.5 * DAY), unit=hotel)
    made["active"] = make_customer("ACTIVE", name="Ada", email="ada@example.com")
    add_visits(made["active"], every(7, 8, last=now - DAY), unit=hotel)
    services.refresh_lapse()
    invitations.suppress(organisation, "unsub@example.com", "unsubscribed")
    earlier, _report = campaigns.create_campaign(
        organisation,
        campaigns.CampaignInput(
            survey=published_survey,
            name="Autumn",
            subject="Hi",
            body="Hello",
            send_at=now - 11 * DAY,
            reminder_count=0,
        ),
        [campaigns.ContactInput(email="recent@example.com", external_id="RECENT")],
    )
    assert campaigns.send_due(now=now - 10 * DAY) == 1
    made["earlier_campaign"] = earlier
    return made


def everyone(organisation, **changes) -> win_back.WinBackInput:
    return win_back.WinBackInput(customers=Customer.objects.for_org(organisation), **changes)


def test_the_preview_counts_who_is_invited_and_why_not_and_writes_nothing(world, organisation):
    campaigns_before = Campaign.objects.count()
    # "All lapsed": customers still coming are not candidates at all.
    report = win_back.preview_win_back(organisation, everyone(organisation))
    assert report.invited == 1
    assert report.left_out == {"no_email": 1, "unsubscribed": 1, "throttled": 1}
    assert dict(report.left_out_customers)[world["recent"].pk] == "throttled"
    # Customers named one by one: those still coming are reported.
    named = win_back.preview_win_back(organisation, everyone(organisation, named=True))
    assert named.left_out == {"not_lapsed": 2, "no_email": 1, "unsubscribed": 1, "throttled": 1}
    reasons = dict(named.left_out_customers)
    assert reasons[world["active"].pk] == "not_lapsed"
    assert reasons[world["overdue"].pk] == "not_lapsed"
    assert Campaign.objects.count() == campaigns_before
    assert not Survey.objects.filter(template_key="win_back").exists()


def test_inviting_makes_the_win_back_survey_and_a_campaign_that_emails_once(
    world, organisation, admin
):
    report = win_back.invite_lapsed(organisation, everyone(organisation), actor=admin.user)
    survey = Survey.objects.get(template_key="win_back")
    assert survey.is_published
    assert report.survey == survey
    assert report.campaign.survey == survey
    invited = Invitation.objects.filter(campaign=report.campaign)
    assert [(i.customer_id, i.email, i.unit.name) for i in invited] == [
        (world["lena"].pk, "lena@example.com", "Harbour Hotel")
    ]
    assert campaigns.send_due() == 1
    message = OutboxMessage.objects.get(idempotency_key__startswith=f"invitation-{invited[0].pk}-")
    assert message.payload["to"] == ["lena@example.com"]
    assert message.payload["subject"] == "We have missed you"
    audit = AuditEvent.objects.get(action="customers.win_back")
    assert audit.detail["invited"] == 1
    assert audit.detail["left_out"] == {"no_email": 1, "unsubscribed": 1, "throttled": 1}
    client = client_for(admin)
    timeline = client.get(f"/o/acme/customers/{world['lena'].pk}/").content.decode()
    entry = timeline.split(f'data-key="invitation:{invited[0].pk}"')[1].split("</li>")[0]
    assert f"Invited by email: “{report.campaign.name}”" in entry
    assert ">sent<" in entry
    skipped = client.get(f"/o/acme/customers/{world['unsub'].pk}/").content.decode()
    assert 'data-kind="invitation"' not in skipped  # left out: never invited
    again = win_back.invite_lapsed(organisation, everyone(organisation), actor=admin.user)
    assert (again.invited, again.campaign) == (0, None)
    assert again.left_out["throttled"] == 2  # Lena's invitation now holds her back too
    assert Campaign.objects.count() == 2


def test_overdue_customers_are_invited_only_when_asked(world, organisation):
    report = win_back.invite_lapsed(organisation, everyone(organisation, include_overdue=True))
    assert sorted(Invitation.objects.filter(campaign=report.campaign).values_list("email")) == [
        ("lena@example.com",),
        ("otto@example.com",),
    ]
    assert report.left_out == {"no_email": 1, "unsubscribed": 1, "throttled": 1}


def test_the_api_invites_named_customers_and_reports_the_others(
    world, organisation, make_api_client
):
    client = make_api_client(organisation)
    ids = [world["lena"].pk, world["active"].pk, 987654]
    response = client.post("/api/v1/customers/win-back", {"customers": ids})
    assert response.status_code == 201, response.json()
    body = response.json()
    campaign = Campaign.objects.get(pk=body["campaign"])
    assert body == {
        "preview": False,
        "invited": 1,
        "left_out": {"not_found": 1, "not_lapsed": 1},
        "not_invited": [
            {"id": 987654, "reason": "not_found"},
            {"id": world["active"].pk, "reason": "not_lapsed"},
        ],
        "campaign": campaign.pk,
        "survey": Survey.objects.get(template_key="win_back").pk,
    }
    repeat = client.post("/api/v1/customers/win-back", {"customers": [world["lena"].pk]})
    assert repeat.status_code == 200
    assert repeat.json()["left_out"] == {"throttled": 1}
    assert Invitation.objects.filter(status=InvitationStatus.SCHEDULED).count() == 1


def test_the_api_filter_and_preview(world, organisation, other_hotel, make_api_client):
    client = make_api_client(organisation)
    preview = client.post("/api/v1/customers/win-back", {"preview": True})
    assert preview.status_code == 200
    assert (preview.json()["preview"], preview.json()["invited"]) == (True, 1)
    elsewhere = client.post("/api/v1/customers/win-back", {"unit": other_hotel.pk})
    assert (elsewhere.status_code, elsewhere.json()["invited"]) == (200, 0)
    refused = client.post("/api/v1/customers/win-back", {"unit": 0, "subject": "x" * 201})
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"subject"}
    assert Campaign.objects.count() == 1
    read_only = make_api_client(organisation, role="analyst")
    assert read_only.post("/api/v1/customers/win-back", {}).status_code == 403


def client_for(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_the_lapsed_list_selects_previews_and_sends(world, organisation, admin):
    client = client_for(admin)
    listed = client.get("/o/acme/customers/?status=lapsed")
    page = listed.content.decode()
    assert 'data-testid="win-back-form"' in page
    assert f'name="customer" value="{world["lena"].pk}"' in page
    assert 'name="scope" value="all"' in page
    preview = client.post("/o/acme/customers/win-back/", {"scope": "all"})
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "1 customer will be invited" in text
    assert '<tr data-reason="unsubscribed"><th scope="row">Unsubscribed</th>' in text
    ticked = client.post(
        "/o/acme/customers/win-back/", {"customer": [world["lena"].pk, world["active"].pk]}
    ).content.decode()
    assert '<tr data-reason="not_lapsed"><th scope="row">Still coming' in ticked
    assert Campaign.objects.count() == 1
    sent = client.post("/o/acme/customers/win-back/", {"scope": "all", "confirm": "1"})
    campaign = Campaign.objects.exclude(pk=world["earlier_campaign"].pk).get()
    assert sent.status_code == 302
    assert sent["Location"] == f"/o/acme/campaigns/{campaign.pk}/"
    assert list(campaign.invitations.values_list("email", flat=True)) == ["lena@example.com"]


def test_a_manager_can_invite_only_customers_of_their_subtree(
    world, organisation, other_hotel, make_member
):
    manager = make_member(organisation, "manager", unit=other_hotel)
    client = client_for(manager)
    response = client.post(
        "/o/acme/customers/win-back/",
        {"customer": [world["lena"].pk], "confirm": "1"},
    )
    assert response.status_code == 302
    assert Campaign.objects.count() == 1
    analyst = make_member(organisation, "analyst")
    refused = client_for(analyst).post("/o/acme/customers/win-back/", {"scope": "all"})
    assert refused.status_code == 403


@pytest.fixture
def answered(world, organisation, hotel):
    """Three lapsed customers answer the win-back survey."""
    report = win_back.invite_lapsed(organisation, everyone(organisation))
    survey = report.survey
    given = [
        (world["lena"], {"reasons": ["price", "service"], "would_return": True}, "Too dear now"),
        (world["unsub"], {"reasons": ["price"], "would_return": False}, ""),
        (world["noemail"], {"reasons": ["other"], "other_reason": "The car park closed"}, ""),
    ]
    for index, (customer, answers, comment) in enumerate(given):
        if comment:
            answers = {**answers, "comment": comment}
        submit_response(
            Submission(
                survey=survey,
                unit=hotel,
                answers=answers,
                idempotency_key=f"win-back-{index}",
                submitted_at=timezone.now() - (3 - index) * timedelta(hours=1),
                customer=customer,
            )
        )
    return survey


def test_the_reasons_are_counted_once_per_answer(answered, organisation):
    tally = win_back.reason_tally(organisation)
    assert (tally.responses, tally.answered_reasons) == (3, 3)
    assert [(item.key, item.count) for item in tally.reasons] == [
        ("price", 2),
        ("service", 1),
        ("other", 1),
        ("quality", 0),
        ("moved", 0),
        ("competitor", 0),
    ]
    assert tally.reasons[0].share == pytest.approx(2 / 3)
    assert (tally.would_return_yes, tally.would_return_no) == (1, 1)
    comments = win_back.reason_comments(organisation)
    assert [(c.customer_name, c.reasons, c.other_reason, c.comment) for c in comments] == [
        ("Noemail", ["other"], "The car park closed", ""),
        ("Lena", ["price", "service"], "", "Too dear now"),
    ]
    only_service = win_back.reason_comments(organisation, reason="service")
    assert [c.customer_name for c in only_service] == ["Lena"]


def test_the_reasons_page_and_api_and_the_churn_page_link(
    answered, organisation, admin, make_api_client
):
    client = client_for(admin)
    page = client.get("/o/acme/customers/win-back/reasons/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<tr data-reason="price"><th scope="row"><a href="?reason=price">The price</a>' in text
    assert "The car park closed" in text
    assert "Would consider coming back: 1 yes, 1 no (50.0%)." in text
    churn_page = client.get("/o/acme/customers/churn/").content.decode()
    assert 'href="/o/acme/customers/win-back/reasons/"' in churn_page
    assert "<li>The price: 2</li>" in churn_page
    api = make_api_client(organisation)
    body = api.get("/api/v1/customers/win-back/reasons", {"reason": "service"}).json()
    assert body["reasons"][0] == {
        "key": "price",
        "label": "The price",
        "count": 2,
        "share": pytest.approx(2 / 3),
    }
    assert [c["comment"] for c in body["comments"]] == ["Too dear now"]
    assert body["has_more"] is False
    wrong = api.get("/api/v1/customers/win-back/reasons", {"reason": "weather"})
    assert wrong.status_code == 422
    assert list(wrong.json()["errors"]) == ["reason"]


def test_the_at_risk_page_invites_the_overdue_too(world, organisation, admin):
    client = client_for(admin)
    page = client.get("/o/acme/customers/at-risk/").content.decode()
    assert '<input type="hidden" name="include_overdue" value="on">' in page
    assert f'name="customer" value="{world["overdue"].pk}"' in page
    preview = client.post(
        "/o/acme/customers/win-back/", {"scope": "all", "include_overdue": "on"}
    ).content.decode()
    assert "2 customers will be invited" in preview
    client.post(
        "/o/acme/customers/win-back/", {"scope": "all", "include_overdue": "on", "confirm": "1"}
    )
    campaign = Campaign.objects.exclude(pk=world["earlier_campaign"].pk).get()
    assert sorted(campaign.invitations.values_list("email", flat=True)) == [
        "lena@example.com",
        "otto@example.com",
    ]
