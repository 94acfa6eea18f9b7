"""The overview, unit page, front-line view, PDF report and settings, through HTTP."""

from __future__ import annotations

import csv
import io
import math
from datetime import date

import pytest
from django.test import Client
from scipy import stats

from heedback.insights.driver_selectors import DriverQuery, analyse_drivers
from heedback.orgs.models import AuditEvent, Organisation
from heedback.surveys import services as survey_services
from heedback.text.services import enrich_organisation
from tests.conftest import PASSWORD
from tests.insights.conftest import PERIOD

pytestmark = pytest.mark.django_db


def nps_p_value(first, second):
    """The PRODUCT.md test by hand: (promoters, detractors, n) of each side."""
    (p1, d1, n1), (p2, d2, n2) = first, second
    var1 = (p1 / n1 + d1 / n1 - (p1 / n1 - d1 / n1) ** 2) / n1
    var2 = (p2 / n2 + d2 / n2 - (p2 / n2 - d2 / n2) ** 2) / n2
    z = ((p1 - d1) / n1 - (p2 - d2) / n2) / math.sqrt(var1 + var2)
    return 2 * stats.norm.sf(abs(z))


def test_the_overview_shows_headlines_trends_volume_and_heatmap(admin_client, two_months):
    page = admin_client.get("/o/acme/dashboard/", {"survey": two_months.pk, **PERIOD})
    assert page.status_code == 200
    text = page.content.decode()
    # NPS: January 30 promoters, 10 detractors of 50 (+40); December 20 and 20 (0).
    assert 'data-testid="headline-1">+40<' in text
    assert "previous 0" in text
    assert "▲ +40.0" in text
    assert 'data-testid="trend-nps"' in text
    assert 'data-testid="trend-csat"' in text
    assert '<svg class="heatmap"' in text
    assert 'data-slot="top-drivers"' in text
    # 31 days are drawn by week: the volume table lists 5 weeks holding 50 responses.
    assert text.count('<svg class="bars"') == 1


def test_the_overview_csv_tables(admin_client, two_months):
    params = {"survey": two_months.pk, **PERIOD, "format": "csv"}
    volume = admin_client.get("/o/acme/dashboard/", {**params, "table": "volume"})
    rows = list(csv.DictReader(io.StringIO(volume.content.decode())))
    assert sum(int(row["responses"]) for row in rows) == 50
    nps = admin_client.get("/o/acme/dashboard/", {**params, "table": "nps"})
    rows = list(csv.DictReader(io.StringIO(nps.content.decode())))
    assert sum(int(row["n"]) for row in rows) == 50
    assert admin_client.get("/o/acme/dashboard/", {**params, "table": "nope"}).status_code == 404


def test_the_overview_lists_critical_comments(api, admin_client, two_months, hotel):
    api.post(
        f"/api/v1/surveys/{two_months.pk}/responses",
        {
            "idempotency_key": "urgent",
            "unit": hotel.pk,
            "answers": {"nps": 0},
            "comment": "The balcony rail is loose, it is dangerous.",
            "submitted_at": "2026-01-20T10:00:00+00:00",
        },
    )
    enrich_organisation(two_months.organisation)
    text = admin_client.get(
        "/o/acme/dashboard/", {"survey": two_months.pk, **PERIOD}
    ).content.decode()
    critical = text[text.index('data-testid="critical"') :]
    assert "The balcony rail is loose, it is dangerous." in critical


def test_the_overview_query_count_is_locked(admin_client, two_months, django_assert_num_queries):
    # Session, user, membership, the chosen survey; the state of the responses, read once
    # for every panel (``read_cache.one_state``); headline histograms (2), trends and
    # volume (3), scorecard (domains, units, 2); comments; form choices (each list read
    # once, for its select's "required" check and its options alike); top drivers (the
    # survey's questions, the driver sums with their tail, the domains); and for each of
    # the six reads that are not by unit, whether the unit is the only root (then the
    # organisation-wide rollups answer: ``histograms.widened``); the running service
    # plans (1, none here). Read again, the page is 13 queries (``test_read_cache``).
    with django_assert_num_queries(27):
        admin_client.get("/o/acme/dashboard/", {"survey": two_months.pk, **PERIOD})


def test_the_unit_page_reads_one_subtree(admin_client, two_months, hotel):
    page = admin_client.get(
        f"/o/acme/units/{hotel.pk}/dashboard/", {"survey": two_months.pk, **PERIOD}
    )
    text = page.content.decode()
    # Harbour alone: 20 promoters, 10 detractors of 40 → +25.
    assert 'data-testid="headline-1">+25<' in text
    assert "<h1>Harbour Hotel</h1>" in text.replace("\n  ", "")


def test_a_manager_cannot_open_another_units_page(make_member, organisation, hotel, other_hotel):
    manager = make_member(organisation, "manager", unit=other_hotel)
    client = Client()
    client.force_login(manager.user)
    assert client.get(f"/o/acme/units/{hotel.pk}/dashboard/").status_code == 404
    assert client.get(f"/o/acme/units/{other_hotel.pk}/dashboard/").status_code == 200


def test_the_pdf_report(admin_client, two_months):
    report = admin_client.get("/o/acme/dashboard/report.pdf", {"survey": two_months.pk, **PERIOD})
    assert report.status_code == 200
    assert report["Content-Type"] == "application/pdf"
    assert report.content.startswith(b"%PDF-")
    assert "overview-2026-01-01-2026-01-31.pdf" in report["Content-Disposition"]


def test_the_front_line_view_shows_my_feedback_and_my_units(
    api, make_member, organisation, published_survey, hotel, other_hotel
):
    me = make_member(organisation, "frontline", unit=hotel)
    for key, unit, staff in (
        ("a", hotel, me.user.email),
        ("b", hotel, None),
        ("c", other_hotel, None),
    ):
        payload = {
            "idempotency_key": key,
            "unit": unit.pk,
            "answers": {"nps": 9},
            "comment": key * 3,
        }
        if staff:
            payload["staff"] = staff
        assert (
            api.post(f"/api/v1/surveys/{published_survey.pk}/responses", payload).status_code == 201
        )
    client = Client()
    client.force_login(me.user)
    text = client.get("/o/acme/front-line/").content.decode()
    mine = text[text.index('data-testid="mine"') : text.index('data-testid="newest"')]
    newest = text[text.index('data-testid="newest"') :]
    assert "aaa" in mine
    assert "bbb" not in mine
    assert "aaa" in newest
    assert "bbb" in newest
    assert "ccc" not in newest
    partial = client.get("/o/acme/front-line/", headers={"HX-Request": "true"}).content.decode()
    assert "<h1>" not in partial
    assert "aaa" in partial


def test_the_front_line_query_count_is_locked(
    api, make_member, organisation, published_survey, hotel, django_assert_num_queries
):
    me = make_member(organisation, "frontline", unit=hotel)
    for key in "abc":
        payload = {"idempotency_key": key, "unit": hotel.pk, "answers": {"nps": 9}}
        api.post(
            f"/api/v1/surveys/{published_survey.pk}/responses", {**payload, "staff": me.user.email}
        )
    # Session, user, membership; my responses and my units' newest, each with its answers.
    client = Client()
    client.force_login(me.user)
    with django_assert_num_queries(7):
        client.get("/o/acme/front-line/")


def test_members_land_on_the_overview_or_their_feedback(organisation, make_member, hotel):
    for role, landing in (("admin", "/o/acme/dashboard/"), ("frontline", "/o/acme/front-line/")):
        member = make_member(organisation, role, unit=hotel if role == "frontline" else None)
        client = Client()
        assert client.post("/login/", {"username": member.user.email, "password": PASSWORD})
        assert client.get("/")["Location"] == landing


def test_the_settings_page_changes_the_minimum_sample(admin_client, organisation):
    assert (
        admin_client.post("/o/acme/insights/settings/", {"minimum_sample": "12"}).status_code == 302
    )
    assert Organisation.objects.get(pk=organisation.pk).minimum_sample == 12
    event = AuditEvent.objects.get(action="organisation.minimum_sample")
    assert event.detail == {"previous": 30, "minimum_sample": 12}
    refused = admin_client.post("/o/acme/insights/settings/", {"minimum_sample": "2"})
    assert refused.status_code == 422
    assert "Give a number from 5 to 10000." in refused.content.decode()
    assert Organisation.objects.get(pk=organisation.pk).minimum_sample == 12


def test_a_lower_minimum_tests_the_small_cells(
    api, admin_client, organisation, two_months, other_hotel
):
    admin_client.post("/o/acme/insights/settings/", {"minimum_sample": "10"})
    body = api.get(
        "/api/v1/scorecards", {"survey": two_months.pk, "from": "2026-01-01", "to": "2026-01-31"}
    )
    cells = {(cell["unit"], cell["domain"]): cell for cell in body.json()["cells"]}
    hill = cells[(other_hotel.pk, "frontline_behaviours")]
    assert (hill["is_small"], hill["p_value"]) == (False, 1.0)


def test_the_comparison_of_two_periods(admin_client, two_months):
    page = admin_client.get("/o/acme/compare/", {"survey": two_months.pk, **PERIOD})
    text = page.content.decode()
    nps_row = text[text.index('data-row="nps-nps"') :]
    nps_row = nps_row[: nps_row.index("</tr>")]
    assert "<td>+40</td><td>50</td>" in nps_row
    assert "<td>0</td><td>50</td>" in nps_row
    expected = nps_p_value((30, 10, 50), (20, 20, 50))
    assert f"{expected:.3f}" in nps_row
    rows = list(
        csv.DictReader(
            io.StringIO(
                admin_client.get(
                    "/o/acme/compare/", {"survey": two_months.pk, **PERIOD, "format": "csv"}
                ).content.decode()
            )
        )
    )
    nps = next(row for row in rows if (row["question"], row["metric"]) == ("nps", "nps"))
    assert float(nps["difference"]) == pytest.approx(40.0)
    assert float(nps["p_value"]) == pytest.approx(expected, rel=1e-9)
    food = [row for row in rows if row["question"] == "food_quality"]
    assert all(row["p_value"] == "" for row in food)  # nobody answered: not tested


def test_the_comparison_of_two_units(admin_client, two_months, hotel, other_hotel):
    params = {"survey": two_months.pk, **PERIOD, "unit": hotel.pk, "mode": "units"}
    text = admin_client.get(
        "/o/acme/compare/", {**params, "second_unit": other_hotel.pk}
    ).content.decode()
    row = text[text.index('data-row="staff-csat"') :]
    row = row[: row.index("</tr>")]
    # Harbour 30 of 40 favourable against Hill 5 of 10: Hill is under 30 answers.
    assert "<td>75%</td><td>40</td>" in row
    assert "<td>50%</td><td>10</td>" in row
    assert '<tr class="small-sample" data-row="staff-csat">' in text


def test_the_comparison_query_count_is_locked(admin_client, two_months, django_assert_num_queries):
    # Two of them ask whether the unit is the only root (``histograms.widened``); the
    # filter form reads each list of choices once.
    with django_assert_num_queries(14):
        admin_client.get("/o/acme/compare/", {"survey": two_months.pk, **PERIOD})


def test_the_results_page_marks_a_significant_change(admin_client, two_months):
    text = admin_client.get(f"/o/acme/surveys/{two_months.pk}/results/", PERIOD).content.decode()
    assert "changes against 2025-12-01 – 2025-12-31" in text
    headline = text[text.index('data-testid="kpi-1"') :]
    headline = headline[: headline.index("</section>")]
    assert "sig-up" in headline
    assert "▲ +40.0" in headline


def test_the_overview_names_the_top_drivers_as_the_drivers_page_ranks_them(
    admin_client, two_months, organisation
):
    text = admin_client.get(
        "/o/acme/dashboard/", {"survey": two_months.pk, **PERIOD}
    ).content.decode()
    slot = text[text.index('data-slot="top-drivers"') :]
    slot = slot[: slot.index("</section>")]
    result = analyse_drivers(
        DriverQuery(
            organisation=organisation,
            survey=two_months,
            date_from=date.fromisoformat(PERIOD["date_from"]),
            date_to=date.fromisoformat(PERIOD["date_to"]),
        )
    )
    assert result.rows, "the fixture's ratings explain its NPS"
    ranked = sorted(result.rows, key=lambda row: row.share, reverse=True)[:3]
    shown = [slot.index(f"{round(row.share * 100)}% of what the ratings explain") for row in ranked]
    assert shown == sorted(shown)
    assert f"(n={result.n})" in slot
    assert f"/o/acme/surveys/{two_months.pk}/drivers/?period=custom" in slot


def test_members_land_on_the_customer_survey_not_a_newer_staff_survey(
    admin_client, two_months, organisation
):
    self_assessment = survey_services.create_survey_from_template(
        organisation, template_key="self_assessment"
    )
    survey_services.publish_survey(self_assessment)
    page = admin_client.get("/o/acme/dashboard/", PERIOD)
    assert page.status_code == 200
    assert page.context["filters"].survey == two_months


def test_a_survey_without_an_outcome_says_so_in_the_drivers_slot(admin_client, organisation):
    self_assessment = survey_services.create_survey_from_template(
        organisation, template_key="self_assessment"
    )
    survey_services.publish_survey(self_assessment)
    page = admin_client.get("/o/acme/dashboard/", {"survey": self_assessment.pk, **PERIOD})
    assert page.status_code == 200
    assert page.context["drivers"] == {
        "result": None,
        "rows": [],
        "problem": "The survey has no outcome question.",
    }
