"""Cards with a QR code and a typable code, the kiosk, and paper cards typed in by staff."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from heedback.collect.models import Response, SurveyLink
from heedback.collect.services import normalise_short_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(published_survey, hotel) -> SurveyLink:
    return SurveyLink.objects.get(survey=published_survey, unit=hotel)


def test_the_svg_card_carries_the_question_unit_and_code(admin_client, link):
    page = admin_client.get(f"/o/acme/surveys/{link.survey_id}/links/{link.unit_id}/card.svg")
    assert page.status_code == 200
    assert page["Content-Type"] == "image/svg+xml"
    text = page.content.decode()
    assert "How was your stay?" in text
    assert "Harbour Hotel" in text
    assert f"{link.short_code[:4]}-{link.short_code[4:]}" in text
    assert text.count('<path fill="#000"') == 1


def test_the_pdf_card_is_one_a6_page(admin_client, link):
    page = admin_client.get(f"/o/acme/surveys/{link.survey_id}/links/{link.unit_id}/card.pdf")
    assert page.status_code == 200
    assert page["Content-Type"] == "application/pdf"
    assert page.content.startswith(b"%PDF-")
    assert page.content.count(b"/Type /Page\n") + page.content.count(b"/Type /Page ") >= 1


def test_the_qr_code_holds_the_units_link(link, rf, settings):
    settings.ALLOWED_HOSTS = ["feedback.example.com"]
    import segno

    from heedback.collect.views.cards import _card

    request = rf.get("/", HTTP_HOST="feedback.example.com")
    card = _card(request, link)
    assert card.url == f"http://feedback.example.com/s/{link.token}/?c=qr"
    matrix = [list(row) for row in segno.make(card.url, error="q").matrix]
    assert len(matrix) >= 29  # a version-3 code or larger for a 60-character address


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{dashed}", " {spaced} "])
def test_a_typed_code_opens_the_survey_forgivingly(link, typed):
    code = link.short_code
    variants = {
        "code": code,
        "lower": code.lower(),
        "dashed": f"{code[:4]}-{code[4:]}",
        "spaced": f"{code[:4]} {code[4:]}",
    }
    page = Client().get("/c/", {"code": typed.format(**variants)})
    assert page.status_code == 302
    assert page["Location"] == f"/s/{link.token}/?c=qr"


def test_look_alike_letters_are_read_as_digits():
    assert normalise_short_code("o1l-i0") == "01110"


def test_an_unknown_code_says_so(db):
    page = Client().get("/c/ZZZZ-ZZZZ/")
    assert page.status_code == 404
    assert "No survey has this code" in page.content.decode()


def test_a_kiosk_starts_over_for_the_next_guest_and_keeps_no_cookie(link):
    client = Client()
    page = client.get(f"/s/{link.token}/?c=kiosk")
    assert 'data-kiosk-idle="90"' in page.content.decode()
    token = re.search(rb'name="form_token" value="([^"]+)"', page.content).group(1).decode()
    posted = client.post(f"/s/{link.token}/?c=kiosk", {"form_token": token, "q_nps": "8"})
    assert posted["Location"] == f"/s/{link.token}/thanks/?c=kiosk"
    thanks = client.get(posted["Location"])
    assert f'content="8;url=/s/{link.token}/?c=kiosk"' in thanks.content.decode()
    assert client.cookies == {}
    assert Response.objects.get().channel == "kiosk"


def paper_form(client, survey):
    page = client.get(f"/o/acme/surveys/{survey.pk}/paper/")
    assert page.status_code == 200
    return re.search(rb'name="entry_token" value="([^"]+)"', page.content).group(1).decode()


def test_front_line_staff_type_in_a_paper_card(make_member, organisation, published_survey, hotel):
    clerk = make_member(organisation, "frontline", unit=hotel)
    client = Client()
    client.force_login(clerk.user)
    token = paper_form(client, published_survey)
    data = {
        "entry_token": token,
        "unit": hotel.pk,
        "card_date": "2026-03-14",
        "q_nps": "6",
        "q_comment": "Room was cold",
    }
    saved = client.post(f"/o/acme/surveys/{published_survey.pk}/paper/", data)
    assert saved.status_code == 302
    again = client.post(f"/o/acme/surveys/{published_survey.pk}/paper/", data)  # a double click
    assert again.status_code == 302
    response = Response.objects.get()
    assert (response.channel, response.unit, response.local_date.isoformat()) == (
        "paper",
        hotel,
        "2026-03-14",
    )


def test_a_paper_card_with_mistakes_is_shown_again_and_not_stored(
    admin_client, published_survey, hotel
):
    token = paper_form(admin_client, published_survey)
    page = admin_client.post(
        f"/o/acme/surveys/{published_survey.pk}/paper/",
        {
            "entry_token": token,
            "unit": "",
            "card_date": "2999-01-01",
            "q_nps": "14",
        },
    )
    assert page.status_code == 422
    text = page.content.decode()
    assert "Choose the unit written on the card." in text
    assert "The card cannot be dated in the future." in text
    assert Response.objects.count() == 0


def test_front_line_staff_can_only_enter_cards_of_their_unit(
    make_member, organisation, published_survey, hotel, other_hotel
):
    clerk = make_member(organisation, "frontline", unit=hotel)
    client = Client()
    client.force_login(clerk.user)
    token = paper_form(client, published_survey)
    page = client.post(
        f"/o/acme/surveys/{published_survey.pk}/paper/",
        {"entry_token": token, "unit": other_hotel.pk, "q_nps": "9"},
    )
    assert page.status_code == 422
    assert Response.objects.count() == 0
