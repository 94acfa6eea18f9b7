"""A key scoped to one survey sees and writes that survey only, on every collect route.

Two surveys of one organisation, each with a response; the key is scoped to the first.
Every route that reads or writes responses, invitations, campaigns or mentions (and the
routes of other apps that show responses) answers 404 to it for the second survey, as if
the object did not exist, and changes nothing; on its own survey it sees its own rows only.
"""

from __future__ import annotations

import pytest

from heedback.collect import campaigns as campaign_services
from heedback.collect.models import Campaign, Invitation, Mention, Response
from heedback.orgs import services as org_services
from heedback.surveys import services as survey_services
from heedback.surveys.models import Survey
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found.", "errors": {}}


@pytest.fixture
def two_surveys(organisation, hotel, published_survey, api, make_customer):
    """Return (ours, theirs, ids): the key's survey, another one, and the objects named."""
    from heedback.collect.services import publish_and_open_links

    other = survey_services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="Other survey"
    )
    publish_and_open_links(other)
    other.refresh_from_db()
    customer = make_customer("CRM-1", email="guest@example.com")
    ids = {}
    for name, survey in (("ours", published_survey), ("theirs", other)):
        answer = api.post(
            f"/api/v1/surveys/{survey.pk}/responses",
            {
                "idempotency_key": name,
                "unit": hotel.pk,
                "answers": {"nps": 3},
                "comment": f"{name} comment",
                "customer": "CRM-1",
            },
        )
        assert answer.status_code == 201, answer.json()
        ids[f"{name}_response"] = answer.json()["id"]
    campaign, _report = campaign_services.create_campaign(
        organisation,
        campaign_services.CampaignInput(survey=other, name="Theirs", subject="Hi", body="Hello"),
        [campaign_services.ContactInput("guest@example.com")],
    )
    ids |= {
        "ours": published_survey.pk,
        "theirs": other.pk,
        "campaign": campaign.pk,
        "customer": customer.pk,
        "unit": hotel.pk,
    }
    return ids


def scoped_key(organisation, survey_id: int, role: str = "admin") -> ApiClient:
    survey = Survey.objects.get(pk=survey_id)
    created = org_services.create_api_key(organisation, name="one survey", role=role, survey=survey)
    return ApiClient(created.secret)


def response_item(key: str, unit: int) -> dict:
    return {"idempotency_key": key, "unit": unit, "answers": {"nps": 9}}


# (method, path, body): every route that reads or writes what a survey collects.
ROUTES = [
    ("GET", "/api/v1/surveys/{theirs}", None),
    ("POST", "/api/v1/surveys/{theirs}/responses", "item"),
    ("POST", "/api/v1/surveys/{theirs}/responses/batch", "batch"),
    ("GET", "/api/v1/surveys/{theirs}/responses", None),
    ("GET", "/api/v1/responses/{theirs_response}", None),
    ("GET", "/api/v1/surveys/{theirs}/links", None),
    ("GET", "/api/v1/surveys/{theirs}/export", None),
    ("GET", "/api/v1/campaigns", None),
    ("GET", "/api/v1/campaigns?survey={theirs}", None),
    ("GET", "/api/v1/campaigns/{campaign}", None),
    ("POST", "/api/v1/campaigns", "campaign"),
    ("POST", "/api/v1/campaigns/{campaign}/contacts", "contacts"),
    ("POST", "/api/v1/bounces", "bounce"),
    ("POST", "/api/v1/mentions", "mention"),
    # Other apps' routes that show responses of any survey.
    ("GET", "/api/v1/customers/{customer}", None),
    ("GET", "/api/v1/churn/last-feedback", None),
    ("GET", "/api/v1/comments/search?q=comment", None),
    ("GET", "/api/v1/cases", None),
    ("GET", "/api/v1/metrics?survey={theirs}&metric=nps", None),
]


def body_for(kind: str | None, ids: dict) -> object:
    return {
        None: None,
        "item": response_item("scoped", ids["unit"]),
        "batch": {"items": [response_item("scoped-batch", ids["unit"])]},
        "campaign": {"survey": ids["theirs"], "name": "Sneaky", "subject": "Hi", "body": "Hello"},
        "contacts": {"contacts": [{"email": "new@example.com"}]},
        "bounce": {"email": "guest@example.com"},
        "mention": {
            "channel": "review",
            "site": "google",
            "external_id": "g1",
            "posted_at": "2026-11-02T09:30:00Z",
        },
    }[kind]


def stored_counts() -> tuple[int, ...]:
    return (
        Response.objects.count(),
        Campaign.objects.count(),
        Invitation.objects.count(),
        Invitation.objects.filter(bounced_at__isnull=False).count(),
        Mention.objects.count(),
    )


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_a_key_scoped_to_one_survey_finds_nothing_of_another(
    method, path, body, organisation, two_surveys
):
    client = scoped_key(organisation, two_surveys["ours"])
    before = stored_counts()
    url = path.format(**two_surveys)
    answer = client.get(url) if method == "GET" else client.post(url, body_for(body, two_surveys))
    assert answer.status_code == 404, (method, url, answer.status_code)
    assert answer.json() == NOT_FOUND
    assert stored_counts() == before


def test_on_its_own_survey_it_lists_and_exports_only_its_own_responses(organisation, two_surveys):
    client = scoped_key(organisation, two_surveys["ours"], role="analyst")
    listed = client.get(f"/api/v1/surveys/{two_surveys['ours']}/responses").json()
    assert listed["count"] == 1
    assert [item["id"] for item in listed["results"]] == [two_surveys["ours_response"]]
    exported = client.get(f"/api/v1/surveys/{two_surveys['ours']}/export", {"format": "csv"})
    assert exported.status_code == 200
    assert exported["X-Export-Rows"] == "1"
    lines = b"".join(exported.streaming_content).decode().splitlines()
    assert len(lines) == 2
    assert "ours comment" in lines[1]


def test_on_its_own_survey_it_writes_there_and_a_replay_is_the_same_response(
    organisation, two_surveys
):
    client = scoped_key(organisation, two_surveys["ours"])
    url = f"/api/v1/surveys/{two_surveys['ours']}/responses"
    first = client.post(url, response_item("mine", two_surveys["unit"]))
    again = client.post(url, response_item("mine", two_surveys["unit"]))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    stored = Response.objects.get(pk=first.json()["id"])
    assert stored.survey_id == two_surveys["ours"]


def test_the_same_idempotency_key_on_another_survey_never_returns_that_surveys_response(
    organisation, two_surveys, api
):
    """A key replayed against its own survey must not fetch the other survey's response."""
    client = scoped_key(organisation, two_surveys["ours"])
    # "theirs" is the idempotency key of the other survey's response.
    answer = client.post(
        f"/api/v1/surveys/{two_surveys['ours']}/responses",
        response_item("theirs", two_surveys["unit"]),
    )
    assert answer.status_code == 201
    assert answer.json()["id"] not in {two_surveys["theirs_response"], two_surveys["ours_response"]}
    assert answer.json()["survey"] == two_surveys["ours"]


def test_it_reads_a_response_of_its_own_survey_by_id(organisation, two_surveys):
    client = scoped_key(organisation, two_surveys["ours"])
    mine = client.get(f"/api/v1/responses/{two_surveys['ours_response']}")
    theirs = client.get(f"/api/v1/responses/{two_surveys['theirs_response']}")
    assert mine.status_code == 200
    assert (mine.json()["id"], mine.json()["survey"]) == (
        two_surveys["ours_response"],
        two_surveys["ours"],
    )
    assert theirs.status_code == 404
