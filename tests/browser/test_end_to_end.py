"""One survey answered end to end in a real browser: staff build and publish, a guest answers."""

from __future__ import annotations

import re

import pytest

from heedback.onboarding import create_organisation
from heedback.orgs import services as org_services
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff(transactional_db):
    organisation = create_organisation(name="Acme Hotels", slug="acme", time_zone="Europe/London")
    root = organisation_root(organisation)
    hotel = org_services.create_unit(organisation, name="Harbour Hotel", parent=root)
    user = org_services.create_user(email="lead@example.com", password=PASSWORD, name="Lee Lead")
    org_services.add_member(organisation, user, role="admin")
    return {"organisation": organisation, "hotel": hotel, "user": user}


def organisation_root(organisation):
    from heedback.orgs.selectors import root_unit

    return root_unit(organisation)


def test_build_publish_answer_and_see_the_result(browser, live_server, staff, screenshots):
    base = live_server.url
    lead = browser.new_context()
    page = lead.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", "lead@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/o/acme/dashboard/$"))

    page.goto(f"{base}/o/acme/surveys/new/")
    page.check("#template-hotel_stay", force=True)
    page.fill("input[name=name]", "Stay card")
    page.click("text=Create the draft")
    page.wait_for_url(re.compile(r"/o/acme/surveys/\d+/edit/$"))
    survey_id = int(re.search(r"/surveys/(\d+)/edit/", page.url).group(1))

    page.goto(f"{base}/o/acme/surveys/{survey_id}/")
    page.click("text=Publish version 1")
    page.wait_for_load_state()
    assert "published" in page.content().lower()

    results = f"{base}/o/acme/surveys/{survey_id}/results/"
    page.goto(results)
    assert page.inner_text("[data-testid=response-count]").startswith("0")

    page.goto(f"{base}/o/acme/surveys/{survey_id}/links/")
    link = page.get_attribute(f"a[data-unit='{staff['hotel'].pk}']", "href")

    guest = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone = guest.new_page()
    phone.goto(f"{base}{link}")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.click("text=Send my answers")  # nothing answered: the required NPS is reported inline
    assert phone.is_visible("#error-summary")
    assert "this question is required" in phone.inner_text("#question-nps")
    phone.click("#question-nps label:has-text('10')")
    phone.click("#question-staff label:has-text('5')")
    phone.fill("textarea[name=q_comment]", "Spotless room and a warm welcome")
    phone.screenshot(path=str(screenshots / "respondent-phone.png"), full_page=True)
    phone.click("text=Send my answers")
    phone.wait_for_url(re.compile(r"/thanks/$"))
    assert "Thank you" in phone.inner_text("h1")
    guest.close()

    page.goto(results)
    assert page.inner_text("[data-testid=response-count]").startswith("1")
    assert page.inner_text("[data-testid=kpi-1]") == "+100"
    assert "Spotless room and a warm welcome" in page.inner_text("#main")
    page.screenshot(path=str(screenshots / "results.png"), full_page=True)
    lead.close()
