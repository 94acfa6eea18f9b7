"""Rollups equal the responses: after any interleaving of inserts, refreshes and rebuilds.

The expected figures are computed here from the test's own record of what it inserted —
plain Python counting, no SQL, no rollups — and compared with ``compute_metric`` and
``summarise_survey``, which read rollups plus the not-yet-rolled-up tail.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heedback.collect.models import Answer, Response
from heedback.collect.services import (
    Submission,
    answer_row,
    publish_and_open_links,
    submit_response,
)
from heedback.insights import histograms, services
from heedback.insights.metrics import METRICS
from heedback.insights.models import (
    AnswerRollup,
    CountedResponse,
    Grain,
    OptionRollup,
    OrganisationRollup,
)
from heedback.insights.selectors import MetricQuery, compute_metric, summarise_survey
from heedback.onboarding import create_organisation
from heedback.orgs import services as org_services
from heedback.orgs.models import Unit
from heedback.surveys import services as survey_services

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
FIRST_DAY = date(2025, 1, 1)
DAYS = 500
CHANNELS = ("web", "qr", "email")

DEFINITION = {
    "title": "Every kind of question",
    "questions": [
        {"key": "nps", "type": "nps", "text": "Recommend us?"},
        {"key": "staff", "type": "rating", "text": "Staff?", "scale": {"min": 1, "max": 5}},
        {"key": "wide", "type": "rating", "text": "Wide?", "scale": {"min": 1, "max": 11}},
        {"key": "effort", "type": "ces", "text": "Effort?"},
        {"key": "resolved", "type": "yes_no", "text": "Resolved?"},
        {
            "key": "reason",
            "type": "single_choice",
            "text": "Why?",
            "options": [{"key": k, "label": k.title()} for k in ("billing", "fault", "other")],
        },
        {
            "key": "topics",
            "type": "multi_choice",
            "text": "What about?",
            "options": [{"key": k, "label": k.title()} for k in ("price", "food", "room")],
        },
        {"key": "better", "type": "text", "text": "Anything else?"},
    ],
}
QUESTION_TYPES = {q["key"]: q["type"] for q in DEFINITION["questions"]}
SCALE_MAX = {"nps": 10, "staff": 5, "wide": 11, "effort": 7, "resolved": 1}
NUMERIC = set(SCALE_MAX)


@dataclass(frozen=True)
class Planned:
    """One response the test inserts: where, when, how, and its answers."""

    unit: str
    day: int
    hour: int
    channel: str
    answers: tuple[tuple[str, object], ...]

    @property
    def submitted_at(self) -> datetime:
        when = FIRST_DAY + timedelta(days=self.day)
        return datetime(when.year, when.month, when.day, self.hour, tzinfo=UTC)

    @property
    def local_date(self) -> date:
        return self.submitted_at.astimezone(LONDON).date()


answer_values = {
    "nps": st.integers(0, 10),
    "staff": st.integers(1, 5),
    "wide": st.integers(1, 11),
    "effort": st.integers(1, 7),
    "resolved": st.booleans(),
    "reason": st.sampled_from(["billing", "fault", "other"]),
    "topics": st.lists(st.sampled_from(["price", "food", "room"]), min_size=1, unique=True),
    "better": st.sampled_from(["Great", "Slow check-in", "Cold soup"]),
}
planned = st.builds(
    Planned,
    unit=st.sampled_from(["north_a", "north_b", "south"]),
    day=st.integers(0, DAYS),
    hour=st.sampled_from([0, 12, 23]),  # 23:00 UTC is the next day in London in summer
    channel=st.sampled_from(CHANNELS),
    answers=st.fixed_dictionaries(
        {"nps": answer_values["nps"]},
        optional={key: value for key, value in answer_values.items() if key != "nps"},
    ).map(lambda answers: tuple(sorted(answers.items()))),
)
operations = st.one_of(
    st.tuples(st.just("submit"), planned),
    st.tuples(st.just("bulk"), st.lists(planned, min_size=1, max_size=6)),
    st.tuples(st.just("refresh"), st.integers(1, 4)),
    st.tuples(st.just("refresh_unsettled"), st.integers(1, 4)),
    st.tuples(st.just("rebuild"), st.integers(1, 3)),
    st.tuples(st.just("start_rebuild"), st.just(0)),
    st.tuples(st.just("rebuild_chunk"), st.integers(1, 3)),
)
dates = st.integers(0, DAYS).map(lambda offset: FIRST_DAY + timedelta(days=offset))
queries = st.tuples(
    st.sampled_from(
        [
            ("nps", "nps"),
            ("csat", "staff"),
            ("mean", "wide"),
            ("ces", "effort"),
            ("share_yes", "resolved"),
            ("count", None),
            ("count", "reason"),
            ("count", "better"),
        ]
    ),
    st.sampled_from(["none", "unit", "channel", "day", "week", "month", "quarter"]),
    st.sampled_from([None, "root", "north", "north_a", "south"]),
    st.one_of(st.none(), st.just(("north_b", "south"))),
    st.tuples(st.one_of(st.none(), dates), st.one_of(st.none(), dates)),
)


class World:
    """An organisation with a small unit tree and a survey asking every kind of question."""

    def __init__(self) -> None:
        self.organisation = create_organisation(
            name="Prop Hotels", slug="prop", time_zone="Europe/London"
        )
        self.units = {"root": Unit.objects.get(organisation=self.organisation, parent=None)}
        self.units["north"] = org_services.create_unit(
            self.organisation, name="North", parent=self.units["root"]
        )
        for name, parent in (("north_a", "north"), ("north_b", "north"), ("south", "root")):
            self.units[name] = org_services.create_unit(
                self.organisation, name=name, parent=self.units[parent]
            )
        self.survey = survey_services.create_survey(
            self.organisation, name="Everything", definition=DEFINITION
        )
        publish_and_open_links(self.survey)
        self.survey.refresh_from_db()
        self.inserted: list[Planned] = []

    def submit(self, plan: Planned) -> Response:
        result = submit_response(
            Submission(
                survey=self.survey,
                unit=self.units[plan.unit],
                answers=dict(plan.answers),
                idempotency_key=f"k{len(self.inserted)}",
                channel=plan.channel,
                submitted_at=plan.submitted_at,
            )
        )
        self.inserted.append(plan)
        return result.response

    def bulk(self, plans: list[Planned]) -> None:
        """Insert as the importers and the demo seeder do: bulk_create, one transaction."""
        version = self.survey.published_version
        questions = {question.key: question for question in version.parsed().questions}
        with transaction.atomic():
            responses = Response.objects.bulk_create(
                Response(
                    organisation=self.organisation,
                    survey=self.survey,
                    version=version,
                    unit=self.units[plan.unit],
                    channel=plan.channel,
                    idempotency_key=f"k{len(self.inserted) + index}",
                    submitted_at=plan.submitted_at,
                    local_date=plan.local_date,
                )
                for index, plan in enumerate(plans)
            )
            Answer.objects.bulk_create(
                answer_row(response, questions[key], value)
                for response, plan in zip(responses, plans, strict=True)
                for key, value in plan.answers
            )
        self.inserted.extend(plans)

    def run(self, operation: str, argument) -> None:
        if operation == "submit":
            self.submit(argument)
        elif operation == "bulk":
            self.bulk(argument)
        elif operation == "refresh":
            services.refresh_rollups(batch_size=argument)
        elif operation == "refresh_unsettled":
            # As on PostgreSQL while an older transaction is open: nothing settles, the
            # ledger takes everything.
            with mock.patch.object(services, "_settled_horizon", lambda state: state.watermark):
                services.refresh_rollups(batch_size=argument)
        elif operation == "rebuild":
            services.rebuild_rollups(self.organisation, chunk_size=argument)
        elif operation == "start_rebuild":
            services.start_rebuild(self.organisation)
        elif operation == "rebuild_chunk":
            services.continue_rebuild(self.organisation.pk, argument)

    # -- the independent computation ---------------------------------------------------------

    def expected(self, metric: str, key: str | None, group_by: str, unit, visible, period):
        """Return {group: histogram} counted in Python from what was inserted."""
        grouped: dict[object, Counter] = defaultdict(Counter)
        for plan in self._in_scope(unit, visible, period):
            answers = dict(plan.answers)
            if key is not None and key not in answers:
                continue
            group = self._group_of(plan, group_by)
            if key is None or key not in NUMERIC:
                grouped[group][1] += 1
            else:
                grouped[group][int(answers[key])] += 1
        return grouped

    def _in_scope(self, unit, visible, period):
        first, last = period
        for plan in self.inserted:
            path = self.units[plan.unit].path
            if unit is not None and not path.startswith(self.units[unit].path):
                continue
            if visible is not None and not any(
                path.startswith(self.units[name].path) for name in visible
            ):
                continue
            if first is not None and plan.local_date < first:
                continue
            if last is not None and plan.local_date > last:
                continue
            yield plan

    def _group_of(self, plan: Planned, group_by: str) -> str | None:
        day = plan.local_date
        return {
            "none": None,
            "unit": str(self.units[plan.unit].pk),
            "channel": plan.channel,
            "day": day.isoformat(),
            "week": (day - timedelta(days=day.weekday())).isoformat(),
            "month": day.replace(day=1).isoformat(),
            "quarter": date(day.year, (day.month - 1) // 3 * 3 + 1, 1).isoformat(),
        }[group_by]


def assert_metric_matches(world: World, query) -> None:
    (metric, key), group_by, unit, visible, (first, last) = query
    if first is not None and last is not None and first > last:
        first, last = last, first
    result = compute_metric(
        MetricQuery(
            organisation=world.organisation,
            survey=world.survey,
            metric=metric,
            question_key=key,
            group_by=group_by,
            unit=world.units[unit] if unit else None,
            date_from=first,
            date_to=last,
            visible_unit_paths=tuple(world.units[name].path for name in visible)
            if visible
            else None,
        )
    )
    expected = world.expected(metric, key, group_by, unit, visible, (first, last))
    spec = METRICS[metric]
    wanted = {}
    for group, histogram in expected.items():
        value = spec.compute(dict(histogram), SCALE_MAX.get(key or "", 1))
        wanted[group] = (value.n, value.value, value.ci_low, value.ci_high)
    if not wanted and group_by == "none":
        empty = spec.compute({}, SCALE_MAX.get(key or "", 1))
        wanted[None] = (0, empty.value, empty.ci_low, empty.ci_high)
    got = {row.group: (row.n, row.value, row.ci_low, row.ci_high) for row in result.rows}
    assert set(got) == set(wanted), query
    for group, (n, value, low, high) in wanted.items():
        got_n, got_value, got_low, got_high = got[group]
        assert got_n == n, (query, group)
        for mine, theirs in ((got_value, value), (got_low, low), (got_high, high)):
            assert (mine is None) == (theirs is None), (query, group)
            if mine is not None:
                assert math.isclose(mine, theirs, rel_tol=1e-12, abs_tol=1e-9), (query, group)
    assert [row.group for row in result.rows] == sorted(
        got, key=lambda group: int(group) if group_by == "unit" else (group or "")
    )


def assert_summary_matches(world: World) -> None:
    query = MetricQuery(organisation=world.organisation, survey=world.survey, metric="count")
    response_count, summaries = summarise_survey(query)
    assert response_count == len(world.inserted)
    for summary in summaries:
        key = summary.question.key
        given_answers = [
            dict(plan.answers)[key] for plan in world.inserted if key in dict(plan.answers)
        ]
        assert summary.n == len(given_answers), key
        if QUESTION_TYPES[key] == "multi_choice":
            chosen = Counter(option for answer in given_answers for option in answer)
            assert summary.distribution == [
                (k.title(), chosen[k]) for k in ("price", "food", "room")
            ]
        elif QUESTION_TYPES[key] == "single_choice":
            chosen = Counter(given_answers)
            assert summary.distribution == [
                (k.title(), chosen[k]) for k in ("billing", "fault", "other")
            ]


def assert_rollups_hold_everything(world: World) -> None:
    """After a full refresh with no rebuild pending, the tail is empty: rollups alone."""
    for condition in histograms.tail_conditions(world.organisation.pk):
        assert not Response.objects.filter(condition).exists()
    for grain, model in itertools.product(Grain.values, (AnswerRollup, OrganisationRollup)):
        rows = model.objects.filter(survey=world.survey, grain=grain)
        responses = rows.filter(question_key="").aggregate(n=Sum("answers"))["n"] or 0
        assert responses == len(world.inserted)
        nps_total = rows.filter(question_key="nps").aggregate(n=Sum("answers_10"))["n"] or 0
        assert nps_total == sum(dict(plan.answers)["nps"] == 10 for plan in world.inserted)
        chosen = OptionRollup.objects.filter(
            survey=world.survey, grain=grain, question_key="topics"
        )
        assert (chosen.aggregate(n=Sum("answers"))["n"] or 0) == sum(
            len(dict(plan.answers).get("topics", ())) for plan in world.inserted
        )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(operations, min_size=1, max_size=10),
    checks=st.lists(queries, min_size=4, max_size=8),
)
def test_metrics_from_rollups_equal_metrics_from_raw_responses(db, steps, checks):
    def check_all(world: World) -> None:
        for check in checks:
            assert_metric_matches(world, check)
        assert_summary_matches(world)

    interleave(
        steps,
        check_now=lambda world: assert_metric_matches(world, checks[0]),
        check_all=check_all,
        check_stored=assert_rollups_hold_everything,
    )


def interleave(
    steps,
    *,
    check_now: Callable[[World], None],
    check_all: Callable[[World], None],
    check_stored: Callable[[World], None],
) -> None:
    """Play inserts, corrections, erasures and rebuilds; check the reads at every moment.

    ``check_now`` runs after every step (exact whatever the worker has or has not done
    yet), ``check_all`` after the steps and again once the worker has caught up and any
    rebuild finished, when ``check_stored`` checks the stored rows themselves. Everything
    happens in one transaction, rolled back, so each example starts empty. The rollups'
    and the driver sums' properties share this harness.
    """
    cache.clear()  # each example reuses the ids of the one rolled back before it
    example = transaction.atomic()
    # Always rolled back, after an emptied cache: it stands for the test's own transaction,
    # so that the reads are remembered as outside one (``read_cache._in_own_transaction``)
    # and every check below also checks the remembered reads.
    example._from_testcase = True
    with example:
        world = World()
        for operation, argument in steps:
            world.run(operation, argument)
            check_now(world)
        check_all(world)
        services.refresh_rollups()
        services.refresh_rollups()  # the second settles what the first only listed
        while services.continue_rebuild(world.organisation.pk).is_done is False:
            pass
        check_stored(world)
        check_all(world)
        transaction.set_rollback(True)


@given(
    first=st.one_of(st.none(), dates),
    last=st.one_of(st.none(), dates),
    group_by=st.sampled_from(["none", "unit", "day", "week", "month", "quarter"]),
)
def test_a_period_is_covered_by_months_weeks_and_days_each_day_once(first, last, group_by):
    if first is not None and last is not None and first > last:
        first, last = last, first
    pieces = histograms.split_period(first, last, group_by)
    for monday, last_monday in pieces.weeks:
        for bound in (monday, last_monday):
            assert bound is None or bound.weekday() == 0
    if group_by == "day":
        assert (pieces.months, pieces.weeks) == (None, [])
    low, high = FIRST_DAY - timedelta(days=40), FIRST_DAY + timedelta(days=DAYS + 40)
    day = low
    while day <= high:
        inside = (first is None or day >= first) and (last is None or day <= last)
        monday = day - timedelta(days=day.weekday())
        in_month = pieces.months is not None and (
            (pieces.months[0] is None or day.replace(day=1) >= pieces.months[0])
            and (pieces.months[1] is None or day.replace(day=1) < pieces.months[1])
        )
        in_weeks = sum(
            (start is None or monday >= start) and (end is None or monday <= end)
            for start, end in pieces.weeks
        )
        in_days = sum(
            (start is None or day >= start) and (end is None or day <= end)
            for start, end in pieces.days
        )
        assert in_month + in_weeks + in_days == (1 if inside else 0), day
        if in_weeks and group_by != "week":  # a week row folds into one month only
            assert monday.month == (monday + timedelta(days=6)).month, day
        day += timedelta(days=1)


def test_the_worker_runs_the_refresh():
    from heedback.ops.management.commands.worker import periodic_jobs

    assert services.refresh_rollups in periodic_jobs()


def test_a_refresh_killed_half_way_counts_nothing_and_the_next_counts_once(db):
    world = World()
    world.bulk([Planned("south", 10, 12, "web", (("nps", 10),)) for _ in range(3)])
    killed = mock.patch.object(services, "_note_horizon", side_effect=RuntimeError("killed"))
    with killed, pytest.raises(RuntimeError):
        services.refresh_rollups()
    assert not AnswerRollup.objects.exists()
    assert not CountedResponse.objects.exists()
    services.refresh_rollups()
    services.refresh_rollups()
    row = AnswerRollup.objects.get(question_key="nps", grain=Grain.DAY)
    assert (row.answers, row.answers_10) == (3, 3)
    assert_rollups_hold_everything(world)


def test_refresh_writes_one_row_per_cell_at_both_grains(db):
    world = World()
    world.bulk(
        [
            Planned("south", 0, 12, "web", (("nps", 9), ("topics", ["food", "room"]))),
            Planned("south", 0, 13, "web", (("nps", 3), ("better", "Slow"))),
            Planned("south", 1, 12, "web", (("nps", 9),)),
            Planned("north_a", 1, 12, "qr", (("nps", 0),)),
        ]
    )
    assert services.refresh_rollups() == 4
    services.refresh_rollups()
    days = AnswerRollup.objects.filter(grain=Grain.DAY, question_key="nps").order_by(
        "period_start", "channel"
    )
    assert [(r.period_start, r.channel, r.answers, r.histogram()) for r in days] == [
        (date(2025, 1, 1), "web", 2, {9: 1, 3: 1}),
        (date(2025, 1, 2), "qr", 1, {0: 1}),
        (date(2025, 1, 2), "web", 1, {9: 1}),
    ]
    months = AnswerRollup.objects.filter(grain=Grain.MONTH, question_key="").order_by("unit_id")
    assert [(r.period_start, r.answers) for r in months] == [
        (date(2025, 1, 1), 1),
        (date(2025, 1, 1), 3),
    ]
    options = OptionRollup.objects.filter(grain=Grain.MONTH).order_by("option")
    assert [(r.option, r.answers) for r in options] == [("food", 1), ("room", 1)]
    text = AnswerRollup.objects.get(grain=Grain.MONTH, question_key="better")
    assert (text.answers, text.histogram()) == (1, {})
    everywhere = OrganisationRollup.objects.filter(grain=Grain.DAY, question_key="nps")
    assert sorted((r.period_start, r.channel, r.histogram()) for r in everywhere) == [
        (date(2025, 1, 1), "web", {9: 1, 3: 1}),
        (date(2025, 1, 2), "qr", {0: 1}),
        (date(2025, 1, 2), "web", {9: 1}),
    ]
    assert services.refresh_rollups() == 0


def count_of(world: World) -> int:
    query = MetricQuery(organisation=world.organisation, survey=world.survey, metric="count")
    return compute_metric(query).rows[0].n


def test_a_rebuild_runs_while_responses_arrive_and_loses_or_doubles_nothing(db):
    world = World()
    world.bulk([Planned("south", day, 12, "web", (("nps", day % 11),)) for day in range(9)])
    services.refresh_rollups()
    AnswerRollup.objects.update(answers_3=99)  # a corrupt rollup the rebuild must repair
    services.start_rebuild(world.organisation)
    world.submit(Planned("north_a", 30, 12, "qr", (("nps", 10),)))
    for _ in range(2):
        services.continue_rebuild(world.organisation.pk, 4)
        world.bulk([Planned("south", 40, 12, "web", (("nps", 1),))])
        assert count_of(world) == len(world.inserted)
    services.rebuild_rollups(world.organisation, chunk_size=5)
    services.refresh_rollups()
    services.refresh_rollups()
    assert_rollups_hold_everything(world)
    assert_metric_matches(world, (("nps", "nps"), "month", None, None, (None, None)))


def test_an_interrupted_rebuild_is_finished_by_the_worker(db):
    world = World()
    world.bulk([Planned("south", day, 12, "web", (("nps", 9),)) for day in range(5)])
    services.refresh_rollups()
    services.start_rebuild(world.organisation)
    services.continue_rebuild(world.organisation.pk, 2)  # then the command is killed
    assert count_of(world) == 5  # the rest is read from the raw rows meanwhile
    services.refresh_rollups()
    services.refresh_rollups()
    services.refresh_rollups()
    assert_rollups_hold_everything(world)


def test_the_rebuild_command_shows_progress_and_a_summary(db):
    world = World()
    world.bulk([Planned("south", day, 12, "web", (("nps", 9),)) for day in range(3)])
    services.refresh_rollups()
    out, err = StringIO(), StringIO()
    call_command("rebuild_rollups", "--org", "prop", stdout=out, stderr=err)
    assert "prop [##############################] 3/3" in err.getvalue()
    assert "from 3 responses" in out.getvalue()
    assert_rollups_hold_everything(world)


def test_a_rebuild_on_postgresql_counts_in_quarters_and_on_sqlite_in_fixed_chunks(db):
    """PostgreSQL grows its chunks with the rebuild (each chunk adds to most cells)."""
    world = World()
    world.bulk([Planned("south", day, 12, "web", (("nps", 9),)) for day in range(9)])
    steps = []
    with (
        mock.patch.object(services, "REBUILD_CHUNK_SIZE_POSTGRESQL", 2),
        mock.patch.object(services, "REBUILD_CHUNK_SIZE", 4),
    ):
        services.rebuild_rollups(world.organisation, progress=lambda *step: steps.append(step))
    if connection.vendor == "postgresql":
        assert steps == [(3, 9), (6, 9), (9, 9)]  # a quarter of 9, rounded up, is 3
    else:
        assert steps == [(4, 9), (8, 9), (9, 9)]
    assert_rollups_hold_everything(world)


def test_the_rebuild_command_refuses_an_unknown_organisation(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organisation has the slug 'nowhere'"):
        call_command("rebuild_rollups", "--org", "nowhere", stdout=StringIO(), stderr=StringIO())


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL commits ids out of order"
)
@pytest.mark.django_db(transaction=True)
def test_an_id_committing_after_a_higher_one_is_counted_once_on_postgresql():
    world = World()
    inserted, release = threading.Event(), threading.Event()
    in_flight: list[int] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                in_flight.append(world.submit(Planned("south", 1, 12, "web", (("nps", 0),))).pk)
                inserted.set()
                release.wait(30)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert inserted.wait(30)
    higher = world.submit(Planned("south", 2, 12, "web", (("nps", 10),))).pk  # committed
    services.refresh_rollups()
    services.refresh_rollups()
    state = services.RollupState.objects.get()
    assert in_flight[0] < higher
    assert state.watermark < in_flight[0]  # never past the response still in flight
    assert CountedResponse.objects.filter(response_id=higher).exists()
    assert count_of(world) == 1
    release.set()
    writer.join(30)
    services.refresh_rollups()
    services.refresh_rollups()
    assert services.RollupState.objects.get().watermark >= higher
    assert not CountedResponse.objects.exists()
    assert_rollups_hold_everything(world)
    assert_metric_matches(world, (("nps", "nps"), "day", None, None, (None, None)))


@pytest.mark.django_db(transaction=True)
def test_a_read_outside_any_transaction_is_exact_too():
    # On PostgreSQL the read then runs in its own short transaction (no parallel workers).
    world = World()
    world.bulk([Planned("south", day, 12, "web", (("nps", day % 11),)) for day in range(6)])
    services.refresh_rollups()
    world.submit(Planned("north_a", 3, 12, "qr", (("nps", 10),)))
    assert not connection.in_atomic_block
    assert_metric_matches(world, (("nps", "nps"), "month", None, None, (None, None)))
    assert_metric_matches(world, (("nps", "nps"), "unit", "north", None, (None, None)))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's in-memory test database has one writer"
)
@pytest.mark.django_db(transaction=True)
def test_workers_and_a_rebuild_at_once_while_responses_arrive_count_each_response_once():
    world = World()
    stop = threading.Event()

    def worker() -> None:
        try:
            while not stop.is_set():
                services.refresh_rollups(batch_size=3)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(3)]
    for thread in workers:
        thread.start()
    for day in range(12):
        world.bulk([Planned("south", day, 12, "web", (("nps", day % 11),)) for _ in range(4)])
        world.submit(Planned("north_b", day, 13, "qr", (("nps", 10),)))
        if day == 6:
            services.rebuild_rollups(world.organisation, chunk_size=5)
    stop.set()
    for thread in workers:
        thread.join(30)
    services.refresh_rollups()
    services.refresh_rollups()
    assert_rollups_hold_everything(world)
    assert_metric_matches(world, (("nps", "nps"), "day", None, None, (None, None)))
