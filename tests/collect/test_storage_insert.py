"""``storage.insert_rows`` gives rows back as given: a few (INSERT) or many (COPY on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from heedback.collect import storage
from heedback.collect.models import Answer, Response

pytestmark = pytest.mark.django_db


def rows(survey, unit, count: int) -> list[storage.NewResponse]:
    now = timezone.now()
    return [
        storage.NewResponse(
            organisation_id=survey.organisation_id,
            survey_id=survey.pk,
            version_id=survey.published_version_id,
            unit_id=unit.pk,
            link_id=None,
            channel="api",
            staff_id=None,
            customer_id=None,
            interaction_id=None,
            external_id=f"ext-{index}",
            idempotency_key=f"row-{count}-{index}",
            submitted_at=now,
            received_at=now,
            local_date=now.date(),
            language="fr",
            comment="l'été « chaud »; 100% \\ fin",
            answers=[
                ("nps", index % 11, "", None),
                ("comment", None, 'it\'s "quoted"; -- not SQL', None),
                ("options", None, "", ["a", "b'c"]),
            ],
        )
        for index in range(count)
    ]


@pytest.mark.parametrize("count", [1, storage.POSTGRESQL_INSERT_AT_MOST, 40])
def test_rows_and_answers_come_back_as_given(published_survey, hotel, count):
    new = rows(published_survey, hotel, count)
    with transaction.atomic():
        storage.insert_rows(new)
    assert sorted(Response.objects.values_list("id", flat=True)) == sorted(r.id for r in new)
    stored = Response.objects.get(idempotency_key=f"row-{count}-0")
    assert stored.comment == "l'été « chaud »; 100% \\ fin"
    assert (stored.language, stored.external_id) == ("fr", "ext-0")
    answers = {
        a.question_key: (a.number, a.text, a.choices)
        for a in Answer.objects.filter(response=stored)
    }
    assert answers == {
        "nps": (0, "", None),
        "comment": (None, 'it\'s "quoted"; -- not SQL', None),
        "options": (None, "", ["a", "b'c"]),
    }
    assert Answer.objects.count() == 3 * count
