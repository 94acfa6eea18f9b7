"""The respondent's experience on every survey page: light, without JavaScript, in their
language, and always with a way to reach the person responsible or their manager."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from heedback.collect import campaigns, invitation_emails, invitations
from heedback.collect.campaigns import CampaignInput, ContactInput
from heedback.collect.models import Invitation, Response, SurveyLink
from heedback.collect.services import publish_and_open_links
from heedback.orgs.services import add_member, create_user
from heedback.surveys.services import close_survey, create_survey

pytestmark = pytest.mark.django_db

#: "A page weighs under 60 KB before images": the HTML with its styles and scripts.
PAGE_BUDGET = 60_000
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Safari/604.1"


@pytest.fixture
def maria(organisation, hotel):
    """The hotel's manager: the person a respondent may reach on every page."""
    user = create_user(email="maria@acme.example", password="x" * 12, name="Maria Lopez")
    add_member(organisation, user, role="manager", unit=hotel)
    return user


@pytest.fixture
def link(published_survey, hotel) -> SurveyLink:
    return SurveyLink.objects.get(survey=published_survey, unit=hotel)


@pytest.fixture
def invitation(organisation, published_survey, maria) -> Invitation:
    campaigns.create_campaign(
        organisation,
        CampaignInput(survey=published_survey, name="Stays", subject="Hi", body="Hello"),
        [ContactInput("guest@example.com", name="Guest", unit="Harbour Hotel")],
    )
    campaigns.send_due()
    return Invitation.objects.get()


def form_key(page) -> str:
    return re.search(rb'name="form_token" value="([^"]+)"', page.content).group(1).decode()


def opened(invitation: Invitation) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.get(f"/i/{invitation_emails.token_of(invitation.nonce)}/")
    return client


def respond_page(link, invitation) -> tuple[Client, str]:
    return Client(), f"/s/{link.token}/"


def kiosk_page(link, invitation) -> tuple[Client, str]:
    return Client(), f"/s/{link.token}/?c=kiosk"


def respond_thanks(link, invitation) -> tuple[Client, str]:
    client = Client()
    key = form_key(client.get(f"/s/{link.token}/"))
    answered = client.post(f"/s/{link.token}/", {"form_token": key, "q_nps": "9"})
    return client, answered["Location"]


def invitation_page(link, invitation) -> tuple[Client, str]:
    return opened(invitation), "/i/"


def invitation_thanks(link, invitation) -> tuple[Client, str]:
    client = opened(invitation)
    sent = client.post(
        "/i/", {"invitation": invitation.pk, "revision": 0, "action": "send", "q_nps": "9"}
    )
    return client, sent["Location"]


SURVEY_PAGES = [respond_page, kiosk_page, respond_thanks, invitation_page, invitation_thanks]


def linked_assets(html: str) -> list[str]:
    """Return the static paths of the page's stylesheets and scripts."""
    found = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', html)
    found += re.findall(r'<script src="/static/([^"]+)"', html)
    return found


@pytest.mark.parametrize("open_page", SURVEY_PAGES)
def test_every_survey_page_weighs_under_60_kb_with_its_styles_and_scripts(
    open_page, link, invitation
):
    client, url = open_page(link, invitation)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assets = linked_assets(html)
    assert "heedback/app.css" in assets
    weight = len(page.content) + sum(Path(finders.find(path)).stat().st_size for path in assets)
    assert weight < PAGE_BUDGET, (url, weight, assets)
    assert not any("htmx" in path for path in assets)


@pytest.mark.parametrize("open_page", SURVEY_PAGES)
def test_every_survey_page_offers_the_person_responsible_or_their_manager(
    open_page, link, invitation
):
    client, url = open_page(link, invitation)
    html = client.get(url).content.decode()
    assert f'<a href="/s/{link.token}/contact/" data-testid="contact-link">' in html
    assert "Maria Lopez" in html


def test_a_closed_survey_still_offers_the_contact(link, published_survey):
    close_survey(published_survey)
    page = Client().get(f"/s/{link.token}/")
    assert page.status_code == 410
    assert f'href="/s/{link.token}/contact/"'.encode() in page.content


@pytest.mark.parametrize("step", [0, 1, 2])
def test_the_invitation_and_every_reminder_email_name_whom_to_reach(invitation, step):
    email = invitation_emails.compose(invitation, step)
    assert "Contact the person responsible or their manager" in email.body
    assert "Maria Lopez" in email.body


def test_the_survey_language_wins_over_the_browsers(link):
    page = Client(HTTP_ACCEPT_LANGUAGE="fr").get(f"/s/{link.token}/")
    assert b'<html lang="en">' in page.content
    assert b"Send my answers" in page.content


@pytest.mark.parametrize(
    ("url", "french"),
    [
        ("/s/not-a-real-token/", "Nous n’avons pas trouvé ce questionnaire"),
        ("/i/", "Ce lien de questionnaire n’est pas disponible"),
    ],
)
def test_a_page_that_knows_no_survey_yet_speaks_the_browsers_language(db, url, french):
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(url)
    page = Client(HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9, en;q=0.5").get(url)
    assert page.status_code == english.status_code == 404
    assert b'<html lang="fr">' in page.content
    assert french in page.content.decode()
    assert b'<html lang="en">' in english.content


@pytest.fixture
def conditional_link(organisation, hotel) -> SurveyLink:
    """A survey whose follow-up question shows only to detractors."""
    survey = create_survey(
        organisation,
        name="Follow-up",
        definition={
            "title": "Your stay",
            "questions": [
                {"key": "nps", "type": "nps", "text": "Recommend us?", "required": True},
                {
                    "key": "why",
                    "type": "text",
                    "text": "What went wrong?",
                    "required": True,
                    "show_if": {"question": "nps", "in": [0, 1, 2, 3, 4, 5, 6]},
                },
            ],
        },
    )
    publish_and_open_links(survey)
    return SurveyLink.objects.get(survey=survey, unit=hotel)


def test_without_javascript_every_question_shows_and_the_server_applies_the_conditions(
    conditional_link,
):
    url = f"/s/{conditional_link.token}/"
    client = Client()
    page = client.get(url).content.decode()
    # The follow-up is in the page, visible: only respond.js may hide it.
    assert re.search(r'<[a-z]+ class="question" id="question-why"[^>]*>', page)
    assert 'id="question-why" hidden' not in page
    assert "is-hidden" not in page
    assert '<form method="post" action="" novalidate class="survey-form">' in page
    assert '<button type="submit" class="primary">Send my answers</button>' in page
    assert all(
        tag.endswith(" defer></script>")
        for tag in re.findall(r"<script src[^>]*>.*?</script>", page)
    )
    # A promoter's answer to the hidden follow-up is not kept, and it was not required.
    promoter = client.post(
        url, {"form_token": form_key(client.get(url)), "q_nps": "9", "q_why": "x"}
    )
    assert promoter.status_code == 302
    assert {a.question_key for a in Response.objects.get().answers.all()} == {"nps"}
    # A detractor must answer it, as the page (seen without JavaScript) asked.
    detractor = client.post(url, {"form_token": form_key(client.get(url)), "q_nps": "3"})
    assert detractor.status_code == 422
    assert 'id="q_why-error"' in detractor.content.decode()
    assert Response.objects.count() == 1


def test_without_javascript_the_invitation_saves_with_a_plain_button(invitation):
    client = opened(invitation)
    page = client.get("/i/").content.decode()
    assert (
        '<button type="submit" name="action" value="save" class="secondary">'
        "Save and finish later</button>"
    ) in page
    saved = client.post(
        "/i/", {"invitation": invitation.pk, "revision": 0, "action": "save", "q_staff": "2"}
    )
    assert saved.status_code == 200
    invitation.refresh_from_db()
    assert (invitation.draft, invitation.completed_at) == ({"staff": "2"}, None)


def test_tokens_are_stored_only_as_hashes_and_never_in_what_is_recorded(invitation):
    token = invitation_emails.token_of(invitation.nonce)
    client = opened(invitation)
    client.post("/i/", {"invitation": invitation.pk, "revision": 0, "action": "send", "q_nps": "9"})
    invitation.refresh_from_db()
    assert invitation.token_hash == invitations.hash_of(token)
    assert token not in str(
        Invitation.objects.filter(pk=invitation.pk).values().get()
    )  # the row holds the hash and the nonce, not the token
    response = Response.objects.get()
    assert token not in str(Response.objects.filter(pk=response.pk).values().get())


def test_a_flood_through_one_invitation_is_slowed_and_keeps_the_last_saved_answers(
    invitation, settings
):
    from django.core.cache import cache

    cache.clear()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invitation_token": (2, 60)}
    client = opened(invitation)
    statuses = []
    for revision, score in enumerate(["4", "5", "1"]):
        answer = client.post(
            "/i/",
            {"invitation": invitation.pk, "revision": revision, "action": "save", "q_staff": score},
        )
        statuses.append(answer.status_code)
    assert statuses == [200, 200, 429]
    assert 1 <= int(answer["Retry-After"]) <= 60
    assert "Wait a minute" in answer.content.decode()
    refused_send = client.post(
        "/i/", {"invitation": invitation.pk, "revision": 2, "action": "send", "q_nps": "9"}
    )
    assert refused_send.status_code == 429
    invitation.refresh_from_db()
    assert (invitation.draft, invitation.draft_revision) == ({"staff": "5"}, 2)
    assert Response.objects.count() == 0
    cache.clear()
