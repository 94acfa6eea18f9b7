"""The case workflow in a real browser: the list by keyboard, a call logged, a resolution."""

from __future__ import annotations

import re

import pytest

from heedback.collect.services import Submission, publish_and_open_links, submit_response
from heedback.loop.choices import CaseSource
from heedback.loop.models import Case
from heedback.loop.services import CaseOpening, open_case
from heedback.onboarding import create_organisation
from heedback.orgs import services as org_services
from heedback.orgs.selectors import root_unit
from heedback.surveys import services as survey_services
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cases(transactional_db):
    """Two open cases at the harbour, the sooner due first; the hotel's manager owns both."""
    organisation = create_organisation(name="Acme Hotels", slug="acme", time_zone="Europe/London")
    hotel = org_services.create_unit(
        organisation, name="Harbour Hotel", parent=root_unit(organisation)
    )
    user = org_services.create_user(
        email="maria@example.com", password=PASSWORD, name="Maria Lopez"
    )
    manager = org_services.add_member(organisation, user, role="manager", unit=hotel)
    survey = survey_services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="Stay card"
    )
    publish_and_open_links(survey)
    survey.refresh_from_db()
    opened = []
    for number, hours in ((1, 4), (2, 48)):
        response = submit_response(
            Submission(
                survey=survey, unit=hotel, answers={"nps": number}, idempotency_key=f"b-{number}"
            )
        ).response
        opened.append(
            open_case(
                CaseOpening(
                    organisation=organisation,
                    unit=hotel,
                    title=f"Guest {number} unhappy",
                    response=response,
                    source=CaseSource.STAFF,
                    due_hours=hours,
                )
            )
        )
    return {"manager": manager, "cases": opened}


def test_open_a_case_by_keyboard_log_a_call_and_resolve_it(
    browser, live_server, cases, screenshots
):
    base = live_server.url
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", "maria@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{base}/o/acme/cases/")
    first, second = cases["cases"]
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.get_attribute("tr.is-current", "data-href").endswith(f"/cases/{second.pk}/")
    page.keyboard.press("k")
    assert page.get_attribute("tr.is-current", "aria-current") == "true"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/o/acme/cases/{first.pk}/$"))
    assert "Guest 1 unhappy" in page.inner_text("h1")

    page.select_option("#id_kind", "call")
    page.select_option("#id_reached", "yes")
    page.select_option("#id_solved", "yes")
    page.fill("#id_body", "Called the guest, apologised, offered breakfast.")
    page.click("text=Add to the log")
    page.wait_for_load_state()
    assert "Added to the log." in page.content()
    assert "Called the guest, apologised, offered breakfast." in page.content()

    page.click("summary:has-text('Resolve')")
    page.select_option("#id_resolution_code", "apologised")
    page.select_option("#id_root_cause", "waiting_time")
    page.fill("#id_note", "Breakfast queue at 9 am.")
    page.screenshot(path=str(screenshots / "case-before-resolve.png"), full_page=True)
    page.click("text=Resolve the case")
    page.wait_for_load_state()
    assert "Case resolved." in page.content()

    page.goto(f"{base}/o/acme/cases/metrics/")
    assert page.inner_text("[data-testid=figure-cases]") == "2"
    assert page.inner_text("[data-testid=figure-detractors_followed_share]") == "50%"
    assert "Waiting time" in page.inner_text("[data-testid=root-causes]")
    page.screenshot(path=str(screenshots / "loop-dashboard.png"), full_page=True)
    context.close()

    case = Case.objects.select_related("resolution_code", "root_cause").get(pk=first.pk)
    assert (case.status, case.resolution_code.key, case.root_cause.key) == (
        "resolved",
        "apologised",
        "waiting_time",
    )
    assert case.first_seen_at is not None  # the owner opened it: time to front line
    call = case.events.get(kind="call")
    assert (call.reached, call.solved, call.actor_id) == (True, True, cases["manager"].pk)
    assert Case.objects.get(pk=second.pk).status == "new"
