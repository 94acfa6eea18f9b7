"""The invitation's pages through HTTP: token for cookie, drafts, stale tabs, the answer."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from heedback.collect import campaigns, invitation_emails, invitations
from heedback.collect.campaigns import CampaignInput, ContactInput
from heedback.collect.models import Invitation, Response, Suppression
from heedback.orgs.services import add_member, create_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(organisation, hotel):
    user = create_user(email="anna@acme.example", password="x" * 12, name="Anna Berg")
    add_member(organisation, user, role="frontline", unit=hotel)
    return user


@pytest.fixture
def invitation(organisation, published_survey, hotel, anna) -> Invitation:
    campaigns.create_campaign(
        organisation,
        CampaignInput(survey=published_survey, name="Stays", subject="Hi", body="Hello"),
        [
            ContactInput(
                "guest@example.com", name="Guest", unit="Harbour Hotel", staff="anna@acme.example"
            )
        ],
    )
    campaigns.send_due()
    return Invitation.objects.get()


def token(invitation: Invitation) -> str:
    return invitations.token_of(invitation.nonce)


BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def opened(invitation: Invitation) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.get(f"/i/{token(invitation)}/")
    return client


def revision_of(page) -> int:
    return int(re.search(rb'name="revision" value="(\d+)"', page.content).group(1))


def test_the_token_is_traded_for_a_cookie_and_the_address_cleaned(invitation):
    client = Client(HTTP_USER_AGENT=BROWSER)
    exchange = client.get(f"/i/{token(invitation)}/")
    assert exchange.status_code == 302
    assert exchange["Location"] == "/i/"
    cookie = exchange.cookies["heedback_invitation"]
    assert cookie.value == token(invitation)
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "Lax", "/i/")
    assert not cookie["secure"]  # the test settings run over plain HTTP
    page = client.get("/i/")
    assert page.status_code == 200
    assert token(invitation).encode() not in page.content
    assert page["Referrer-Policy"] == "same-origin"
    assert b'name="q_nps"' in page.content
    assert b"mailto:anna@acme.example" in page.content
    assert len(page.content) < 60_000
    assert b"htmx" not in page.content  # a 1 KB script saves drafts, not a 50 KB framework
    invitation.refresh_from_db()
    assert invitation.opened_at is not None
    assert invitation.started_at is None


def test_the_cookie_is_secure_in_production(invitation, settings):
    settings.SESSION_COOKIE_SECURE = True
    exchange = Client().get(f"/i/{token(invitation)}/")
    assert exchange.cookies["heedback_invitation"]["secure"]


def test_unknown_and_used_tokens_look_the_same(invitation):
    used = token(invitation)
    invitations.finish_invitation(invitation, 0, {"nps": 10})
    made_up = invitations.token_of("0" * 32)
    answers = []
    for candidate in (used, made_up):
        client = Client()
        with CaptureQueriesContext(connection) as queries:
            exchange = client.get(f"/i/{candidate}/")
        page = client.get("/i/")
        answers.append(
            (
                exchange.status_code,
                exchange["Location"],
                sorted(
                    (name, value)
                    for name, value in exchange.cookies["heedback_invitation"].items()
                    if name != "expires"  # a clock second may pass between the two
                ),
                len(queries),
                page.status_code,
                page.content,
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][4] == 404
    assert b"not available" in answers[0][5]


def test_answers_are_saved_as_one_goes_and_resumed_through_the_same_link(invitation):
    client = opened(invitation)
    page = client.get("/i/")
    saved = client.post(
        "/i/",
        {
            "invitation": invitation.pk,
            "revision": revision_of(page),
            "action": "save",
            "q_staff": "4",
        },
    )
    assert saved.status_code == 200
    assert b"Saved." in saved.content
    invitation.refresh_from_db()
    assert (invitation.draft, invitation.draft_revision) == ({"staff": "4"}, 1)
    assert invitation.started_at is not None
    assert invitation.completed_at is None
    assert Response.objects.count() == 0  # a partial answer spends nothing
    later = opened(invitation).get("/i/")  # another day, the link from the email again
    assert re.search(r'name="q_staff" value="4"[^>]*checked', later.content.decode())
    assert revision_of(later) == 1


def test_htmx_saves_each_change_and_gets_the_next_revision(invitation):
    client = opened(invitation)
    saved = client.post(
        "/i/",
        {"invitation": invitation.pk, "revision": 0, "q_nps": "8"},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    assert saved.content.decode().startswith('<p id="draft-state"')
    assert revision_of(saved) == 1
    again = client.post(
        "/i/",
        {"invitation": invitation.pk, "revision": 1, "q_nps": "9"},
        headers={"HX-Request": "true"},
    )
    assert revision_of(again) == 2
    invitation.refresh_from_db()
    assert invitation.draft == {"nps": "9"}


def test_an_old_tab_cannot_overwrite_newer_answers(invitation):
    new_tab, old_tab = opened(invitation), opened(invitation)
    revision = revision_of(old_tab.get("/i/"))
    new_tab.post(
        "/i/", {"invitation": invitation.pk, "revision": revision, "action": "save", "q_nps": "10"}
    )
    refused = old_tab.post(
        "/i/", {"invitation": invitation.pk, "revision": revision, "action": "save", "q_nps": "0"}
    )
    assert refused.status_code == 409
    assert b"changed in another window" in refused.content
    assert re.search(r'name="q_nps" value="10"[^>]*checked', refused.content.decode())
    refused_send = old_tab.post(
        "/i/", {"invitation": invitation.pk, "revision": revision, "action": "send", "q_nps": "0"}
    )
    assert refused_send.status_code == 409
    invitation.refresh_from_db()
    assert (invitation.draft, invitation.draft_revision) == ({"nps": "10"}, 1)
    assert Response.objects.count() == 0


def test_sending_stores_one_response_for_the_customer_and_spends_the_token(invitation, anna):
    client = opened(invitation)
    sent = client.post(
        "/i/",
        {
            "invitation": invitation.pk,
            "revision": 0,
            "action": "send",
            "q_nps": "9",
            "q_staff": "5",
        },
    )
    assert sent.status_code == 302
    assert sent["Location"] == "/i/thanks/"
    assert sent.cookies["heedback_invitation"].value == ""  # the cookie is dropped
    thanks = client.get("/i/thanks/")
    assert thanks.status_code == 200
    assert b"Thank you" in thanks.content
    response = Response.objects.get()
    invitation.refresh_from_db()
    assert (response.customer_id, response.unit_id, response.staff, response.channel) == (
        invitation.customer_id,
        invitation.unit_id,
        anna,
        "email",
    )
    assert response.idempotency_key == f"invitation:{invitation.pk}"
    assert invitation.status == "completed"
    assert invitation.response == response
    assert invitation.completed_at is not None
    replay = opened(invitation).post(
        "/i/", {"invitation": invitation.pk, "revision": 1, "action": "send", "q_nps": "1"}
    )
    assert replay.status_code == 404
    assert Response.objects.count() == 1


def test_an_invalid_answer_is_kept_as_a_draft_and_spends_nothing(invitation):
    client = opened(invitation)
    page = client.post(
        "/i/", {"invitation": invitation.pk, "revision": 0, "action": "send", "q_staff": "3"}
    )
    assert page.status_code == 422
    assert "this question is required" in page.content.decode()
    assert revision_of(page) == 1
    invitation.refresh_from_db()
    assert invitation.completed_at is None
    assert invitation.draft == {"staff": "3"}
    done = client.post(
        "/i/",
        {
            "invitation": invitation.pk,
            "revision": 1,
            "action": "send",
            "q_staff": "3",
            "q_nps": "7",
        },
    )
    assert done.status_code == 302


def test_the_page_uses_csrf_protection(invitation):
    client = Client(enforce_csrf_checks=True)
    client.get(f"/i/{token(invitation)}/")
    assert (
        client.post(
            "/i/", {"invitation": invitation.pk, "revision": 0, "action": "save", "q_nps": "3"}
        ).status_code
        == 403
    )


def test_one_click_unsubscribe_works_without_cookie_or_csrf(invitation, organisation):
    code = invitation_emails.unsubscribe_code(invitation)
    client = Client(enforce_csrf_checks=True)
    confirm = client.get(f"/i/unsubscribe/{code}/")
    assert confirm.status_code == 200
    assert Suppression.objects.count() == 0  # a link preview must not unsubscribe
    done = client.post(f"/i/unsubscribe/{code}/", {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert b"You are unsubscribed" in done.content
    assert Suppression.objects.get().email == "guest@example.com"
    invitation.refresh_from_db()
    assert invitation.unsubscribed_at is not None
    assert invitation.next_reminder_at is None
    assert Client().post("/i/unsubscribe/forged/").status_code == 404


def test_a_tab_of_another_invitation_cannot_write_into_this_one(
    invitation, organisation, published_survey
):
    campaigns.create_campaign(
        organisation,
        CampaignInput(survey=published_survey, name="Other", subject="Hi", body="Hello"),
        [ContactInput("second@example.com")],
    )
    other = Invitation.objects.get(email="second@example.com")
    client = opened(invitation)
    client.get(f"/i/{token(other)}/")  # a second email's link replaces the cookie
    refused = client.post(
        "/i/", {"invitation": invitation.pk, "revision": 0, "action": "save", "q_nps": "1"}
    )
    assert refused.status_code == 409
    other.refresh_from_db()
    assert (other.draft, other.draft_revision) == ({}, 0)


SCANNERS = [
    ("GET", {}),  # no User-Agent at all
    ("GET", {"HTTP_USER_AGENT": "python-requests/2.31"}),
    ("GET", {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Barracuda Sentinel (EE))"}),
    ("GET", {"HTTP_USER_AGENT": "Mozilla/5.0 (Windows NT 10.0) Microsoft Office/16.0 (Outlook)"}),
    ("GET", {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; bingbot/2.0)"}),
    ("GET", {"HTTP_USER_AGENT": "Mozilla/5.0 (X11) HeadlessChrome/120.0 Safari/537.36"}),
    ("GET", {"HTTP_USER_AGENT": BROWSER, "HTTP_SEC_PURPOSE": "prefetch"}),
    ("HEAD", {"HTTP_USER_AGENT": BROWSER}),
]


def test_link_scanners_and_prefetches_do_not_count_as_opened(invitation):
    for method, headers in SCANNERS:
        client = Client(**headers)
        fetched = client.head if method == "HEAD" else client.get
        answer = fetched(f"/i/{token(invitation)}/")
        assert answer.status_code == 302  # every visitor gets the same answer
        invitation.refresh_from_db()
        assert invitation.opened_at is None, (method, headers)
    Client(HTTP_USER_AGENT=BROWSER).get(f"/i/{token(invitation)}/")
    invitation.refresh_from_db()
    assert invitation.opened_at is not None
    assert campaigns_counts(invitation)["opened"] == 1


def test_an_answer_counts_as_opened_even_from_a_browser_taken_for_a_scanner(invitation):
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Teams/24.0 Chrome/120")
    client.get(f"/i/{token(invitation)}/")
    invitation.refresh_from_db()
    assert invitation.opened_at is None
    page = client.get("/i/")
    client.post(
        "/i/",
        {
            "invitation": invitation.pk,
            "revision": revision_of(page),
            "q_nps": "8",
            "action": "save",
        },
    )
    invitation.refresh_from_db()
    assert invitation.opened_at is not None
    assert invitation.opened_at == invitation.started_at


def campaigns_counts(invitation: Invitation) -> dict:
    from heedback.collect.selectors import campaign_counts

    return campaign_counts(invitation.campaign).__dict__
