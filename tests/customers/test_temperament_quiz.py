"""The temperament quiz offered after an invitation is answered, and the case view's advice."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from heedback.collect import campaigns, invitations
from heedback.collect.campaigns import CampaignInput, ContactInput
from heedback.collect.models import Invitation, Response
from heedback.customers import quiz, services
from heedback.customers.models import Customer
from heedback.loop import services as loop
from heedback.orgs.models import AuditEvent

ALL_BLUE = {"matters": "blue", "wrong": "blue", "hear": "blue", "describes": "blue"}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (ALL_BLUE, "blue"),
        ({"matters": "gold", "wrong": "gold", "hear": "green", "describes": "orange"}, "gold"),
        # Two and two: the self-description decides when it is one of the tied.
        ({"matters": "green", "wrong": "orange", "hear": "green", "describes": "orange"}, "orange"),
        # One each: the self-description decides.
        ({"matters": "blue", "wrong": "gold", "hear": "green", "describes": "orange"}, "orange"),
        # Two and two, the self-description the other way round.
        ({"matters": "orange", "wrong": "blue", "hear": "blue", "describes": "orange"}, "orange"),
    ],
)
def test_the_most_chosen_colour_wins_and_ties_go_to_the_self_description(answers, expected):
    assert quiz.problems(answers) == []
    assert quiz.temperament_of(answers) == expected


def test_every_question_must_be_answered_with_one_of_its_options():
    assert quiz.problems({"matters": "blue", "wrong": "purple"}) == [
        ("wrong", "Choose one answer."),
        ("hear", "Choose one answer."),
        ("describes", "Choose one answer."),
    ]


@pytest.fixture
def answered(db, organisation, published_survey, hotel) -> tuple[Client, Invitation]:
    """A guest invited by email who has just answered: the browser on the thanks page."""
    campaigns.create_campaign(
        organisation,
        CampaignInput(survey=published_survey, name="Stays", subject="Hi", body="Hello"),
        [ContactInput("guest@example.com", name="Guest", unit="Harbour Hotel")],
    )
    campaigns.send_due()
    invitation = Invitation.objects.get()
    client = Client()
    client.get(f"/i/{invitations.token_of(invitation.nonce)}/")
    sent = client.post(
        "/i/",
        {"invitation": invitation.pk, "revision": 0, "action": "send", "q_nps": "3"},
    )
    assert sent["Location"] == "/i/thanks/"
    return client, invitation


def quiz_link(page) -> str:
    return re.search(r'href="(/t/[^"/]+/)"', page.content.decode()).group(1)


@pytest.mark.django_db
def test_the_thanks_page_offers_the_quiz_and_the_answers_set_the_temperament(answered):
    client, invitation = answered
    thanks = client.get("/i/thanks/")
    assert b'data-testid="quiz-offer"' in thanks.content
    link = quiz_link(thanks)
    page = Client().get(link)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    assert "When we serve you, what matters most?" in page.content.decode()
    incomplete = Client().post(link, {"matters": "green"})
    assert incomplete.status_code == 422
    assert Customer.objects.get(pk=invitation.customer_id).temperament == ""
    done = Client().post(
        link, {"matters": "green", "wrong": "green", "hear": "gold", "describes": "green"}
    )
    assert done.status_code == 200
    assert b"will keep your preferences in mind" in done.content
    customer = Customer.objects.get(pk=invitation.customer_id)
    assert (customer.temperament, customer.temperament_source) == ("green", "quiz")
    assert AuditEvent.objects.filter(action="customer.temperament").count() == 1
    again = client.get("/i/thanks/")
    assert b"quiz-offer" not in again.content  # known now: not offered again


@pytest.mark.django_db
def test_a_forged_or_stale_quiz_link_opens_nothing(answered, settings):
    client, invitation = answered
    link = quiz_link(client.get("/i/thanks/"))
    forged = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    assert Client().get(forged).status_code == 404
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert Client().get(link).status_code == 404
    assert Customer.objects.get(pk=invitation.customer_id).temperament == ""


@pytest.mark.django_db
def test_the_case_view_shows_how_to_talk_to_the_customer(answered, organisation, admin_client):
    _client, invitation = answered
    customer = Customer.objects.get(pk=invitation.customer_id)
    services.set_temperament(customer, "gold", actor=None)
    services.update_guidance(organisation, "gold", "Be exact; confirm in writing.", actor=None)
    case = loop.open_case(
        loop.CaseOpening(
            organisation=organisation,
            unit=invitation.unit,
            title="Detractor",
            response=Response.objects.get(),
        )
    )
    page = admin_client.get(f"/o/acme/cases/{case.pk}/").content.decode()
    section = page.split('data-testid="how-to-talk"')[1].split("</section>")[0]
    assert f'href="/o/acme/customers/{customer.pk}/">Guest</a>' in section
    assert '<p data-testid="guidance">Be exact; confirm in writing.</p>' in section
