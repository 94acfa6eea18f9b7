"""The raw SQL that adds responses to the rollups, statement by statement, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.models import Sum

from heedback.collect.models import Answer, Response
from heedback.insights import rollup_sql
from heedback.insights.models import (
    AnswerRollup,
    CountedResponse,
    Grain,
    OptionRollup,
    OrganisationRollup,
)
from tests.insights.test_rollups import Planned, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return World()


def ids(world: World) -> list[int]:
    return list(
        Response.objects.filter(survey=world.survey).order_by("pk").values_list("pk", flat=True)
    )


def test_a_set_is_added_once_per_call_at_every_grain(world):
    world.bulk([Planned("south", 0, 12, "web", (("nps", 9), ("staff", 4))) for _ in range(3)])
    first, *_rest, last = ids(world)
    assert rollup_sql.add_responses(rollup_sql.id_range(first - 1, last)) == 3
    for model in (AnswerRollup, OrganisationRollup):
        assert {row.grain: row.answers_9 for row in model.objects.filter(question_key="nps")} == {
            Grain.DAY: 3,
            Grain.WEEK: 3,
            Grain.MONTH: 3,
        }
    # Adding the same set again counts it again: keeping sets apart is the caller's job.
    assert rollup_sql.add_responses(rollup_sql.id_range(first - 1, last)) == 3
    assert AnswerRollup.objects.get(question_key="staff", grain=Grain.DAY).answers_4 == 6


def test_an_id_range_leaves_out_what_the_ledger_lists(world):
    world.bulk([Planned("south", 0, 12, "web", (("nps", 9),)) for _ in range(4)])
    first, second, *_rest, last = ids(world)
    CountedResponse.objects.create(response_id=second, batch=1)
    assert rollup_sql.add_responses(rollup_sql.id_range(first - 1, last)) == 3


def test_the_ledger_lists_a_batch_and_adds_exactly_it(world):
    world.bulk([Planned("south", 0, 12, "web", (("nps", 7),)) for _ in range(5)])
    first, second, third, *_rest = ids(world)
    CountedResponse.objects.create(response_id=second, batch=1)
    assert rollup_sql.list_in_ledger(first - 1, batch=2, limit=2) == 2
    assert set(CountedResponse.objects.filter(batch=2).values_list("response_id", flat=True)) == {
        first,
        third,
    }
    assert rollup_sql.add_responses(rollup_sql.ledger_batch(2)) == 2
    assert AnswerRollup.objects.get(question_key="", grain=Grain.DAY).answers == 2


def test_an_organisation_range_reads_one_organisation(world):
    world.bulk([Planned("south", 0, 12, "web", (("nps", 7),)) for _ in range(2)])
    first, last = ids(world)
    assert (
        rollup_sql.add_responses(
            rollup_sql.organisation_range(world.organisation.pk + 1000, first - 1, last)
        )
        == 0
    )
    assert (
        rollup_sql.add_responses(
            rollup_sql.organisation_range(world.organisation.pk, first - 1, last)
        )
        == 2
    )


def test_periods_are_monday_weeks_and_calendar_months(world):
    # Sunday 5 January 2025 belongs to the week of Monday 30 December 2024.
    world.bulk([Planned("south", 4, 12, "web", (("nps", 5),))])
    (only,) = ids(world)
    rollup_sql.add_responses(rollup_sql.id_range(only - 1, only))
    rows = AnswerRollup.objects.filter(question_key="nps")
    assert {row.grain: row.period_start for row in rows} == {
        Grain.DAY: date(2025, 1, 5),
        Grain.WEEK: date(2024, 12, 30),
        Grain.MONTH: date(2025, 1, 1),
    }


def test_chosen_options_are_counted_and_a_stray_json_scalar_is_skipped(world):
    world.bulk(
        [
            Planned("south", 0, 12, "web", (("nps", 1), ("topics", ["food", "room"]))),
            Planned("south", 0, 13, "web", (("nps", 2), ("topics", ["food"]))),
        ]
    )
    first, last = ids(world)
    Answer.objects.filter(response_id=last, question_key="topics").update(choices="food")
    assert rollup_sql.add_responses(rollup_sql.id_range(first - 1, last)) == 2
    chosen = OptionRollup.objects.filter(grain=Grain.MONTH).values_list("option", "answers")
    assert sorted(chosen) == [("food", 1), ("room", 1)]
    answered = AnswerRollup.objects.filter(question_key="topics").aggregate(n=Sum("answers"))
    assert answered["n"] == 2 * 3  # both answered, at each of the three grains


def test_a_question_answered_with_and_without_choices_in_one_cell_adds_up(world):
    # The same key as a number in one response and as chosen options in another (a survey
    # version changed the question): the day row takes both, the plain row and the grouped
    # rows of the choices, whether the table held the cell before or not.
    world.bulk(
        [
            Planned("south", 0, 12, "web", (("nps", 1), ("topics", ["food", "room"]))),
            Planned("south", 0, 13, "web", (("nps", 2), ("topics", ["food"]))),
            Planned("south", 0, 14, "web", (("nps", 3), ("topics", ["room"]))),
        ]
    )
    first, *_rest, last = ids(world)
    Answer.objects.filter(response_id=last, question_key="topics").update(choices=None, number=4)
    assert rollup_sql.add_responses(rollup_sql.id_range(first - 1, last)) == 3
    assert rollup_sql.add_responses(rollup_sql.id_range(first - 1, last)) == 3
    for grain in Grain.values:
        row = AnswerRollup.objects.get(question_key="topics", grain=grain)
        assert (row.answers, row.answers_4) == (6, 2)


def test_a_table_holds_a_survey_once_a_row_of_it_is_added(world):
    world.bulk([Planned("south", 0, 12, "web", (("nps", 9),))])
    (only,) = ids(world)
    batch = "heedback_test_batch"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {batch} AS SELECT %s AS survey_id", [world.survey.pk]
        )
        table = AnswerRollup._meta.db_table
        assert not rollup_sql.holds_any(cursor, table, batch)
        rollup_sql.add_responses(rollup_sql.id_range(only - 1, only))
        assert rollup_sql.holds_any(cursor, table, batch)
        AnswerRollup.objects.all().delete()
        assert not rollup_sql.holds_any(cursor, table, batch)
        cursor.execute(f"DROP TABLE {batch}")
