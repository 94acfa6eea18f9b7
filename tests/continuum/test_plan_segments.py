"""Service plan targets per customer segment: actuals, spelling, validation, page, API, PDF.

The seed is a handful of customers of two value tiers (and one without), their answers and
the cases opened from them; every expected figure is computed here from those lists,
independently of the metric engine, the loop's counts and ``plan_actuals``.
"""

from __future__ import annotations

import itertools
import re
import statistics
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from heedback.collect.services import Submission, submit_response
from heedback.continuum.models import ServicePlan, ServiceTarget
from heedback.continuum.plan_digest import service_plan_sections
from heedback.customers import services as customer_services
from heedback.customers.inputs import CustomerInput
from heedback.loop import services as loop_services
from heedback.loop.digest_schedule import DigestPeriod
from heedback.loop.metrics import DETRACTOR_AT_MOST, counts_by
from heedback.loop.models import Case
from heedback.orgs.models import AuditEvent
from tests.continuum.test_plan import make_plan

pytestmark = pytest.mark.django_db

_keys = itertools.count(1)
TIER_OF = {"g1": "gold", "g2": "gold", "g3": "gold", "s1": "silver", "s2": "silver", "n1": ""}
# (customer or None, NPS, staff rating, channel), answered five days ago at the hotel.
ANSWERS = [
    ("g1", 10, 5, "email"),
    ("g1", 9, 4, "web"),
    ("g2", 3, 2, "email"),
    ("g3", 10, 5, "web"),
    ("g2", 7, 3, "email"),
    ("g3", 9, 5, "email"),
    ("s1", 2, 1, "web"),
    ("s2", 8, 4, "email"),
    ("s1", 10, 5, "web"),
    ("n1", 0, 1, "email"),
    (None, 10, 5, "web"),
    (None, 10, 5, "web"),
]
# Cases opened ten days ago: (index of the answer that opened it or None for a case opened
# by hand, hours to first action or None, resolved after hours or None, due after hours).
CASES = [
    (0, 2, 20, 48),
    (2, 10, 60, 48),  # resolved late
    (4, None, None, 24 * 30),  # not acted on, not due: undecided
    (5, 4, 30, 48),
    (3, 7, 47, 48),
    (6, 1, 10, 48),
    (7, 30, None, 48),  # open past its deadline: decided, late
    (10, 5, 5, 48),
    (None, 3, 40, 48),
]
OPENED_HOURS_AGO = 240


def tier_of_case(answer_index):
    if answer_index is None or ANSWERS[answer_index][0] is None:
        return ""
    return TIER_OF[ANSWERS[answer_index][0]]


def expected_nps(tier, channel=""):
    scores = [
        nps
        for customer, nps, _staff, answer_channel in ANSWERS
        if customer is not None
        and TIER_OF[customer] == tier
        and (not channel or answer_channel == channel)
    ]
    promoters = sum(score >= 9 for score in scores)
    detractors = sum(score <= DETRACTOR_AT_MOST for score in scores)
    return 100 * (promoters - detractors) / len(scores), len(scores)


def expected_cases(tier):
    """Return (median hours to first action, acted, share closed in time, decided)."""
    chosen = [case for case in CASES if not tier or tier_of_case(case[0]) == tier]
    hours = [first for _answer, first, _resolved, _due in chosen if first is not None]
    decided = [
        (resolved, due)
        for _answer, _first, resolved, due in chosen
        if resolved is not None or due < OPENED_HOURS_AGO
    ]
    in_time = sum(1 for resolved, due in decided if resolved is not None and resolved <= due)
    return statistics.median(hours), len(hours), 100 * in_time / len(decided), len(decided)


@pytest.fixture
def seeded(organisation, hotel, make_survey):
    now = timezone.now()
    stay = make_survey("hotel_stay", "Stay")
    customers = {
        key: customer_services.upsert_customer(
            organisation,
            CustomerInput(external_id=key, email=f"{key}@example.com", value_tier=tier),
        )[0]
        for key, tier in TIER_OF.items()
    }
    responses = [
        submit_response(
            Submission(
                survey=stay,
                unit=hotel,
                answers={"nps": nps, "staff": staff},
                idempotency_key=f"segment-{next(_keys)}",
                channel=channel,
                submitted_at=now - timedelta(days=5),
                customer=customers[customer] if customer else None,
            )
        )
        for customer, nps, staff, channel in ANSWERS
    ]
    opened = now - timedelta(hours=OPENED_HOURS_AGO)
    for answer, first, resolved, due in CASES:
        case = loop_services.open_case(
            loop_services.CaseOpening(
                organisation=organisation,
                unit=hotel,
                title="Case",
                response=responses[answer].response if answer is not None else None,
            )
        )
        Case.objects.filter(pk=case.pk).update(
            opened_at=opened,
            first_action_at=opened + timedelta(hours=first) if first is not None else None,
            due_at=opened + timedelta(hours=due),
            resolved_at=opened + timedelta(hours=resolved) if resolved is not None else None,
            status="resolved" if resolved is not None else "in_progress",
        )
    return {"stay": stay, "now": now}


def test_scores_per_segment_match_the_answers_of_its_customers(organisation, hotel, seeded, api):
    plan = make_plan(
        organisation,
        seeded["stay"],
        [
            ("nps", 30, hotel, "", "gold"),
            ("nps", 30, hotel, "", "silver"),
            ("nps", 30, hotel, "email", "gold"),
            ("csat", 70, hotel, "", "gold"),
            ("nps", 30, hotel),
        ],
    )
    body = api.get(f"/api/v1/continuum/plans/{plan.pk}").json()
    found = {(t["metric"], t["channel"], t["segment"]): t for t in body["targets"]}
    for tier in ("gold", "silver"):
        value, n = expected_nps(tier)
        assert (found[("nps", "", tier)]["actual"], found[("nps", "", tier)]["n"]) == (
            pytest.approx(value),
            n,
        )
    gold_email, n_email = expected_nps("gold", "email")
    assert found[("nps", "email", "gold")]["actual"] == pytest.approx(gold_email)
    assert found[("nps", "email", "gold")]["n"] == n_email == 4
    gold_staff = [s for c, _n, s, _ch in ANSWERS if c and TIER_OF[c] == "gold"]
    csat = found[("csat", "", "gold")]
    assert csat["actual"] == pytest.approx(100 * sum(s >= 4 for s in gold_staff) / 6)
    assert csat["n"] == len(gold_staff) == 6
    everyone = [nps for _c, nps, _s, _ch in ANSWERS]
    whole = found[("nps", "", "")]
    assert whole["n"] == len(everyone)  # no segment: every answer, with a customer or not
    assert whole["segment_name"] == "All customers"
    assert found[("nps", "", "gold")]["scope_name"] == "Harbour Hotel (gold)"
    assert found[("nps", "email", "gold")]["scope_name"] == "Harbour Hotel (Email invitation, gold)"
    assert found[("nps", "", "gold")]["segment_known"] is True


def test_case_figures_per_segment_count_the_cases_of_its_customers_answers(
    organisation, hotel, seeded, api
):
    plan = make_plan(
        organisation,
        None,
        [
            ("response_hours", 24, hotel, "", "gold"),
            ("closed_in_time", 50, hotel, "", "gold"),
            ("response_hours", 24, hotel, "", "silver"),
            ("closed_in_time", 50, hotel, "", "silver"),
            ("closed_in_time", 50, None, "", "silver"),
            ("closed_in_time", 50, hotel),
            ("response_hours", 24, hotel),
        ],
    )
    body = api.get(f"/api/v1/continuum/plans/{plan.pk}").json()
    found = {(t["metric"], t["unit"], t["segment"]): t for t in body["targets"]}
    for tier in ("gold", "silver", ""):
        median, acted, share, decided = expected_cases(tier)
        hours = found[("response_hours", hotel.pk, tier)]
        closed = found[("closed_in_time", hotel.pk, tier)]
        assert (hours["actual"], hours["n"]) == (pytest.approx(median), acted)
        assert (closed["actual"], closed["n"]) == (pytest.approx(share), decided)
    assert expected_cases("gold") == (5.5, 4, 75.0, 4)  # the seed tells the tiers apart
    assert found[("response_hours", hotel.pk, "gold")]["note"] == ("1 of 5 cases not acted on yet.")
    whole_org = found[("closed_in_time", None, "silver")]
    assert (whole_org["actual"], whole_org["n"]) == (pytest.approx(50.0), 2)


def test_the_loop_counts_a_segment_and_its_callers_without_one_see_every_case(
    organisation, hotel, seeded
):
    today = timezone.localdate()
    start, end = today - timedelta(days=30), today
    now = seeded["now"]
    whole = counts_by(organisation, start, end, now=now, group="unit_id")[hotel.pk]
    gold = counts_by(organisation, start, end, now=now, group="unit_id", segment="gold")[hotel.pk]
    gold_email = counts_by(
        organisation, start, end, now=now, group="unit_id", channel="email", segment="gold"
    )[hotel.pk]
    assert whole.cases == len(CASES)
    assert gold.cases == sum(1 for case in CASES if tier_of_case(case[0]) == "gold") == 5
    assert gold_email.cases == sum(
        1 for case in CASES if tier_of_case(case[0]) == "gold" and ANSWERS[case[0]][3] == "email"
    )

    def detractors(tier):
        return sum(
            1
            for customer, nps, _s, _c in ANSWERS
            if nps <= DETRACTOR_AT_MOST and (not tier or (customer and TIER_OF[customer] == tier))
        )

    assert whole.detractors == detractors("") == 3
    assert gold.detractors == detractors("gold") == 1
    silver = counts_by(organisation, start, end, now=now, group="unit_id", segment="silver")
    assert silver[hotel.pk].detractors == detractors("silver") == 1
    assert counts_by(organisation, start, end, now=now, group="unit_id", segment="bronze") == {}


def test_a_segment_is_stored_in_the_spelling_of_the_tier_in_use(organisation, hotel, seeded):
    plan = make_plan(
        organisation,
        seeded["stay"],
        [("nps", 30, hotel, "", " GOLD "), ("nps", 30, hotel, "", "Platinum  club")],
    )
    assert sorted(plan.targets.values_list("segment", flat=True)) == ["Platinum club", "gold"]


def test_a_segment_no_customer_has_is_kept_and_flagged_everywhere(
    organisation, hotel, seeded, api, admin_client, admin
):
    plan = make_plan(
        organisation,
        seeded["stay"],
        [("nps", 30, hotel, "", "platinum"), ("nps", 30, hotel, "", "gold")],
    )
    body = api.get(f"/api/v1/continuum/plans/{plan.pk}").json()
    platinum, gold = sorted(body["targets"], key=lambda t: t["segment"], reverse=True)
    assert (platinum["segment_known"], platinum["standing"], platinum["n"]) == (
        False,
        "no_data",
        0,
    )
    assert platinum["note"] == "No customer is in the segment “platinum” yet."
    assert (gold["segment_known"], gold["note"]) == (True, "")
    page = admin_client.get(reverse("continuum-plan", args=[organisation.slug, plan.pk]))
    text = page.content.decode()
    assert re.search(
        rf'data-testid="segment-{platinum["id"]}">platinum <span class="badge[^"]*">unknown<', text
    )
    assert f'data-testid="segment-{gold["id"]}">gold</td>' in text
    assert '<datalist id="segment-tiers"><option value="gold"><option value="silver">' in text
    sections = service_plan_sections(
        admin,
        DigestPeriod(timezone.localdate(), timezone.localdate(), "day"),
        now=timezone.now(),
    )
    rows = {row[0]: row for row in sections[0].rows}
    assert "Harbour Hotel (platinum) – No customer is in the segment “platinum” yet." in rows
    assert rows["Harbour Hotel (gold)"][1] == "NPS"
    pdf = admin_client.get(reverse("continuum-plan-pdf", args=[organisation.slug, plan.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf.content)) == 1


def test_the_overview_panel_names_each_targets_segment(organisation, hotel, seeded, admin_client):
    plan = make_plan(organisation, seeded["stay"], [("nps", 30, hotel, "", "gold")])
    (target,) = plan.targets.all()
    overview = admin_client.get(
        reverse("dashboard", args=[organisation.slug]), {"survey": seeded["stay"].pk}
    )
    panel = overview.content.decode().split(f'data-testid="plan-panel-{plan.pk}"')[1]
    assert f'data-testid="plan-segment-{target.pk}">segment gold</span>' in panel
    value, _n = expected_nps("gold")
    assert f'data-testid="plan-actual-{target.pk}">{value:+.0f}<' in panel


def test_the_api_stores_segments_and_refuses_bad_ones_naming_the_field(
    organisation, hotel, seeded, api
):
    audits = AuditEvent.objects.count()

    def post(*segments_and_targets):
        return api.post(
            "/api/v1/continuum/plans",
            {
                "name": "Plan",
                "starts_on": "2027-01-01",
                "ends_on": "2027-12-31",
                "survey": seeded["stay"].pk,
                "targets": [
                    {"unit": hotel.pk, "metric": "nps", "target": target, "segment": segment}
                    for segment, target in segments_and_targets
                ],
            },
        )

    refused = post(("x" * 41, 30), ("gold", 30), ("Gold", 40))
    assert refused.status_code == 422
    assert refused.json()["errors"] == {
        "targets.0.segment": ["Name the segment in at most 40 characters."],
        "targets.2.metric": ["The plan already has this target."],
    }
    assert ServicePlan.objects.count() == 0
    assert ServiceTarget.objects.count() == 0
    assert AuditEvent.objects.count() == audits
    not_text = post((["gold"], 30))
    assert not_text.status_code == 422
    assert not_text.json()["errors"] == {"targets.0.segment": ["Input should be a valid string"]}
    assert ServicePlan.objects.count() == 0
    created = post(("Gold", 30), ("silver", 30), (None, 30))
    assert created.status_code == 201, created.json()
    targets = created.json()["targets"]
    assert [t["segment"] for t in targets] == ["", "gold", "silver"]
    assert [t["segment_known"] for t in targets] == [True, True, True]


def test_editors_add_a_segment_target_on_the_page_and_a_second_is_refused(
    organisation, hotel, seeded, admin_client
):
    plan = make_plan(organisation, seeded["stay"], [])
    add = reverse("continuum-plan-target-add", args=[organisation.slug, plan.pk])
    form = {"metric": "csat", "target": "80", "unit": hotel.pk, "segment": "SILVER"}
    assert admin_client.post(add, form).status_code == 302
    (target,) = plan.targets.all()
    assert (target.segment, target.metric, target.target) == ("silver", "csat", 80)
    again = admin_client.post(add, {**form, "segment": "silver", "target": "70"})
    assert again.status_code == 422
    assert "The plan already has this target." in again.content.decode()
    too_long = admin_client.post(add, {**form, "segment": "y" * 41})
    assert too_long.status_code == 422
    assert list(plan.targets.values_list("segment", "target")) == [("silver", 80.0)]
