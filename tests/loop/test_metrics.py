"""Loop metrics against figures worked out case by case in the test, per unit and per owner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from heedback.collect.models import Response
from heedback.loop import services
from heedback.loop.choices import CaseSource, EventKind
from heedback.loop.metrics import FIGURES_BY_KEY, MetricsQuery, loop_metrics
from heedback.loop.models import Case, CaseEvent
from heedback.loop.services import Actor, CaseOpening, FollowUp, Resolution

pytestmark = pytest.mark.django_db
MONDAY = datetime(2025, 1, 6, 9, tzinfo=UTC)
NOW = datetime(2025, 1, 20, 12, tzinfo=UTC)
WEEK = (date(2025, 1, 6), date(2025, 1, 12))


def feedback(submit, nps: int, at: datetime, **extra) -> Response:
    response = submit(nps=nps, submitted_at=at, **extra)
    Response.objects.filter(pk=response.pk).update(received_at=at)
    response.refresh_from_db()
    return response


def case_for(response: Response, at: datetime, due_hours: int = 48) -> Case:
    return services.open_case(
        CaseOpening(
            organisation=response.organisation,
            unit=response.unit,
            title=f"Case of {response.pk}",
            response=response,
            source=CaseSource.STAFF,
            due_hours=due_hours,
        ),
        now=at,
    )


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


@pytest.fixture
def story(submit, manager, clerk, other_hotel, make_member, organisation):
    """A week of feedback at two hotels, with cases acted on fast, late, or not at all."""
    hill_manager = make_member(organisation, "manager", unit=other_hotel)
    by_clerk, by_manager = Actor(clerk), Actor(manager)
    # 1. Served by the clerk: seen after 1 h, reached after 2 h, resolved after 30 h.
    first = feedback(submit, 2, MONDAY, served_by=clerk.user)
    one = case_for(first, MONDAY + hours(0.5))
    services.mark_seen(one, clerk, now=MONDAY + hours(1))
    services.add_event(
        one, FollowUp(kind="call", reached=True), actor=by_clerk, now=MONDAY + hours(2)
    )
    services.resolve_case(
        one, Resolution("fixed", "waiting_time"), actor=by_clerk, now=MONDAY + hours(30)
    )
    services.record_resurvey_answer(one, is_solved=True, now=MONDAY + hours(50))
    # 2. The manager's: a call that did not reach, a reply after 5 h, closed late (60 h).
    second = feedback(submit, 4, MONDAY + hours(24))
    two = case_for(second, MONDAY + hours(24))
    services.add_event(
        two, FollowUp(kind="call", reached=False), actor=by_manager, now=MONDAY + hours(26)
    )
    services.add_event(
        two, FollowUp(kind="reply", body="Sorry"), actor=by_manager, now=MONDAY + hours(29)
    )
    services.mark_seen(two, manager, now=MONDAY + hours(27))
    services.resolve_case(
        two, Resolution("apologised", "waiting_time"), actor=by_manager, now=MONDAY + hours(84)
    )
    services.record_resurvey_answer(two, is_solved=False, now=MONDAY + hours(90))
    # 3. Open, untouched, past its deadline.
    third = feedback(submit, 0, MONDAY + hours(48))
    case_for(third, MONDAY + hours(49))
    # 4. At the other hotel: open, not yet due at NOW (due in 400 h).
    fourth = feedback(submit, 6, MONDAY + hours(72), unit=other_hotel)
    four = case_for(fourth, MONDAY + hours(72), due_hours=400)
    services.mark_seen(four, hill_manager, now=MONDAY + hours(80))
    # 5. A detractor nobody opened a case for, a passive and a promoter.
    feedback(submit, 5, MONDAY + hours(100))
    feedback(submit, 8, MONDAY + hours(100))
    feedback(submit, 10, MONDAY + hours(100), unit=other_hotel)
    # 6. A case opened by staff without feedback, closed on time with a root cause.
    six = services.open_case(
        CaseOpening(organisation=organisation, unit=other_hotel, title="Broken lift", due_hours=24),
        now=MONDAY + hours(10),
    )
    services.resolve_case(
        six, Resolution("fixed", "facilities"), actor=Actor(hill_manager), now=MONDAY + hours(20)
    )
    # Outside the week: neither the case nor the detractor counts.
    late = feedback(submit, 1, datetime(2025, 1, 14, 9, tzinfo=UTC))
    case_for(late, datetime(2025, 1, 14, 10, tzinfo=UTC))
    return {"hill_manager": hill_manager}


def expected_counts(cases: list[Case], detractors: list[Response]) -> dict[str, float | None]:
    """Work the figures out one case at a time, the obvious way."""

    def mean_hours(pairs):
        pairs = [(later, earlier) for later, earlier in pairs if later is not None]
        if not pairs:
            return None
        return (
            sum((later - earlier).total_seconds() for later, earlier in pairs) / len(pairs) / 3600
        )

    def share(part, whole):
        return 100 * len(part) / len(whole) if whole else None

    done = [case for case in cases if (case.resolved_at or case.closed_at)]
    decided = [case for case in cases if case in done or case.due_at < NOW]
    within = [case for case in done if (case.resolved_at or case.closed_at) <= case.due_at]
    with_feedback = [case for case in cases if case.response_id]
    followed = [
        response
        for response in detractors
        if CaseEvent.objects.filter(case__response=response, kind="reply").exists()
        or CaseEvent.objects.filter(case__response=response, kind="call", reached=True).exists()
    ]
    answers = list(CaseEvent.objects.filter(case__in=cases, kind=EventKind.RESURVEY))
    return {
        "cases": len(cases),
        "first_action_hours": mean_hours((case.first_action_at, case.opened_at) for case in cases),
        "resolution_hours": mean_hours(
            ((case.resolved_at or case.closed_at), case.opened_at) for case in cases
        ),
        "within_deadline_share": share(within, decided),
        "detractors_followed_share": share(followed, detractors),
        "resurvey_solved_share": share([a for a in answers if a.solved], answers),
        "front_line_hours": mean_hours(
            (
                case.first_seen_at,
                case.response.received_at if case.response_id else case.opened_at,
            )
            for case in cases
        ),
        "acted_on_share": share(
            [case for case in with_feedback if case.first_action_at], with_feedback
        ),
    }


def in_week(cases) -> list[Case]:
    start = datetime(2025, 1, 6, tzinfo=UTC)
    return [case for case in cases if start <= case.opened_at < start + timedelta(days=7)]


def week_detractors(responses) -> list[Response]:
    return [
        response
        for response in responses
        if WEEK[0] <= response.local_date <= WEEK[1]
        and response.answers.get(question_key="nps").number <= 6
    ]


def figures(counts) -> dict[str, float | None]:
    return {key: figure.value(counts) for key, figure in FIGURES_BY_KEY.items()}


def approx(values: dict) -> dict:
    return {key: None if value is None else pytest.approx(value) for key, value in values.items()}


def test_the_week_in_total_matches_the_figures_worked_out_case_by_case(story, organisation):
    result = loop_metrics(MetricsQuery(organisation, *WEEK), now=NOW)
    cases = in_week(Case.objects.select_related("response"))
    detractors = week_detractors(Response.objects.all())
    assert (len(cases), len(detractors)) == (5, 5)
    assert figures(result.total) == approx(expected_counts(cases, detractors))
    # Spelled out, so that a mistake shared by both computations still shows.
    assert figures(result.total) == approx(
        {
            "cases": 5,
            "first_action_hours": (1.5 + 2 + 10) / 3,
            "resolution_hours": (29.5 + 10) / 2,  # the second was reopened by its re-survey
            "within_deadline_share": 100 * 2 / 4,
            "detractors_followed_share": 100 * 2 / 5,
            "resurvey_solved_share": 50.0,
            "front_line_hours": (1 + 3 + 8) / 3,
            "acted_on_share": 100 * 2 / 4,
        }
    )
    assert [(cause.key, cause.count) for cause in result.root_causes] == [
        ("waiting_time", 2),
        ("facilities", 1),
    ]


def test_per_unit_rows_sum_each_childs_subtree(story, organisation, region, other_hotel):
    result = loop_metrics(MetricsQuery(organisation, *WEEK, group_by="unit"), now=NOW)
    rows = {row.label: row for row in result.rows}
    assert list(rows) == ["North", "Hill Hotel"]
    north = in_week(Case.objects.filter(unit__path__startswith=region.path))
    north_detractors = week_detractors(Response.objects.filter(unit__path__startswith=region.path))
    assert figures(rows["North"].counts) == approx(expected_counts(north, north_detractors))
    hill = in_week(Case.objects.filter(unit=other_hotel))
    hill_detractors = week_detractors(Response.objects.filter(unit=other_hotel))
    assert figures(rows["Hill Hotel"].counts) == approx(expected_counts(hill, hill_detractors))
    assert rows["Hill Hotel"].counts.cases == 2
    # A scope narrows everything, the root causes too.
    narrowed = loop_metrics(MetricsQuery(organisation, *WEEK, unit=other_hotel), now=NOW)
    assert [row.label for row in narrowed.rows] == ["Hill Hotel"]
    assert narrowed.total.cases == 2
    assert [(cause.key, cause.count) for cause in narrowed.root_causes] == [("facilities", 1)]


def test_per_owner_rows_count_each_persons_cases_and_detractors(
    story, organisation, clerk, manager
):
    result = loop_metrics(MetricsQuery(organisation, *WEEK, group_by="owner"), now=NOW)
    rows = {row.key: row for row in result.rows}
    hill_manager = story["hill_manager"]
    assert set(rows) == {
        f"owner:{clerk.pk}",
        f"owner:{manager.pk}",
        f"owner:{hill_manager.pk}",
        "owner:none",
    }
    for member in (clerk, manager, hill_manager):
        cases = in_week(Case.objects.filter(owner=member).select_related("response"))
        detractors = [
            response
            for response in week_detractors(Response.objects.all())
            if Case.objects.filter(response=response, owner=member).exists()
        ]
        assert figures(rows[f"owner:{member.pk}"].counts) == approx(
            expected_counts(cases, detractors)
        )
    # The detractor without a case belongs to nobody.
    assert (rows["owner:none"].counts.detractors, rows["owner:none"].counts.cases) == (1, 0)


def test_a_repeated_resurvey_answer_is_counted_once_and_no_reopens(story, organisation):
    case = Case.objects.get(events__kind=EventKind.RESURVEY, events__solved=True)
    answer = Response.objects.filter(organisation=organisation).first()
    services.record_resurvey_answer(case, is_solved=False, response=answer, now=NOW)
    services.record_resurvey_answer(case, is_solved=False, response=answer, now=NOW)
    case.refresh_from_db()
    assert case.status == "reopened"
    assert case.events.filter(kind=EventKind.RESURVEY).count() == 2


# --- the dashboard and the API -----------------------------------------------------------


def test_the_api_returns_the_figures_per_unit_and_names_bad_fields(story, api, other_hotel):
    body = api.get(
        "/api/v1/cases/metrics", {"from": "2025-01-06", "to": "2025-01-12", "group_by": "unit"}
    ).json()
    assert (body["from"], body["to"], body["unit"], body["group_by"]) == (
        "2025-01-06",
        "2025-01-12",
        None,
        "unit",
    )
    assert body["total"]["cases"] == 5
    # Seen from today, the fourth case is past its deadline too.
    assert body["total"]["within_deadline_share"] == 40.0
    assert body["total"]["detractors_followed_share"] == 40.0
    hill = next(row for row in body["rows"] if row["label"] == "Hill Hotel")
    assert (hill["unit"], hill["figures"]["cases"], hill["figures"]["resolution_hours"]) == (
        other_hotel.pk,
        2,
        10.0,
    )
    assert body["root_causes"] == [
        {"key": "waiting_time", "label": "Waiting time", "count": 2},
        {"key": "facilities", "label": "Facilities or equipment", "count": 1},
    ]
    by_owner = api.get(
        "/api/v1/cases/metrics", {"from": "2025-01-06", "to": "2025-01-12", "group_by": "owner"}
    ).json()
    assert by_owner["rows"][-1]["key"] == "owner:none"
    refused = api.get("/api/v1/cases/metrics", {"from": "2025-02-01", "to": "2025-01-01"})
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["from"]
    unknown = api.get("/api/v1/cases/metrics", {"unit": 999999})
    assert unknown.status_code == 422
    assert list(unknown.json()["errors"]) == ["unit"]
    assert api.get("/api/v1/cases/metrics", {"group_by": "week"}).status_code == 422


def test_the_dashboard_shows_figures_charts_and_a_table_in_a_fixed_number_of_queries(
    story, admin_client, django_assert_num_queries
):
    url = "/o/acme/cases/metrics/"
    week = {"date_from": "2025-01-06", "date_to": "2025-01-12"}
    admin_client.get(url, week)  # warm the session and the organisation
    with django_assert_num_queries(10):
        page = admin_client.get(url, week)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="figure-within_deadline_share">40%<' in body
    assert 'data-testid="figure-detractors_followed_share">40%<' in body
    assert body.count('<svg class="trend"') == 3
    assert '<svg class="bars"' in body
    assert '<tr data-row="unit:' in body
    with django_assert_num_queries(11):  # and the owners' names
        admin_client.get(url, {**week, "group_by": "owner"})


def test_the_dashboard_downloads_the_table_as_csv(story, admin_client):
    page = admin_client.get(
        "/o/acme/cases/metrics/",
        {"date_from": "2025-01-06", "date_to": "2025-01-12", "format": "csv"},
    )
    assert page["Content-Type"] == "text/csv; charset=utf-8"
    assert page["Content-Disposition"] == 'attachment; filename="loop-20250106-20250112-unit.csv"'
    lines = page.content.decode().splitlines()
    assert lines[0].startswith("Unit or owner,Cases opened,Time to first action")
    assert lines[2].startswith("Hill Hotel,2,10.0,10.0,50.0,0.0,,8.0,0.0")
    assert lines[-1].startswith("Total,5,")


def test_a_manager_sees_their_own_subtree_only(story, manager, client, other_hotel):
    client.force_login(manager.user)
    page = client.get(
        "/o/acme/cases/metrics/", {"date_from": "2025-01-06", "date_to": "2025-01-12"}
    )
    body = page.content.decode()
    assert "Hill Hotel" not in body
    assert 'data-testid="figure-cases">3<' in body
    refused = client.get("/o/acme/cases/metrics/", {"unit": other_hotel.pk})
    assert "Hill Hotel</a>" not in refused.content.decode()


# --- the continuum's evidence from the same counts ------------------------------------------


def loop_evidence(organisation, units) -> list[dict]:
    from heedback.continuum.selectors import evidence_for
    from heedback.loop.indicators import INDICATORS

    keys = {indicator.key for indicator in INDICATORS}
    found = []
    for placement in evidence_for(organisation, units, as_of=NOW):
        found.append(
            {
                result.indicator.key: result.measurement
                for factor in placement.factors
                for result in factor.results
                if result.indicator.key in keys
            }
        )
    return found


def test_the_loop_measures_the_continuums_indicators_from_its_metrics(
    story, organisation, other_hotel
):
    from heedback.continuum.evidence import Status
    from heedback.continuum.instrument import Level

    organisation.minimum_sample = 1
    organisation.save()
    everywhere, hill = loop_evidence(organisation, [None, other_hotel])
    # 90 days up to NOW: the week and the case of 14 January (a detractor nobody reached).
    assert {key: (m.display, m.level, m.n) for key, m in everywhere.items()} == {
        "case_closure_time": ("19.8 h", Level.CENTRIC, 2),
        "resurvey_solved_rate": ("50%", Level.FRIENDLY, 2),
        "time_to_front_line": ("4.0 h", Level.CENTRIC, 3),
        "detractors_followed_up": ("33%", Level.AWARE, 6),
    }
    assert everywhere["detractors_followed_up"].detail == (
        "2 of 6 detractors of the last 90 days reached by a call or sent a reply."
    )
    assert {key: (m.status, m.display, m.level) for key, m in hill.items()} == {
        "case_closure_time": (Status.MEASURED, "10.0 h", Level.CENTRIC),
        "resurvey_solved_rate": (Status.NO_DATA, "", None),
        "time_to_front_line": (Status.MEASURED, "8.0 h", Level.CENTRIC),
        "detractors_followed_up": (Status.MEASURED, "0%", Level.HOSTILE),
    }
    organisation.minimum_sample = 30
    organisation.save()
    (small,) = loop_evidence(organisation, [None])
    assert {m.status for m in small.values()} == {Status.SMALL_SAMPLE}
