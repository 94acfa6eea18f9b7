"""WCAG 2.2 AA checks with axe-core (shipped inside axe-playwright-python) on the main pages."""

from __future__ import annotations

import re

import pytest

from heedback.collect.models import SurveyLink
from heedback.collect.services import publish_and_open_links
from heedback.onboarding import create_organisation
from heedback.orgs import services as org_services
from heedback.orgs.selectors import root_unit
from heedback.surveys.services import create_survey_from_template
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def site(transactional_db):
    organisation = create_organisation(name="Acme Hotels", slug="acme")
    hotel = org_services.create_unit(
        organisation, name="Harbour Hotel", parent=root_unit(organisation)
    )
    user = org_services.create_user(email="lead@example.com", password=PASSWORD)
    org_services.add_member(organisation, user, role="admin")
    survey = create_survey_from_template(organisation, template_key="post_service")
    publish_and_open_links(survey)
    return {"survey": survey, "link": SurveyLink.objects.get(survey=survey, unit=hotel)}


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    return [
        f"{item['id']}: {item['help']} ({len(item['nodes'])}× e.g. {item['nodes'][0]['target']})"
        for item in results.response["violations"]
    ]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_respondent_pages_meet_wcag_aa(browser, live_server, site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{site['link'].token}/")
    assert violations(page) == []
    page.click("text=Send my answers")  # with errors shown beside the questions
    assert page.is_visible("#error-summary")
    assert violations(page) == []
    page.click("#question-nps label:has-text('9')")
    page.click("#question-satisfaction label:has-text('4')")
    page.click("#question-problem_resolved label:has-text('Yes')")
    page.click("text=Send my answers")
    page.wait_for_url(re.compile(r"/thanks/$"))
    assert violations(page) == []
    page.goto(f"{live_server.url}/c/")
    assert violations(page) == []
    context.close()


def test_the_staff_pages_meet_wcag_aa(browser, live_server, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    assert violations(page) == []
    page.fill("#id_username", "lead@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    survey = site["survey"].pk
    for path in [
        "/o/acme/surveys/",
        f"/o/acme/surveys/{survey}/",
        f"/o/acme/surveys/{survey}/edit/",
        f"/o/acme/surveys/{survey}/results/",
        f"/o/acme/surveys/{survey}/links/",
        f"/o/acme/surveys/{survey}/paper/",
        "/o/acme/units/",
        "/o/acme/members/",
        "/o/acme/api-keys/",
        "/o/acme/campaigns/policy/",
        "/o/acme/domains/",
        "/o/acme/surveys/new/",
        "/o/acme/dashboard/",
        "/o/acme/scorecards/",
        "/o/acme/compare/",
        "/o/acme/front-line/",
        "/o/acme/insights/settings/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert violations(page) == [], path
    context.close()
