"""Employee answers are confidential on every surface that shows responses.

No page, API operation or export lists an employee survey's responses one by one, and no
figure of fewer than five respondents is shown: the results page, the metrics API, the
response list and detail, the three export routes and the comment search.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from heedback.collect.models import Response
from heedback.surveys.confidentiality import MINIMUM_RESPONDENTS
from heedback.text import services as text_services

pytestmark = pytest.mark.django_db

PULSE = {"enps": 9, "training": 4, "authority": 5, "tools": 3, "recognition": 2}


@pytest.fixture
def pulse(make_survey):
    return make_survey("employee_pulse", "Pulse")


def answer_pulse(respond, pulse, unit, count: int, comment: str = "") -> list[Response]:
    made = []
    for index in range(count):
        answers = PULSE | ({"comment": f"{comment} {index}"} if comment else {})
        made.append(respond(pulse, unit, answers))
    return made


def results_url(organisation, survey, **params) -> str:
    url = reverse("survey-results", args=[organisation.slug, survey.pk])
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}?{query}" if query else url


def test_the_results_page_shows_nothing_below_five_respondents(
    organisation, hotel, pulse, respond, admin_client
):
    answer_pulse(respond, pulse, hotel, MINIMUM_RESPONDENTS - 1, comment="Short staffed")
    page = admin_client.get(results_url(organisation, pulse)).content.decode()
    assert 'data-testid="confidential"' in page
    assert "Fewer than 5 people answered" in page
    assert 'data-question="enps"' not in page
    assert "Short staffed" not in page
    assert 'data-testid="kpi-1"' not in page


def test_the_results_page_shows_unattributed_comments_from_five_respondents(
    organisation, hotel, pulse, respond, admin_client
):
    answer_pulse(respond, pulse, hotel, MINIMUM_RESPONDENTS, comment="More training")
    page = admin_client.get(results_url(organisation, pulse)).content.decode()
    assert 'data-question="enps"' in page
    assert page.count("More training") == MINIMUM_RESPONDENTS
    # Comments carry no time, unit or channel that would point at the person.
    assert 'class="meta"' not in page
    assert hotel.name not in page.split('id="comments"')[1]


def test_a_unit_of_four_is_withheld_even_when_the_organisation_has_more(
    organisation, hotel, other_hotel, pulse, respond, admin_client
):
    answer_pulse(respond, pulse, hotel, 6)
    answer_pulse(respond, pulse, other_hotel, 4, comment="Hill comment")
    page = admin_client.get(results_url(organisation, pulse, unit=other_hotel.pk)).content
    assert b"Fewer than 5 people answered" in page
    assert b"Hill comment" not in page


def test_a_customer_survey_keeps_its_attributed_comments(
    organisation, hotel, make_survey, respond, admin_client
):
    stay = make_survey("hotel_stay", "Stay")
    respond(stay, hotel, {"nps": 3, "comment": "Cold room"})
    page = admin_client.get(results_url(organisation, stay)).content.decode()
    assert 'data-testid="confidential"' not in page
    assert "Cold room" in page
    assert 'class="meta"' in page


def test_the_metrics_api_withholds_small_employee_cells(
    hotel, other_hotel, pulse, respond, api, make_survey
):
    answer_pulse(respond, pulse, hotel, 6)
    answer_pulse(respond, pulse, other_hotel, 2)
    body = api.get(
        "/api/v1/metrics", {"survey": pulse.pk, "metric": "nps", "group_by": "unit"}
    ).json()
    rows = {row["label"]: row for row in body["results"]}
    assert rows["Harbour Hotel"]["value"] == 100.0
    assert rows["Harbour Hotel"]["n"] == 6
    assert rows["Hill Hotel"] == {
        "group": str(other_hotel.pk),
        "label": "Hill Hotel",
        "value": None,
        "n": 2,
        "ci_low": None,
        "ci_high": None,
    }
    whole = api.get("/api/v1/metrics", {"survey": pulse.pk, "metric": "nps"}).json()
    assert whole["results"][0]["value"] == 100.0
    assert whole["results"][0]["n"] == 8
    # A customer survey's small cells keep their value (marked small by the pages).
    stay = make_survey("hotel_stay", "Stay")
    respond(stay, hotel, {"nps": 10})
    customer = api.get("/api/v1/metrics", {"survey": stay.pk, "metric": "nps"}).json()
    assert customer["results"][0]["value"] == 100.0


def test_the_response_list_and_detail_refuse_employee_responses(
    hotel, pulse, respond, api, make_survey
):
    (first, *_rest) = answer_pulse(respond, pulse, hotel, 6)
    listed = api.get(f"/api/v1/surveys/{pulse.pk}/responses")
    assert listed.status_code == 403
    assert "confidential" in listed.json()["detail"]
    assert api.get(f"/api/v1/responses/{first.pk}").status_code == 403
    stay = make_survey("hotel_stay", "Stay")
    customer = respond(stay, hotel, {"nps": 10})
    assert api.get(f"/api/v1/surveys/{stay.pk}/responses").json()["count"] == 1
    assert api.get(f"/api/v1/responses/{customer.pk}").status_code == 200


def test_every_export_route_refuses_employee_responses(
    organisation, hotel, pulse, respond, api, admin_client, tmp_path
):
    answer_pulse(respond, pulse, hotel, 6)
    page = admin_client.get(reverse("survey-export", args=[organisation.slug, pulse.pk]))
    assert page.status_code == 403
    assert b'data-testid="confidential"' in page.content
    download = admin_client.get(
        reverse("survey-export", args=[organisation.slug, pulse.pk]), {"format": "csv"}
    )
    assert download.status_code == 403
    assert "attachment" not in download.get("Content-Disposition", "")
    via_api = api.get(f"/api/v1/surveys/{pulse.pk}/export", {"format": "csv"})
    assert via_api.status_code == 403
    output = tmp_path / "pulse.csv"
    with pytest.raises(CommandError, match="confidential"):
        call_command(
            "export",
            "responses",
            "--org",
            organisation.slug,
            "--survey",
            str(pulse.pk),
            "--format",
            "csv",
            "--output",
            str(output),
        )
    assert not output.exists()
    detail = admin_client.get(reverse("survey-detail", args=[organisation.slug, pulse.pk]))
    assert (
        reverse("survey-export", args=[organisation.slug, pulse.pk]) not in detail.content.decode()
    )


def test_a_customer_export_still_works(organisation, hotel, make_survey, respond, api):
    stay = make_survey("hotel_stay", "Stay")
    respond(stay, hotel, {"nps": 10})
    response = api.get(f"/api/v1/surveys/{stay.pk}/export", {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2


def test_the_comment_search_never_finds_employee_comments(
    organisation, hotel, pulse, respond, make_survey, api, admin_client
):
    answer_pulse(respond, pulse, hotel, 6, comment="parking for staff")
    stay = make_survey("hotel_stay", "Stay")
    respond(stay, hotel, {"nps": 4, "comment": "parking was full"})
    Response.objects.update(received_at=Response.objects.first().received_at - timedelta(hours=1))
    text_services.enrich_pending(settle=timedelta(0), time_budget=0)
    found = api.get("/api/v1/comments/search", {"q": "parking"}).json()
    assert found["count"] == 1
    only_pulse = api.get("/api/v1/comments/search", {"q": "parking", "survey": pulse.pk}).json()
    assert only_pulse["count"] == 0
    page = admin_client.get(reverse("comment-search", args=[organisation.slug]), {"q": "parking"})
    assert "parking was full" in page.content.decode().replace("<mark>", "").replace("</mark>", "")
    assert "for staff" not in page.content.decode()


def test_rules_never_open_a_case_on_an_employee_answer(
    organisation, hotel, pulse, respond, make_survey
):
    from heedback.loop import services as loop_services
    from heedback.loop.models import Case, Rule

    assert Rule.objects.get(organisation=organisation, system_key="detractor").is_enabled
    respond(pulse, hotel, PULSE | {"enps": 2})
    stay = make_survey("hotel_stay", "Stay")
    customer = respond(stay, hotel, {"nps": 2})
    assert loop_services.evaluate_new_responses() == 2
    assert list(Case.objects.values_list("response_id", flat=True)) == [customer.pk]
    trial = loop_services.try_rule(
        organisation, Rule.objects.get(organisation=organisation, system_key="detractor")
    )
    assert [sample.pk for sample in trial.samples] == [customer.pk]
