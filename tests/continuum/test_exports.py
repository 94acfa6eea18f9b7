"""The placement exported as CSV and PDF: the page's figures, withheld cells withheld."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from heedback.continuum.instrument import Level

from .conftest import answers_at

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_holds_both_placements_reasons_indicators_and_steps(
    organisation, admin_client, api
):
    api.post(
        "/api/v1/continuum/assessments",
        {"respondent": "Lead", "answers": answers_at(Level.FRIENDLY)},
    )
    response = admin_client.get(reverse("continuum-placement-csv", args=[organisation.slug]))
    assert response["Content-Type"] == "text/csv"
    rows = rows_of(response)
    self_rows = {row["factor"]: row for row in rows if row["section"] == "self"}
    assert {key: row["level"] for key, row in self_rows.items()} == {
        "customer_focus": "friendly",
        "measurement": "friendly",
        "environment": "friendly",
    }
    placement = api.get("/api/v1/continuum/placement").json()
    overall = next(r for r in rows if r["section"] == "overall" and r["item"] == "Your data")
    assert overall["detail"] == placement["overall"]["message"]
    reasoning = [row for row in rows if row["section"] == "reasoning"]
    assert {row["level"] for row in reasoning} == {"friendly"}
    api_indicators = {
        indicator["key"]: indicator
        for factor in placement["factors"]
        for indicator in factor["evidence"]["indicators"]
    }
    csv_indicators = [row for row in rows if row["section"] == "indicator"]
    assert len(csv_indicators) == len(api_indicators)
    steps = [row for row in rows if row["section"] == "next_step"]
    assert len(steps) == sum(len(f["next_steps"]["steps"]) for f in placement["factors"])
    targets = {f["factor"]: f["next_steps"]["target"]["key"] for f in placement["factors"]}
    assert {(row["factor"], row["level"]) for row in steps} == set(targets.items())


def test_exports_withhold_a_small_pulse(organisation, hotel, make_survey, respond, admin_client):
    pulse = make_survey("employee_pulse")
    for answer in (10, 2, 9):
        respond(pulse, hotel, {"enps": answer, "training": 5})
    url = reverse("continuum-placement-csv", args=[organisation.slug])
    rows = rows_of(admin_client.get(url, {"unit": hotel.pk}))
    enps = next(
        row for row in rows if row["section"] == "indicator" and row["item"] == "Employee NPS"
    )
    assert enps["value"] == "withheld"
    assert enps["status"] == "withheld"
    assert enps["level"] == ""
    assert "+" not in enps["detail"]
    enablement = next(
        row for row in rows if row["section"] == "indicator" and "equipped" in row["item"]
    )
    assert enablement["value"] == "withheld"
    pdf = admin_client.get(reverse("continuum-placement-pdf", args=[organisation.slug]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf.content)) == 1


def test_a_manager_exports_only_their_own_unit(
    organisation, hotel, other_hotel, make_member, client_of
):
    manager = make_member(organisation, "manager", unit=hotel)
    client = client_of(manager)
    url = reverse("continuum-placement-csv", args=[organisation.slug])
    assert client.get(url).status_code == 200
    assert client.get(url, {"unit": other_hotel.pk}).status_code == 404
