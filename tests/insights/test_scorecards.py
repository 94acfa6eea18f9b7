"""Domain scorecards through HTTP: the heatmap page, its table and CSV, and the API."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from tests.insights.conftest import PERIOD

pytestmark = pytest.mark.django_db

API_PERIOD = {"from": "2026-01-01", "to": "2026-01-31"}


def expected_p_values(method: str) -> dict[tuple[str, str], tuple[float, float]]:
    """Work out every tested cell independently: statsmodels' z test, then its correction."""
    tested = {
        ("root", "frontline_behaviours"): ([35, 20], [50, 50]),  # Harbour + Hill
        ("root", "environment"): ([40, 40], [40, 40]),
        ("harbour", "frontline_behaviours"): ([30, 15], [40, 40]),
        ("harbour", "environment"): ([40, 40], [40, 40]),
    }
    raw = {}
    for key, (count, nobs) in tested.items():
        if count[0] + count[1] == nobs[0] + nobs[1]:
            raw[key] = 1.0  # all favourable on both sides: no difference, no spread
        else:
            raw[key] = proportions_ztest(count, nobs)[1]
    adjusted = multipletests(list(raw.values()), method=method)[1]
    return {key: (raw[key], adj) for key, adj in zip(raw, adjusted, strict=True)}


def test_the_api_returns_every_cell_with_exact_figures(
    api, two_months, root_unit, hotel, other_hotel
):
    body = api.get("/api/v1/scorecards", {"survey": two_months.pk, **API_PERIOD}).json()
    assert (body["previous_from"], body["previous_to"]) == ("2025-12-01", "2025-12-31")
    assert [domain["key"] for domain in body["domains"]] == [
        "quality",
        "environment",
        "frontline_behaviours",
    ]
    assert [(unit["id"], unit["is_top"]) for unit in body["units"]] == [
        (root_unit.pk, True),
        (hotel.pk, False),
        (other_hotel.pk, False),
    ]
    cells = {(cell["unit"], cell["domain"]): cell for cell in body["cells"]}
    expected = expected_p_values("fdr_bh")
    ids = {"root": root_unit.pk, "harbour": hotel.pk}
    root = cells[(root_unit.pk, "frontline_behaviours")]
    assert (root["score"], root["n"], root["previous_score"], root["previous_n"]) == (
        70.0,
        50,
        40.0,
        50,
    )
    assert root["change"] == pytest.approx(30.0)
    for (unit, domain), (raw, adjusted) in expected.items():
        cell = cells[(ids[unit], domain)]
        assert cell["p_value"] == pytest.approx(raw, rel=1e-9), (unit, domain)
        assert cell["adjusted_p_value"] == pytest.approx(adjusted, rel=1e-9), (unit, domain)
        assert cell["is_significant"] is bool(adjusted < 0.05)
    assert cells[(hotel.pk, "frontline_behaviours")]["is_significant"] is True
    assert cells[(hotel.pk, "environment")]["is_significant"] is False
    hill = cells[(other_hotel.pk, "frontline_behaviours")]
    assert (hill["score"], hill["n"], hill["is_small"]) == (50.0, 10, True)
    assert (hill["p_value"], hill["is_significant"]) == (None, False)
    quality = cells[(root_unit.pk, "quality")]
    assert (quality["score"], quality["n"], quality["p_value"]) == (None, 0, None)


def test_holm_is_applied_on_request(api, two_months, hotel):
    body = api.get(
        "/api/v1/scorecards", {"survey": two_months.pk, **API_PERIOD, "correction": "holm"}
    ).json()
    cells = {(cell["unit"], cell["domain"]): cell for cell in body["cells"]}
    _raw, adjusted = expected_p_values("holm")[("harbour", "frontline_behaviours")]
    assert cells[(hotel.pk, "frontline_behaviours")]["adjusted_p_value"] == pytest.approx(
        adjusted, rel=1e-9
    )


def test_the_api_rows_follow_the_unit_asked_for(api, two_months, hotel):
    body = api.get("/api/v1/scorecards", {"survey": two_months.pk, **API_PERIOD, "unit": hotel.pk})
    assert [unit["id"] for unit in body.json()["units"]] == [hotel.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"correction": "bonferroni"}, "correction"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"unit": 999999}, "unit"),
    ],
)
def test_the_api_names_the_bad_field(api, two_months, params, field):
    answer = api.get("/api/v1/scorecards", {"survey": two_months.pk, **params})
    assert answer.status_code == 422
    assert field in answer.json()["errors"]


def test_the_heatmap_page_shows_the_cells_and_marks(admin_client, two_months, hotel, other_hotel):
    page = admin_client.get("/o/acme/scorecards/", {"survey": two_months.pk, **PERIOD})
    assert page.status_code == 200
    text = page.content.decode()
    assert '<svg class="heatmap"' in text
    # Harbour's front-line cell: 75%, up and significant, 5 points above the whole (70%).
    harbour = f'data-unit="{hotel.pk}" data-domain="frontline_behaviours"'
    cell = text[text.index(harbour) : text.index("</g>", text.index(harbour))]
    assert "75% ▲" in cell
    assert 'class="heat-p1"' in cell
    assert "p = &lt; 0.001" in cell or "p = 0.00" in cell
    hill = f'data-unit="{other_hotel.pk}" data-domain="frontline_behaviours"'
    cell = text[text.index(hill) : text.index("</g>", text.index(hill))]
    assert 'class="heat-small"' in cell
    assert "▲" not in cell
    assert "▼" not in cell
    assert "not tested: fewer than 30 answers" in cell
    assert f'data-cell="{hotel.pk}-frontline_behaviours"' in text  # the table alternative


def test_the_csv_carries_the_table(admin_client, two_months):
    page = admin_client.get(
        "/o/acme/scorecards/", {"survey": two_months.pk, **PERIOD, "format": "csv"}
    )
    assert page["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(page.content.decode())))
    assert len(rows) == 3 * 3
    harbour = next(
        row
        for row in rows
        if row["unit"] == "Harbour Hotel" and row["domain"] == "Front-line service behaviours"
    )
    assert (harbour["score"], harbour["n"], harbour["previous_score"]) == ("75.0", "40", "37.5")
    assert (harbour["significant"], harbour["small_sample"]) == ("True", "False")


def test_a_manager_sees_their_own_subtree_only(make_member, organisation, two_months, other_hotel):
    manager = make_member(organisation, "manager", unit=other_hotel)
    client = Client()
    client.force_login(manager.user)
    text = client.get("/o/acme/scorecards/", {"survey": two_months.pk, **PERIOD}).content.decode()
    assert "Hill Hotel" in text
    assert "Harbour Hotel" not in text


def test_the_scorecard_query_count_is_locked(admin_client, two_months, django_assert_num_queries):
    # Session, user, membership; the chosen survey and unit (form); domains, the subtree's
    # units, two histogram reads (watermark and one UNION ALL each); the form's choices
    # (the survey list is read once, for the select's "required" check and its options).
    with django_assert_num_queries(13):
        admin_client.get("/o/acme/scorecards/", {"survey": two_months.pk, **PERIOD})
