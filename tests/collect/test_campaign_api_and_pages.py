"""Campaigns through the API and the staff pages: counts, uploads, bad rows, query counts."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from heedback.collect import campaigns, invitations
from heedback.collect.campaigns import CampaignInput, ContactInput
from heedback.collect.models import Campaign, Invitation, Suppression
from heedback.collect.services import publish_and_open_links
from heedback.surveys import services as survey_services

pytestmark = pytest.mark.django_db


def test_a_campaign_is_created_with_contacts_and_counted_through_the_api(
    api, published_survey, hotel
):
    created = api.post(
        "/api/v1/campaigns",
        {
            "survey": published_survey.pk,
            "name": "Spring",
            "subject": "Hi {customer name}",
            "body": "How was {unit}?",
            "reminder_count": 0,
            "contacts": [{"email": "a@example.com", "name": "Al", "unit": hotel.pk}],
        },
    )
    assert created.status_code == 201, created.json()
    campaign_id = created.json()["id"]
    added = api.post(
        f"/api/v1/campaigns/{campaign_id}/contacts",
        {"contacts": [{"email": "A@example.com"}, {"email": "b@example.com"}]},
    )
    assert added.json() == {"created": 1, "already_invited": 1, "customers_created": 1}
    campaigns.send_due()
    invitations.finish_invitation(Invitation.objects.get(email="a@example.com"), 0, {"nps": 9})
    bounce = api.post("/api/v1/bounces", {"email": "b@example.com"})
    assert bounce.json() == {"email": "b@example.com", "invitations": 1}
    counts = api.get(f"/api/v1/campaigns/{campaign_id}").json()["counts"]
    assert counts == {
        "contacts": 2,
        "scheduled": 0,
        "sent": 2,
        "opened": 1,  # answering is opening
        "started": 1,
        "completed": 1,
        "bounced": 1,
        "unsubscribed": 0,
        "reminders": 0,
        "skipped": {},
        "response_rate": 0.5,
    }


def test_bad_campaigns_and_contacts_are_refused_naming_the_field(api, published_survey):
    refused = api.post(
        "/api/v1/campaigns",
        {
            "survey": published_survey.pk,
            "name": "X",
            "subject": "{nope}",
            "body": "B",
            "contacts": [{"email": "fine@example.com"}, {"email": "broken"}],
        },
    )
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"subject"}
    refused = api.post(
        "/api/v1/campaigns",
        {
            "survey": published_survey.pk,
            "name": "X",
            "subject": "S",
            "body": "B",
            "contacts": [{"email": "fine@example.com"}, {"email": "broken"}],
        },
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"contacts.1.email": ["not a valid email address"]}
    assert Campaign.objects.count() == 0


def test_the_command_line_records_a_bounce(organisation, published_survey):
    campaigns.create_campaign(
        organisation,
        CampaignInput(survey=published_survey, name="C", subject="S", body="B"),
        [ContactInput("z@example.com")],
    )
    campaigns.send_due()
    out = io.StringIO()
    call_command("record_bounce", "Z@example.com", org="acme", stdout=out)
    assert out.getvalue() == "z@example.com: 1 invitation(s) marked bounced\n"
    assert Suppression.objects.get().reason == "bounced"


def test_a_campaign_is_created_from_an_uploaded_file(admin_client, published_survey, hotel):
    upload = SimpleUploadedFile(
        "contacts.csv",
        b"email,name,unit\nann@example.com,Ann,Harbour Hotel\nbob@example.com,Bob,\n",
    )
    page = admin_client.post(
        "/o/acme/campaigns/new/",
        {
            "survey": published_survey.pk,
            "name": "Upload",
            "subject": "Hello {customer name}",
            "body": "Tell us about {unit}.",
            "reminder_count": 1,
            "reminder_interval_days": 3,
            "contacts": upload,
        },
    )
    assert page.status_code == 302
    campaign = Campaign.objects.get()
    assert page["Location"] == f"/o/acme/campaigns/{campaign.pk}/"
    assert sorted(campaign.invitations.values_list("email", "unit__name")) == [
        ("ann@example.com", "Harbour Hotel"),
        ("bob@example.com", "Acme Hotels"),
    ]


def test_bad_rows_of_an_upload_are_listed_by_line_and_nothing_is_saved(
    admin_client, published_survey
):
    upload = SimpleUploadedFile(
        "contacts.csv", b"email,unit\nann@example.com,\nnot-an-email,\nc@example.com,Mars\n"
    )
    page = admin_client.post(
        "/o/acme/campaigns/new/",
        {
            "survey": published_survey.pk,
            "name": "Upload",
            "subject": "S",
            "body": "B",
            "reminder_count": 0,
            "reminder_interval_days": 3,
            "contacts": upload,
        },
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert "line 3.email: not a valid email address" in html
    assert "line 4.unit: no such unit" in html
    assert Campaign.objects.count() == 0


def test_the_campaign_pages_show_the_response_rate_with_locked_query_counts(
    admin_client, organisation, published_survey, django_assert_num_queries
):
    for number in range(3):
        campaigns.create_campaign(
            organisation,
            CampaignInput(survey=published_survey, name=f"C{number}", subject="S", body="B"),
            [ContactInput(f"p{number}@example.com"), ContactInput(f"q{number}@example.com")],
        )
    campaigns.send_due()
    invitations.finish_invitation(Invitation.objects.get(email="p0@example.com"), 0, {"nps": 9})
    # session, user, membership, campaigns, their counts (one grouped query)
    with django_assert_num_queries(5):
        listing = admin_client.get("/o/acme/campaigns/")
    assert listing.status_code == 200
    assert listing.content.decode().count("50 %") == 1
    campaign = Campaign.objects.get(name="C0")
    # session, user, membership, campaign, counts
    with django_assert_num_queries(5):
        detail = admin_client.get(f"/o/acme/campaigns/{campaign.pk}/")
    html = detail.content.decode()
    assert "50.0 %" in html
    assert '<svg class="bars"' in html
    assert '<td>Completed</td><td class="num">1</td>' in html
    assert 'name="viewport"' in html


def test_campaigns_are_listed_with_their_funnel_paged_and_filtered_by_survey(
    api, organisation, published_survey
):
    other = survey_services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="Other"
    )
    publish_and_open_links(other)
    other.refresh_from_db()
    for number in range(3):
        campaigns.create_campaign(
            organisation,
            CampaignInput(survey=published_survey, name=f"C{number}", subject="S", body="B"),
            [ContactInput(f"guest{number}@example.com"), ContactInput("shared@example.com")],
        )
    campaigns.create_campaign(
        organisation, CampaignInput(survey=other, name="Elsewhere", subject="S", body="B")
    )
    campaigns.send_due()
    first, second = page = api.get("/api/v1/campaigns", {"limit": 2}).json()["results"]
    body = api.get("/api/v1/campaigns", {"limit": 2, "survey": published_survey.pk}).json()
    assert (body["count"], body["limit"], body["offset"]) == (3, 2, 0)
    assert [item["name"] for item in body["results"]] == ["C2", "C1"]
    assert [item["name"] for item in page] == ["Elsewhere", "C2"]
    assert first["counts"]["contacts"] == 0
    # The throttle lets the shared address be invited by one campaign only.
    assert second["counts"] == {
        "contacts": 2,
        "scheduled": 0,
        "sent": 1,
        "opened": 0,
        "started": 0,
        "completed": 0,
        "bounced": 0,
        "unsubscribed": 0,
        "reminders": 0,
        "skipped": {"throttled": 1},
        "response_rate": 0.0,
    }
    rest = api.get("/api/v1/campaigns", {"offset": 3}).json()
    assert [item["name"] for item in rest["results"]] == ["C0"]
    assert rest["results"][0]["counts"]["sent"] == 2
    unknown = api.get("/api/v1/campaigns", {"survey": 999999})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == {"survey": ["not found"]}
    assert api.get("/api/v1/campaigns", {"limit": 500}).status_code == 422
