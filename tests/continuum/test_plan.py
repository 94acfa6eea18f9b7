"""The service plan: targets against actuals, standing with intervals, page, API and PDF.

Actuals are computed here from the seeded answers and cases, independently of the metric
engine and of ``plan_actuals``.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from heedback.collect.services import Submission, submit_response
from heedback.continuum import plan_services
from heedback.continuum.models import ServicePlan, ServiceTarget
from heedback.continuum.plan import Actual, PlanMetric, Standing, judge, median_with_interval
from heedback.loop import services as loop_services
from heedback.loop.models import Case

pytestmark = pytest.mark.django_db

_keys = itertools.count(1)
# Hotel customers this period: (NPS, staff rating, channel).
ANSWERS = (
    [(10, 5, "email")] * 8
    + [(9, 4, "web")] * 4
    + [(8, 4, "web")] * 4
    + [(3, 2, "email")] * 2
    + [(5, 1, "web")] * 2
)
# Hotel cases: (hours to first action or None, resolved after hours or None, due after hours).
CASES = [
    (1, 20, 48),
    (2, 30, 48),
    (3, 60, 48),  # resolved late
    (5, 40, 48),
    (8, None, 48),  # open, deadline passed (opened 10 days ago): decided, late
    (13, 47, 48),
    (30, 47, 48),
    (50, 100, 48),  # late
    (None, None, 24 * 30),  # not acted on, not due: undecided
]


def adjusted_wald(answers):
    promoters = sum(a >= 9 for a in answers) + 0.75
    detractors = sum(a <= 6 for a in answers) + 0.75
    n = len(answers) + 3
    p, d = promoters / n, detractors / n
    half = 1.96 * math.sqrt((p + d - (p - d) ** 2) / n) * 100
    centre = (p - d) * 100
    return max(-100, centre - half), min(100, centre + half)


@pytest.fixture
def seeded(organisation, hotel, other_hotel, make_survey):
    now = timezone.now()
    stay = make_survey("hotel_stay", "Stay")
    for nps, staff, channel in ANSWERS:
        submit_response(
            Submission(
                survey=stay,
                unit=hotel,
                answers={"nps": nps, "staff": staff},
                idempotency_key=f"plan-{next(_keys)}",
                channel=channel,
                submitted_at=now - timedelta(days=5),
            )
        )
    for first, resolved, due in CASES:
        case = loop_services.open_case(
            loop_services.CaseOpening(organisation=organisation, unit=hotel, title="Case")
        )
        opened = now - timedelta(days=10)
        Case.objects.filter(pk=case.pk).update(
            opened_at=opened,
            first_action_at=opened + timedelta(hours=first) if first is not None else None,
            due_at=opened + timedelta(hours=due),
            resolved_at=opened + timedelta(hours=resolved) if resolved is not None else None,
            status="resolved" if resolved is not None else "in_progress",
        )
    return {"stay": stay, "now": now}


def period():
    today = timezone.localdate()
    return today - timedelta(days=30), today + timedelta(days=60)


def make_plan(organisation, survey, targets):
    starts, ends = period()
    return plan_services.create_plan(
        plan_services.PlanInput(
            organisation=organisation,
            name="FY plan",
            starts_on=starts,
            ends_on=ends,
            survey=survey,
            targets=[plan_services.TargetInput(*item) for item in targets],
        )
    )


def standing_of(organisation, seeded, target, api) -> str:
    plan = make_plan(organisation, seeded["stay"], [target])
    return api.get(f"/api/v1/continuum/plans/{plan.pk}").json()["targets"][0]["standing"]


# --- pure ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "target", "actual", "expected"),
    [
        (PlanMetric.NPS, 30, Actual(40, 20, 5, 70), Standing.ON_TRACK),
        (PlanMetric.NPS, 60, Actual(40, 20, 5, 70), Standing.AT_RISK),
        (PlanMetric.NPS, 80, Actual(40, 20, 5, 70), Standing.MISSED),
        (PlanMetric.NPS, 80, Actual(40, 2), Standing.AT_RISK),  # no interval: never missed
        (PlanMetric.RESPONSE_HOURS, 24, Actual(6, 8, 2, 30), Standing.ON_TRACK),
        (PlanMetric.RESPONSE_HOURS, 4, Actual(6, 8, 2, 30), Standing.AT_RISK),
        (PlanMetric.RESPONSE_HOURS, 1, Actual(6, 8, 2, 30), Standing.MISSED),
        (PlanMetric.CLOSED_IN_TIME, 90, Actual(None, 0), Standing.NO_DATA),
    ],
)
def test_judge(metric, target, actual, expected):
    assert judge(metric, target, actual) == expected


def test_the_median_interval_is_the_order_statistics():
    values = [float(v) for v in range(1, 21)]  # 1 … 20
    actual = median_with_interval(list(reversed(values)))
    half = 1.96 * math.sqrt(20) / 2
    j, k = math.floor(10 - half), math.ceil(11 + half)
    assert actual.value == 10.5
    # The normal approximation is conservative here: the exact binomial ranks are 6 and 15.
    assert (actual.low, actual.high) == (values[j - 1], values[k - 1]) == (5.0, 16.0)
    assert median_with_interval([3.0, 1.0]).low is None


# --- actuals ---------------------------------------------------------------------------------


def test_actuals_and_standings_against_independent_counts(organisation, hotel, seeded, api):
    plan = make_plan(
        organisation,
        seeded["stay"],
        [
            ("nps", 30, hotel),
            ("nps", 40, hotel, "email"),
            ("csat", 70, hotel),
            ("response_hours", 24, hotel),
            ("closed_in_time", 90, hotel),
        ],
    )
    body = api.get(f"/api/v1/continuum/plans/{plan.pk}").json()
    by_key = {(t["metric"], t["target"], t["channel"]): t for t in body["targets"]}
    nps = [a for a, _s, _c in ANSWERS]
    expected_nps = 100 * (sum(a >= 9 for a in nps) - sum(a <= 6 for a in nps)) / len(nps)
    low, high = adjusted_wald(nps)
    on_track = by_key[("nps", 30, "")]
    assert on_track["actual"] == pytest.approx(expected_nps) == pytest.approx(40)
    assert on_track["ci_low"] == pytest.approx(low, abs=0.01)
    assert on_track["ci_high"] == pytest.approx(high, abs=0.01)
    assert on_track["n"] == 20
    assert on_track["standing"] == "on_track"
    assert high > 60  # 60 is inside the interval: the data cannot call it a miss
    assert standing_of(organisation, seeded, ("nps", 60, hotel), api) == "at_risk"
    assert high < 80
    assert standing_of(organisation, seeded, ("nps", 80, hotel), api) == "missed"
    email = [a for a, _s, c in ANSWERS if c == "email"]
    email_target = by_key[("nps", 40, "email")]
    assert email_target["n"] == len(email) == 10
    assert email_target["actual"] == pytest.approx(100 * (8 - 2) / 10)
    staff = [s for _a, s, _c in ANSWERS]
    csat = by_key[("csat", 70, "")]
    assert csat["actual"] == pytest.approx(100 * sum(s >= 4 for s in staff) / len(staff))
    hours = [first for first, _r, _d in CASES if first is not None]
    response = by_key[("response_hours", 24, "")]
    assert response["actual"] == pytest.approx(statistics.median(hours))
    assert response["n"] == len(hours) == 8
    assert response["note"] == "1 of 9 cases not acted on yet."
    assert response["standing"] == "on_track"
    decided = [(r, d) for _f, r, d in CASES if r is not None or d < 240]
    in_time = sum(1 for r, d in decided if r is not None and r <= d)
    closed = by_key[("closed_in_time", 90, "")]
    assert closed["n"] == len(decided) == 8
    assert closed["actual"] == pytest.approx(100 * in_time / len(decided)) == 62.5
    assert closed["standing"] == "missed"  # Wilson's upper bound for 5 of 8 is below 90%
    assert body["summary"] == {"on_track": 4, "at_risk": 0, "missed": 1, "no_data": 0}


def test_case_actuals_are_read_once_per_channel_whatever_the_number_of_units(
    organisation, root_unit, hotel, other_hotel, seeded
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from heedback.continuum.plan_report import plan_report

    def queries_of(units):
        plan = make_plan(organisation, None, [("response_hours", 24, unit) for unit in units])
        plan = ServicePlan.objects.get(pk=plan.pk)
        with CaptureQueriesContext(connection) as captured:
            report = plan_report(plan)
        return len(captured), [line.actual.n for line in report.lines]

    one, one_n = queries_of([hotel])
    ServicePlan.objects.all().delete()
    three, three_n = queries_of([hotel, other_hotel, root_unit])
    assert one == three
    acted = sum(1 for first, _r, _d in CASES if first is not None)
    assert one_n == [acted]
    # Whole organisation first, then the hotels in tree order: the other hotel has no cases.
    assert three_n == [acted, acted, 0]


def test_case_targets_of_a_channel_count_the_cases_of_its_responses(
    organisation, hotel, seeded, api
):
    from heedback.collect.models import Response

    now = seeded["now"]
    responses = {
        channel: list(Response.objects.filter(channel=channel).order_by("pk")[:2])
        for channel in ("email", "web")
    }
    for channel, resolved in (("email", 10), ("email", 60), ("web", 10)):
        response = responses[channel].pop()
        case = loop_services.open_case(
            loop_services.CaseOpening(
                organisation=organisation, unit=hotel, title="From feedback", response=response
            )
        )
        opened = now - timedelta(days=4)
        Case.objects.filter(pk=case.pk).update(
            opened_at=opened,
            first_action_at=opened + timedelta(hours=resolved / 2),
            due_at=opened + timedelta(hours=48),
            resolved_at=opened + timedelta(hours=resolved),
            status="resolved",
        )
    plan = make_plan(
        organisation,
        seeded["stay"],
        [
            ("closed_in_time", 90, hotel, "email"),
            ("response_hours", 24, hotel, "email"),
            ("closed_in_time", 90, hotel, "web"),
            ("closed_in_time", 90, hotel),
        ],
    )
    body = api.get(f"/api/v1/continuum/plans/{plan.pk}").json()
    found = {(t["metric"], t["channel"]): (t["actual"], t["n"]) for t in body["targets"]}
    assert found[("closed_in_time", "email")] == (50.0, 2)
    assert found[("response_hours", "email")] == (17.5, 2)  # median of 5 and 30 hours
    assert found[("closed_in_time", "web")] == (100.0, 1)
    # Every channel: the 8 decided cases of the seed (5 in time) and these 3 (2 in time).
    assert found[("closed_in_time", "")] == (100 * 7 / 11, 11)


def test_a_plan_for_another_unit_has_no_data(organisation, other_hotel, seeded, api):
    plan = make_plan(organisation, seeded["stay"], [("nps", 10, other_hotel)])
    (target,) = api.get(f"/api/v1/continuum/plans/{plan.pk}").json()["targets"]
    assert target["standing"] == "no_data"
    assert target["n"] == 0


# --- API -------------------------------------------------------------------------------------


def test_the_api_creates_a_plan_and_lists_it(organisation, hotel, seeded, api):
    starts, ends = period()
    response = api.post(
        "/api/v1/continuum/plans",
        {
            "name": "  Service plan 2027 ",
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            "survey": seeded["stay"].pk,
            "targets": [
                {"unit": hotel.pk, "metric": "nps", "target": 30},
                {"metric": "closed_in_time", "target": 50},
            ],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Service plan 2027"
    assert [t["standing"] for t in body["targets"]] == ["on_track", "on_track"]
    assert body["targets"][0]["unit_name"] == "Whole organisation"  # first, then by unit
    listed = api.get("/api/v1/continuum/plans").json()
    assert listed == [
        {
            "id": body["id"],
            "name": "Service plan 2027",
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            "survey": seeded["stay"].pk,
        }
    ]


def test_bad_plans_name_every_field_and_store_nothing(
    organisation, hotel, other_organisation, make_survey, api
):
    pulse = make_survey("employee_pulse", "Pulse")
    response = api.post(
        "/api/v1/continuum/plans",
        {
            "name": "",
            "starts_on": "2027-02-01",
            "ends_on": "2027-01-01",
            "survey": pulse.pk,
            "targets": [
                {"metric": "nps", "target": 130},
                {"metric": "speed", "target": 1},
                {"metric": "csat", "target": 50, "channel": "pigeon"},
            ],
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {
        "name",
        "ends_on",
        "survey",
        "targets.0.target",
        "targets.0.metric",
        "targets.1.metric",
        "targets.2.channel",
        "targets.2.metric",
    }
    assert errors["targets.0.target"] == ["Choose a target from -100 to 100."]
    assert ServicePlan.objects.count() == 0
    assert ServiceTarget.objects.count() == 0
    foreign = api.post(
        "/api/v1/continuum/plans",
        {
            "name": "P",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "targets": [{"unit": 999999, "metric": "response_hours", "target": 4}],
        },
    )
    assert foreign.json()["errors"] == {"targets.0.unit": ["not found"]}


def test_duplicate_targets_are_refused(organisation, hotel, seeded):
    with pytest.raises(plan_services.InvalidInput) as raised:
        make_plan(organisation, seeded["stay"], [("nps", 30, hotel), ("nps", 40, hotel)])
    assert raised.value.errors == {"targets.1.metric": ["The plan already has this target."]}


# --- pages and PDF ---------------------------------------------------------------------------


def test_the_plan_page_shows_standings_and_locks_its_queries(
    organisation, hotel, seeded, admin_client, django_assert_num_queries
):
    plan = make_plan(
        organisation,
        seeded["stay"],
        [("nps", 80, hotel), ("response_hours", 24, hotel), ("closed_in_time", 90, hotel)],
    )
    url = reverse("continuum-plan", args=[organisation.slug, plan.pk])
    # Log-in (3), the plan (1), its targets (1), the NPS read (2), the cases of the one
    # channel both case targets share (the loop's counts, 4, and the waits, 1), the target
    # form's units (1) and the segments it offers (1).
    with django_assert_num_queries(16):
        page = admin_client.get(url)
    text = page.content.decode()
    targets = {t.metric: t.pk for t in plan.targets.all()}
    assert f'data-testid="standing-{targets["nps"]}"><span class="badge standing-missed">' in text
    assert f'data-testid="actual-{targets["response_hours"]}">6.5 h</td>' in text
    assert 'data-testid="missed">2<' in text


def test_editors_add_and_remove_targets_on_the_page(organisation, hotel, seeded, admin_client):
    plan = make_plan(organisation, seeded["stay"], [])
    add = reverse("continuum-plan-target-add", args=[organisation.slug, plan.pk])
    bad = admin_client.post(add, {"metric": "nps", "target": "500", "unit": hotel.pk})
    assert bad.status_code == 422
    assert "Choose a target from -100 to 100." in bad.content.decode()
    assert plan.targets.count() == 0
    good = admin_client.post(add, {"metric": "nps", "target": "30", "unit": hotel.pk})
    assert good.status_code == 302
    (target,) = plan.targets.all()
    assert (target.unit, target.metric, target.target, target.channel) == (hotel, "nps", 30, "")
    remove = reverse("continuum-plan-target-remove", args=[organisation.slug, target.pk])
    assert admin_client.post(remove).status_code == 302
    assert plan.targets.count() == 0


def test_a_manager_sees_only_their_units_targets(
    organisation, hotel, other_hotel, seeded, make_member, client_of
):
    plan = make_plan(organisation, seeded["stay"], [("nps", 30, hotel), ("nps", 30, other_hotel)])
    manager = make_member(organisation, "manager", unit=other_hotel)
    text = client_of(manager).get(reverse("continuum-plan", args=[organisation.slug, plan.pk]))
    text = text.content.decode()
    assert "Hill Hotel" in text
    assert "Harbour Hotel" not in text
    assert "Add a target" not in text


@pytest.fixture
def running_plan(organisation, hotel, other_hotel, seeded):
    """A running plan: the hotel misses its NPS and meets its response time; no data next door."""
    return make_plan(
        organisation,
        seeded["stay"],
        [("nps", 80, hotel), ("response_hours", 24, hotel), ("nps", 10, other_hotel)],
    )


def test_the_overview_and_unit_pages_show_the_running_plan_against_its_actuals(
    organisation, hotel, other_hotel, seeded, running_plan, admin_client, make_member, client_of
):
    plan = running_plan
    targets = {(t.metric, t.unit_id): t.pk for t in plan.targets.all()}
    survey = {"survey": seeded["stay"].pk}
    overview = admin_client.get(reverse("dashboard", args=[organisation.slug]), survey)
    text = overview.content.decode()
    panel = text.split(f'data-testid="plan-panel-{plan.pk}"')[1].split("</section>")[0]
    assert "Service plan: FY plan" in panel
    assert "1 on track, 0 at risk, 1 missed" in panel  # NPS +40 of 80; no data at the other
    assert f'data-testid="plan-actual-{targets[("nps", hotel.pk)]}">+40<' in panel
    assert f'data-testid="plan-actual-{targets[("response_hours", hotel.pk)]}">6.5 h<' in panel
    no_data = f'data-testid="plan-standing-{targets[("nps", other_hotel.pk)]}">'
    assert f'{no_data}<span class="badge standing-no_data">No data yet<' in panel
    unit_page = admin_client.get(
        reverse("unit-dashboard", args=[organisation.slug, other_hotel.pk]), survey
    ).content.decode()
    assert f'data-target="{targets[("nps", other_hotel.pk)]}"' in unit_page
    assert f'data-target="{targets[("nps", hotel.pk)]}"' not in unit_page
    manager = make_member(organisation, "manager", unit=other_hotel)
    theirs = client_of(manager).get(reverse("dashboard", args=[organisation.slug]), survey)
    theirs = theirs.content.decode()
    assert f'data-target="{targets[("nps", other_hotel.pk)]}"' in theirs
    assert f'data-target="{targets[("response_hours", hotel.pk)]}"' not in theirs
    ServicePlan.objects.filter(pk=plan.pk).update(ends_on=timezone.localdate() - timedelta(days=1))
    ended = admin_client.get(reverse("dashboard", args=[organisation.slug]), survey)
    assert "plan-panel-" not in ended.content.decode()


def test_the_digest_shows_each_reader_the_running_plan_in_their_view(
    organisation, hotel, running_plan, admin, make_member, smtp_server
):
    from heedback.loop.models import DigestSubscription
    from heedback.loop.services import send_due_digests
    from heedback.notify.services import deliver_due

    plan = running_plan
    manager = make_member(organisation, "manager", unit=hotel)
    now = timezone.now()
    send_due_digests(now=now)  # everyone gets a subscription
    DigestSubscription.objects.filter(membership__in=[admin, manager]).update(
        frequency="daily", next_digest_at=now
    )
    assert send_due_digests(now=now) == 2  # both have cases or comments to read about
    assert deliver_due() == 2
    received = {message["To"]: message for message in smtp_server.messages}
    low, high = adjusted_wald([a for a, _s, _c in ANSWERS])
    nps_line = f"- Harbour Hotel · NPS · +80 · +40 [+{low:.0f} – +{high:.0f}] · Missed"
    hours = sorted(first for first, _r, _d in CASES if first is not None)
    half = 1.96 * math.sqrt(len(hours)) / 2
    j = max(1, math.floor(len(hours) / 2 - half))
    k = min(len(hours), math.ceil(1 + len(hours) / 2 + half))
    interval = f"{hours[j - 1]:.1f} h – {hours[k - 1]:.1f} h"
    hours_line = (
        "- Harbour Hotel · Response time (hours to first action on a case) · 24.0 h · "
        f"{statistics.median(hours):.1f} h [{interval}] · On track"
    )
    text = received[admin.user.email].get_body(("plain",)).get_content()
    title = f"Service plan: FY plan (figures up to {timezone.localdate().isoformat()})"
    assert title in text
    assert nps_line in text
    assert hours_line in text
    assert "- Hill Hotel · NPS · +10 · – · No data yet" in text
    assert "1 on track, 0 at risk, 1 missed." in text
    assert f"/o/acme/continuum/plans/{plan.pk}/" in text
    html = received[admin.user.email].get_body(("html",)).get_content()
    assert f"<td>6.5 h [{interval}]</td><td>On track</td>" in html
    theirs = received[manager.user.email].get_body(("plain",)).get_content()
    assert nps_line in theirs
    assert "Hill Hotel" not in theirs
    assert "1 on track, 0 at risk, 1 missed." in theirs


def test_the_plan_pdf_is_one_page(organisation, root_unit, seeded, admin_client):
    from heedback.orgs import services as org_services

    units = [
        org_services.create_unit(
            organisation, name=f"Location with a long name {n}", parent=root_unit
        )
        for n in range(15)
    ]
    targets = [(metric, 30, unit) for unit in units for metric in ("nps", "response_hours")]
    plan = make_plan(organisation, seeded["stay"], targets)
    assert plan.targets.count() == plan_services.MAX_TARGETS
    response = admin_client.get(reverse("continuum-plan-pdf", args=[organisation.slug, plan.pk]))
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", content)) == 1
