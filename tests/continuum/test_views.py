"""Continuum pages through HTTP: placement, questionnaire, units, statements, scoping."""

from __future__ import annotations

import math
import re
import statistics
import zoneinfo
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from heedback.continuum import selectors, services
from heedback.continuum.choices import AssessmentStatus
from heedback.continuum.instrument import Factor, Level, current_instrument
from heedback.continuum.models import Assessment, CustomStatement
from heedback.continuum.wording import level_name
from tests.continuum.conftest import answers_at

pytestmark = pytest.mark.django_db


def url(name: str, *args, **query) -> str:
    path = reverse(name, args=["acme", *args])
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


def text_of(response) -> str:
    return response.content.decode()


def section_answers(factor: Factor, level: Level) -> dict[str, str]:
    wanted = answers_at(level)
    return {
        statement.id: str(wanted[statement.id])
        for statement in current_instrument().of_factor(factor)
    }


def submit_as(membership, level: Level, unit=None, when=None) -> Assessment:
    respondent = services.Respondent.of(membership)
    assessment = services.submit_draft(membership.organisation, unit, respondent, answers_at(level))
    if when is not None:
        Assessment.objects.filter(pk=assessment.pk).update(submitted_at=when)
    return assessment


def test_the_nav_links_to_the_continuum(admin_client):
    page = admin_client.get(reverse("survey-list", args=["acme"]))
    assert f'href="{url("continuum")}"' in text_of(page)


def test_a_new_organisation_is_placed_from_its_data_alone(admin_client):
    page = admin_client.get(url("continuum"))
    assert page.status_code == 200
    text = text_of(page)
    assert "Your data says aware. Take the assessment to compare." in text
    assert "Take the assessment" in text
    assert "No self-assessment of this scope in the last 12 months." in text
    assert "not available yet" not in text  # every indicator is measured now
    assert (
        "Analysed on 0 of the last 90 days, in 0 of the last 3 months, by 0 people on the "
        "drivers page and 0 times through the API." in text
    )
    assert "No detractor in the last 90 days." in text  # measured by the loop app


def test_the_page_says_plainly_where_answers_and_data_disagree(admin_client, admin):
    submit_as(admin, Level.FOCUSED)
    text = text_of(admin_client.get(url("continuum")))
    assert (
        "You rate your measurement focused; your data says hostile: Units collecting feedback "
        "0% – 0 of 1 units collected customer feedback in the last 90 days"
    ) in text
    assert "Reached focused: the answers agree with its practices and those below it." in text
    # Next steps to friendly measurement start with what the data lacks, linked to a page.
    assert "Open a link or put a QR card at every unit that serves customers." in text
    assert f'href="{reverse("survey-list", args=["acme"])}">Links and cards' in text
    assert "Your own latest answers" in text


def test_the_questionnaire_walks_three_parts_and_resumes_a_draft(admin_client, admin):
    page = admin_client.get(url("continuum-assess"))
    assert page.status_code == 200
    assert "Part 1 of 3: Customer focus" in text_of(page)
    assert "0 of 34 statements answered" in text_of(page)
    assert text_of(page).count('class="question statement"') == 10

    posted = section_answers(Factor.CUSTOMER_FOCUS, Level.FRIENDLY)
    response = admin_client.post(url("continuum-assess"), posted | {"section": "customer_focus"})
    assert response.status_code == 302
    assert response["Location"] == url("continuum-assess", section="measurement")

    response = admin_client.post(
        url("continuum-assess"), {"section": "measurement", "action": "save", "me_occasional": "4"}
    )
    assert response["Location"] == url("continuum")
    draft = Assessment.objects.get()
    assert draft.status == AssessmentStatus.DRAFT
    assert "Continue your draft" in text_of(admin_client.get(url("continuum")))

    page = admin_client.get(url("continuum-assess", section="measurement"))
    assert "11 of 34 statements answered" in text_of(page)
    assert 'name="me_occasional" value="4" checked' in text_of(page)

    admin_client.post(
        url("continuum-assess"),
        section_answers(Factor.MEASUREMENT, Level.FRIENDLY) | {"section": "measurement"},
    )
    response = admin_client.post(
        url("continuum-assess"),
        section_answers(Factor.ENVIRONMENT, Level.FRIENDLY)
        | {"section": "environment", "action": "submit", "en_blame": "unknown"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.SUBMITTED
    assert selectors.answers_of(draft)["en_blame"] is None
    assert selectors.placement_of(draft).overall.level == Level.FRIENDLY


def test_back_returns_to_the_previous_part(admin_client):
    response = admin_client.post(
        url("continuum-assess"), {"section": "environment", "action": "back"}
    )
    assert response["Location"] == url("continuum-assess", section="measurement")


def test_submitting_nothing_is_refused_on_the_page(admin_client):
    response = admin_client.post(
        url("continuum-assess"), {"section": "environment", "action": "submit"}
    )
    assert response.status_code == 422
    assert "answer at least one statement" in text_of(response)
    assert not Assessment.objects.filter(status=AssessmentStatus.SUBMITTED).exists()


def test_an_answer_off_the_scale_is_a_form_error(admin_client):
    response = admin_client.post(
        url("continuum-assess"), {"section": "environment", "en_blame": "9"}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in text_of(response)
    assert not Assessment.objects.exists()


def test_a_manager_assesses_their_own_unit_and_cannot_reach_another(
    organisation, hotel, other_hotel, make_member, client_of
):
    manager = make_member(organisation, "manager", unit=hotel)
    client = client_of(manager)
    page = client.get(url("continuum-assess"))
    assert f'name="unit" value="{hotel.pk}"' in text_of(page)
    assert "Whole organisation" not in text_of(page)
    client.post(
        url("continuum-assess"), {"section": "environment", "unit": hotel.pk, "en_blame": "2"}
    )
    assert Assessment.objects.get().unit == hotel
    assert client.get(url("continuum-assess", unit=other_hotel.pk)).status_code == 404
    assert client.get(url("continuum", unit=other_hotel.pk)).status_code == 404
    assert "Harbour Hotel" in text_of(client.get(url("continuum")))


def test_a_viewer_sees_the_placement_but_does_not_take_the_assessment(
    organisation, make_member, client_of
):
    client = client_of(make_member(organisation, "viewer"))
    assert client.get(url("continuum")).status_code == 200
    assert f'href="{url("continuum-assess")}' not in text_of(client.get(url("continuum")))
    assert client.get(url("continuum-assess")).status_code == 403


def test_a_member_of_another_organisation_gets_404(
    other_organisation, make_member, client_of, hotel
):
    outsider = client_of(make_member(other_organisation, "owner"))
    for name in ("continuum", "continuum-assess", "continuum-units", "continuum-statements"):
        assert outsider.get(url(name)).status_code == 404
    # Under their own organisation, a unit of acme is simply not there.
    foreign = reverse("continuum", args=["rival"]) + f"?unit={hotel.pk}"
    assert outsider.get(foreign).status_code == 404


def test_people_are_combined_and_only_your_own_answers_are_shown_to_you(
    organisation, admin, make_member, client_of
):
    colleague = make_member(organisation, "analyst")
    submit_as(admin, Level.CENTRIC)
    submit_as(colleague, Level.AWARE)
    text = text_of(client_of(colleague).get(url("continuum")))
    assert "Self-assessment from 2 people" in text
    assert "Your own latest answers" in text
    own = selectors.latest_submitted_by(organisation, colleague.user, None)
    assert selectors.placement_of(own).overall.level == Level.AWARE
    viewer = client_of(make_member(organisation, "viewer"))
    assert "Your own latest answers" not in text_of(viewer.get(url("continuum")))


def test_the_history_chart_shows_each_month_assessed(admin_client, admin):
    submit_as(admin, Level.AWARE, when=timezone.now() - timedelta(days=70))
    submit_as(admin, Level.FOCUSED)
    text = text_of(admin_client.get(url("continuum")))
    assert '<svg class="continuum-history"' in text
    assert "Self-assessed placement in each of 2 months with assessments." in text
    assert text.count('class="series-overall"') == 2  # the legend and the line
    assert ": aware</title>" in text
    assert ": focused</title>" in text


def test_the_history_shows_the_evidence_recorded_each_month_beside_the_answers(
    organisation, admin_client, admin, hotel, make_survey, respond
):
    from heedback.continuum.evidence_history import record_evidence, record_evidence_history
    from heedback.continuum.models import EvidenceRecord

    now = timezone.now()
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    this_month = now.astimezone(zone).date().replace(day=1)
    earlier = datetime.combine(this_month - timedelta(days=40), time(12), zone)
    # Two months ago the organisation had no data: hostile measurement, no customer NPS.
    assert record_evidence(organisation, now=earlier) == 3  # the organisation and 2 units
    survey = make_survey("hotel_stay")
    respond(survey, hotel, {"nps": 9}, now - timedelta(hours=1))
    submit_as(admin, Level.FOCUSED)
    assert record_evidence_history() == 1
    assert record_evidence_history() == 0  # measured today: nothing until tomorrow
    records = {(row.unit_id, row.month): row for row in EvidenceRecord.objects.filter(unit=None)}
    earlier_month = earlier.date().replace(day=1)
    assert set(records) == {(None, earlier_month), (None, this_month)}
    now_placed = selectors.evidence_for(organisation, [None], as_of=now)[0]
    assert records[(None, this_month)].overall == now_placed.overall.level
    assert records[(None, this_month)].measurement == now_placed.factor(Factor.MEASUREMENT).level
    assert records[(None, earlier_month)].measurement == Level.HOSTILE
    text = text_of(admin_client.get(url("continuum")))
    assert 'class="series-evidence"' in text
    table = text.split('data-testid="history-table"')[1].split("</table>")[0]
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in table.split("<tr>")[2:]]
    # Self-assessed overall and per factor, then the data's overall level.
    assert cells == [
        ["–", "–", "–", "–", level_name(records[(None, earlier_month)].overall)],
        ["focused", "focused", "focused", "focused", level_name(now_placed.overall.level)],
    ]


def test_the_placement_page_query_count_is_locked(
    admin_client, admin, hotel, make_survey, respond, django_assert_num_queries
):
    survey = make_survey("hotel_stay")
    respond(survey, hotel, {"nps": 9})
    submit_as(admin, Level.FRIENDLY)
    # Log-in (3), self-assessment (3), evidence snapshot (8), interactions (1), lapse
    # counts (1), driver analysis uses (1), the loop's counts (4, loop/indicators.py),
    # history (2, and 1 for the recorded evidence), own answers (3).
    with django_assert_num_queries(27):
        assert admin_client.get(url("continuum")).status_code == 200


def test_the_units_page_withholds_small_pulse_cells(
    admin_client, hotel, other_hotel, make_survey, respond, django_assert_num_queries
):
    pulse = make_survey("employee_pulse")
    for answer in (10, 10, 9, 8, 3):
        respond(pulse, hotel, {"enps": answer})
    for answer in (10, 2):
        respond(pulse, other_hotel, {"enps": answer})
    # Log-in (3), units (1), is the root the organisation (1), self-assessments (1, none
    # yet), evidence snapshot (6: no customer or self-assessment answers to count),
    # interactions (1), lapse counts (1), driver analysis uses (1) — the same for any
    # number of units — and the loop's counts (4).
    with django_assert_num_queries(19):
        page = admin_client.get(url("continuum-units"))
    text = text_of(page)
    assert f'data-testid="enps-{hotel.pk}">+40 <span class="muted small">n=5</span>' in text
    other_cell = text.split(f'data-testid="enps-{other_hotel.pk}">')[1].split("</td>")[0]
    assert "fewer than 5 respondents" in other_cell
    assert "n=" not in other_cell
    assert "+0" not in other_cell


def test_the_units_page_correlates_employee_and_customer_scores(
    organisation, root_unit, admin_client, make_survey, respond
):
    from heedback.orgs import services as org_services

    units = [
        org_services.create_unit(organisation, name=f"Branch {number}", parent=root_unit)
        for number in range(4)
    ]
    pulse, stay = make_survey("employee_pulse"), make_survey("hotel_stay")
    pulse_scores = [[10] * 5, [10, 10, 10, 3, 3], [10, 3, 3, 3, 3], [3] * 5]
    customer_scores = [[10] * 10, [10] * 6 + [3] * 4, [10] * 3 + [3] * 7, [3] * 10]
    for unit, staff, customers in zip(units, pulse_scores, customer_scores, strict=True):
        for answer in staff:
            respond(pulse, unit, {"enps": answer})
        for answer in customers:
            respond(stay, unit, {"nps": answer})
    text = text_of(admin_client.get(url("continuum-units")))
    enps = [100 * (s.count(10) - s.count(3)) / len(s) for s in pulse_scores]
    nps = [100 * (c.count(10) - c.count(3)) / len(c) for c in customer_scores]
    r = statistics.correlation(enps, nps)
    half = 1.96 / math.sqrt(4 - 3)
    low, high = math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)
    assert (
        f'data-testid="correlation">Across 4 units, employee NPS and customer NPS correlate at '
        f"r = {r:.2f} (95% interval {low:.2f} to {high:.2f})."
    ) in text
    assert "With so few units the interval is wide" in text


def test_statements_are_added_and_retired_by_editors_only(
    organisation, admin_client, make_member, client_of, other_organisation
):
    response = admin_client.post(
        url("continuum-statements"),
        {"factor": "environment", "level": "4", "text": "Team leads hold a weekly service huddle."},
    )
    assert response.status_code == 302
    statement = CustomStatement.objects.get()
    page = admin_client.get(url("continuum-assess", section="environment"))
    assert "Team leads hold a weekly service huddle." in text_of(page)
    assert (
        client_of(make_member(organisation, "manager")).get(url("continuum-statements")).status_code
        == 403
    )
    outsider = client_of(make_member(other_organisation, "owner"))
    foreign = reverse("continuum-statement-retire", args=["rival", statement.pk])
    assert outsider.post(foreign).status_code == 404
    statement.refresh_from_db()
    assert not statement.is_retired
    admin_client.post(url("continuum-statement-retire", statement.pk))
    statement.refresh_from_db()
    assert statement.is_retired


def test_a_bad_statement_is_shown_on_the_form(admin_client):
    response = admin_client.post(
        url("continuum-statements"), {"factor": "environment", "level": "4", "text": ""}
    )
    assert response.status_code == 422
    assert not CustomStatement.objects.exists()


def test_the_root_unit_is_the_organisation(organisation, root_unit, admin, admin_client):
    submit_as(admin, Level.FRIENDLY, unit=root_unit)
    assert Assessment.objects.get().unit is None
    text = text_of(admin_client.get(url("continuum", unit=root_unit.pk)))
    assert "Where Acme Hotels stands" in text
    assert "Self-assessment from 1 person" in text
    units = text_of(admin_client.get(url("continuum-units")))
    row = units.split(f'data-unit="{root_unit.pk}"')[1].split("</tr>")[0]
    assert "friendly <span" in row


def test_a_step_links_to_a_page_only_for_members_who_may_open_it(organisation, admin, make_member):
    from heedback.continuum.features import feature_link

    manager = make_member(organisation, "manager")
    assert feature_link("detractor_rule", "acme", admin).url == reverse("rule-list", args=["acme"])
    assert feature_link("detractor_rule", "acme", manager).url is None
    assert feature_link("detractor_rule", "acme", manager).label == "Rules: the detractor rule"
    assert feature_link("employee_pulse", "acme", manager) is not None
    assert feature_link("driver_analysis", "acme", admin).url == reverse(
        "survey-list", args=["acme"]
    )
    assert feature_link("employee_pulse", "acme").url.endswith("#template-employee_pulse")
