"""A customer opens a case from the survey: who they see, what is refused, what the case holds."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client

from heedback.collect.models import SurveyLink
from heedback.loop.models import Case
from heedback.loop.public_views import contact_token
from heedback.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def link(published_survey, hotel, manager, director) -> SurveyLink:
    for member, name in ((manager, "Maria Lopez"), (director, "Dan North")):
        member.user.first_name, member.user.last_name = name.split()
        member.user.save()
    return SurveyLink.objects.get(survey=published_survey, unit=hotel)


def token_for(link, key: str = "form-1", seconds_ago: float = 10) -> str:
    return contact_token(link.pk, key, shown_at=time.time() - seconds_ago)


def send(link, *, token: str | None = None, **fields):
    data = {
        "recipient": "responsible",
        "message": "The room was cold all night and nobody came.",
        "name": "Ann Guest",
        "email": "ann@example.org",
        "phone": "",
        "website": "",
        "form_token": token if token is not None else token_for(link),
        **fields,
    }
    return Client().post(f"/s/{link.token}/contact/", data)


def test_the_page_names_the_person_responsible_and_their_manager_without_addresses(
    link, manager, director
):
    page = Client().get(f"/s/{link.token}/contact/")
    body = page.content.decode()
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert "Maria Lopez, manager, Harbour Hotel" in body
    assert "Dan North, manager, North" in body
    assert manager.user.email not in body
    assert director.user.email not in body
    assert "set-cookie" not in {key.lower() for key in page.headers}


def test_every_survey_and_thank_you_page_links_to_it(link):
    client = Client()
    for path in (f"/s/{link.token}/", f"/s/{link.token}/thanks/"):
        body = client.get(path).content.decode()
        assert f'href="/s/{link.token}/contact/"' in body
        assert "Maria Lopez, Harbour Hotel" in body


def test_a_message_opens_a_high_priority_case_for_the_person_responsible(link, manager):
    page = send(link)
    assert page.status_code == 200
    assert "Maria Lopez, manager, Harbour Hotel will contact you." in page.content.decode()
    case = Case.objects.get()
    assert (case.source, case.priority, case.owner, case.unit_id, case.response_id) == (
        "customer",
        "high",
        manager,
        link.unit_id,
        None,
    )
    assert (
        case.title
        == "A customer asks to be contacted: The room was cold all night and nobody came."
    )
    assert case.due_at - case.opened_at == timedelta(hours=24)  # no business hours: calendar
    opened = case.events.get(kind="opened")
    assert opened.body.splitlines()[:3] == [
        "From: Ann Guest",
        "Email: ann@example.org",
        "Phone: –",
    ]
    assert opened.actor_label == "the customer"
    alert = OutboxMessage.objects.get(idempotency_key__startswith=f"case-{case.pk}-opened")
    assert alert.payload["to"] == [manager.user.email]


def test_the_customer_may_go_to_the_manager_directly_and_a_repeat_opens_no_second_case(
    link, director
):
    token = token_for(link, "form-2")
    assert send(link, token=token, recipient="manager").status_code == 200
    assert send(link, token=token, recipient="manager").status_code == 200
    case = Case.objects.get()
    assert case.owner == director
    assert case.external_key == "contact:form-2"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"website": "http://spam.example"}, "This message looks automated."),
        ({"token": "forged"}, "This form has expired: send it again."),
        ({"message": "   "}, "Tell us what went wrong."),
        ({"email": "", "phone": ""}, "Give an email address or a phone number so we can answer."),
        ({"email": "not-an-address"}, "Enter a valid email address."),
    ],
)
def test_robots_forged_forms_and_bad_input_are_refused_and_open_nothing(link, fields, error):
    page = send(link, **fields)
    assert page.status_code == 422
    assert error in page.content.decode()
    assert not Case.objects.exists()


def test_a_form_sent_back_faster_than_a_person_types_is_refused(link):
    page = send(link, token=token_for(link, seconds_ago=0.5))
    assert page.status_code == 422
    assert "That was quick" in page.content.decode()
    assert not Case.objects.exists()


def test_a_token_of_another_link_is_refused(link):
    other = contact_token(link.pk + 1, "form-3", shown_at=time.time() - 10)
    assert send(link, token=other).status_code == 422
    assert not Case.objects.exists()


def test_a_flood_from_one_address_gets_429_with_retry_after(link, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "contact_address": (2, 3600)}
    statuses = [send(link, token=token_for(link, f"flood-{n}")).status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    refused = send(link, token=token_for(link, "flood-9"))
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert Case.objects.count() == 2


def test_an_unknown_link_is_404(db):
    assert Client().get("/s/nope/contact/").status_code == 404


def test_every_invitation_email_links_to_it_and_the_link_opens_a_case(
    organisation, published_survey, hotel, link, manager, smtp_server
):
    import re

    from heedback.collect import campaigns
    from heedback.notify.services import deliver_due

    campaigns.create_campaign(
        organisation,
        campaigns.CampaignInput(
            survey=published_survey, name="Stays", subject="How was it?", body="Tell us."
        ),
        [campaigns.ContactInput("guest@example.org", name="Ann Guest", unit=str(hotel.pk))],
    )
    assert campaigns.send_due() == 1
    assert deliver_due() == 1
    [email] = smtp_server.messages
    body = email.get_content().replace("\r\n", "\n")
    expected = (
        f"Not satisfied? Contact the person responsible or their manager: /s/{link.token}/contact/"
    )
    assert expected in body
    assert f"Or write to Maria Lopez <{manager.user.email}>." in body
    path = re.search(r"/s/[^/\s]+/contact/", body).group(0)
    assert Client().get(path).status_code == 200
    assert send(link).status_code == 200
    assert (Case.objects.get().source, Case.objects.get().owner) == ("customer", manager)
