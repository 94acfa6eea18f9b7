"""An invitation answered on a phone: each answer saved as it is given, resumed, then sent."""

from __future__ import annotations

import re

import pytest

from heedback.collect import campaigns, invitations
from heedback.collect.campaigns import CampaignInput, ContactInput
from heedback.collect.models import Invitation, Response
from heedback.collect.services import publish_and_open_links
from heedback.onboarding import create_organisation
from heedback.surveys import services as survey_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_answers_are_saved_on_each_change_and_resumed(browser, live_server, screenshots):
    organisation = create_organisation(name="Acme Hotels", slug="acme", time_zone="Europe/London")
    survey = survey_services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="Stay card"
    )
    publish_and_open_links(survey)
    survey.refresh_from_db()
    campaigns.create_campaign(
        organisation,
        CampaignInput(survey=survey, name="Stays", subject="Hi", body="Hello"),
        [ContactInput("guest@example.com")],
    )
    campaigns.send_due()
    invitation = Invitation.objects.get()
    link = f"{live_server.url}/i/{invitations.token_of(invitation.nonce)}/"

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    phone.goto(link)
    assert phone.url == f"{live_server.url}/i/"  # the token is gone from the address bar
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.click("#question-staff label:has-text('4')")
    phone.wait_for_selector("#draft-state:has-text('Saved.')")
    phone.click("#question-nps label:has-text('9')")
    phone.wait_for_selector("#draft-state input[name=revision][value='2']", state="attached")
    invitation.refresh_from_db()
    assert invitation.draft == {"staff": "4", "nps": "9"}
    phone.screenshot(path=str(screenshots / "invitation-phone.png"), full_page=True)
    context.close()

    later = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = later.new_page()
    page.goto(link)  # the same link, another day
    assert page.is_checked("#question-nps input[value='9']")
    page.click("text=Send my answers")
    page.wait_for_url(re.compile(r"/i/thanks/$"))
    assert "Thank you" in page.inner_text("h1")
    later.close()
    assert Response.objects.get().customer_id == invitation.customer_id
