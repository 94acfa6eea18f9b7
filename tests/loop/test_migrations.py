"""The data migration gives organisations that existed before the loop its defaults."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from heedback.loop.models import CaseCode, EvaluationCursor, LoopSettings, Rule


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.fixture
def back_to_the_latest_schema():
    """Migrate the loop forward again afterwards: later tests need its newest tables."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("loop"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest_schema")
def test_existing_organisations_get_the_defaults_and_old_feedback_is_left_alone(
    submit, organisation
):
    older = submit(nps=0)
    newest = submit(nps=1)
    # As if the organisation and its feedback were there before the loop app.
    Rule.objects.all().delete()
    CaseCode.objects.all().delete()
    LoopSettings.objects.all().delete()
    EvaluationCursor.objects.all().delete()
    migrate(("loop", "0001_initial"))
    migrate(("loop", "0002_default_rules"))
    rules = Rule.objects.for_org(organisation)
    assert sorted(rules.values_list("system_key", "is_enabled")) == [
        ("detractor", True),
        ("public_complaint", True),
    ]
    # Read only the columns 0002 has: later migrations add some to the model.
    channels = rules.filter(system_key="public_complaint").values_list("channels", flat=True)
    assert channels.get() == ["review", "social"]
    assert CaseCode.objects.for_org(organisation).count() == 15
    assert LoopSettings.objects.filter(organisation=organisation).exists()
    assert EvaluationCursor.objects.get().position == max(older.pk, newest.pk)
