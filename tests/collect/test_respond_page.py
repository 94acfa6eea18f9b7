"""The respondent's page, through HTTP: answer, validate inline, thank, never double-store."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from heedback.collect.models import Response, SurveyLink
from heedback.orgs.services import add_member
from heedback.surveys.services import close_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(published_survey, hotel) -> SurveyLink:
    return SurveyLink.objects.get(survey=published_survey, unit=hotel)


def form_key(page) -> str:
    return re.search(rb'name="form_token" value="([^"]+)"', page.content).group(1).decode()


def test_the_page_shows_every_question_and_a_fresh_key(link):
    client = Client()
    page = client.get(f"/s/{link.token}/")
    assert page.status_code == 200
    text = page.content.decode()
    for key in ("staff", "room_cleanliness", "food_quality", "nps", "comment"):
        assert f'name="q_{key}"' in text
    assert page["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert form_key(page) != form_key(client.get(f"/s/{link.token}/"))


def test_the_page_is_light(link):
    page = Client().get(f"/s/{link.token}/")
    assert len(page.content) < 60_000
    assert b"htmx" not in page.content  # the respondent page needs no framework


def test_submitting_stores_one_response_and_thanks(link, hotel):
    client = Client()
    key = form_key(client.get(f"/s/{link.token}/"))
    data = {"form_token": key, "q_nps": "9", "q_staff": "5", "q_comment": "Great breakfast"}
    first = client.post(f"/s/{link.token}/", data)
    assert first.status_code == 302
    assert first["Location"] == f"/s/{link.token}/thanks/"
    second = client.post(f"/s/{link.token}/", data)  # a double click
    assert second.status_code == 302
    response = Response.objects.get()
    assert (response.unit, response.channel, response.link) == (hotel, "web", link)
    assert {a.question_key: a.value for a in response.answers.all()} == {
        "nps": 9,
        "staff": 5,
        "comment": "Great breakfast",
    }
    thanks = client.get(first["Location"])
    assert thanks.status_code == 200
    assert b"Thank you" in thanks.content


def test_a_qr_card_link_records_its_channel(link):
    client = Client()
    key = form_key(client.get(f"/s/{link.token}/?c=qr"))
    client.post(f"/s/{link.token}/?c=qr", {"form_token": key, "q_nps": "10"})
    assert Response.objects.get().channel == "qr"


def test_errors_are_shown_beside_the_question_and_answers_are_kept(link):
    client = Client()
    key = form_key(client.get(f"/s/{link.token}/"))
    page = client.post(f"/s/{link.token}/", {"form_token": key, "q_staff": "4", "q_nps": "12"})
    assert page.status_code == 422
    text = page.content.decode()
    assert 'id="q_nps-error"' in text
    assert 'aria-invalid="true"' in text
    assert 'role="alert"' in text
    assert re.search(r'name="q_staff" value="4"[^>]*checked', text)
    assert Response.objects.count() == 0


def test_a_required_question_left_empty_is_reported(link):
    client = Client()
    key = form_key(client.get(f"/s/{link.token}/"))
    page = client.post(f"/s/{link.token}/", {"form_token": key, "q_staff": "4"})
    assert page.status_code == 422
    assert "this question is required" in page.content.decode()
    assert Response.objects.count() == 0


def test_an_unknown_link_gets_a_clear_page(db):
    page = Client().get("/s/not-a-real-token/")
    assert page.status_code == 404
    assert b"We could not find this survey" in page.content


def test_a_closed_survey_says_so_and_refuses_answers(link, published_survey):
    close_survey(published_survey)
    client = Client()
    page = client.get(f"/s/{link.token}/")
    assert page.status_code == 410
    assert b"This survey is closed" in page.content
    posted = client.post(f"/s/{link.token}/", {"form_token": "x" * 32, "q_nps": "9"})
    assert posted.status_code == 410
    assert Response.objects.count() == 0


def test_every_page_offers_the_manager_as_a_contact(link, organisation, hotel):
    from heedback.orgs.services import create_user

    manager = create_user(email="maria@example.com", password="x" * 12, name="Maria Lopez")
    add_member(organisation, manager, role="manager", unit=hotel)
    page = Client().get(f"/s/{link.token}/")
    assert b"Maria Lopez" in page.content
    assert f'href="/s/{link.token}/contact/"'.encode() in page.content  # a case, not a mailto
    assert b"maria@example.com" not in page.content


def test_the_survey_language_sets_the_page_language(organisation, hotel, api):
    definition = {
        "title": "Votre séjour",
        "language": "fr",
        "questions": [
            {"key": "nps", "type": "nps", "text": "Nous recommanderiez-vous ?", "required": True}
        ],
    }
    created = api.post("/api/v1/surveys", {"name": "FR", "definition": definition}).json()
    api.post(f"/api/v1/surveys/{created['id']}/publish")
    token = SurveyLink.objects.get(survey_id=created["id"], unit=hotel).token
    page = Client().get(f"/s/{token}/")
    assert b'<html lang="fr">' in page.content
    assert "Envoyer mes réponses".encode() in page.content


def test_the_respondent_page_sets_no_cookie(link):
    client = Client()
    page = client.get(f"/s/{link.token}/")
    assert page.cookies == {}
    posted = client.post(f"/s/{link.token}/", {"form_token": form_key(page), "q_nps": "9"})
    assert posted.status_code == 302
    assert posted.cookies == {}


@pytest.mark.parametrize("token", ["", "forged", "eyJsaW5rIjoxfQ:bad:signature"])
def test_a_post_without_a_form_this_server_rendered_is_refused(link, token):
    page = Client().post(f"/s/{link.token}/", {"form_token": token, "q_nps": "9"})
    assert page.status_code == 400
    assert "This form has expired" in page.content.decode()
    assert 'name="q_nps" value="9" checked' in page.content.decode()  # the answers are kept
    assert Response.objects.count() == 0


def test_a_form_of_one_unit_cannot_be_posted_to_another(other_hotel, link, published_survey):
    other = SurveyLink.objects.get(survey=published_survey, unit=other_hotel)
    token = form_key(Client().get(f"/s/{link.token}/"))
    assert (
        Client().post(f"/s/{other.token}/", {"form_token": token, "q_nps": "9"}).status_code == 400
    )
    assert Response.objects.count() == 0
