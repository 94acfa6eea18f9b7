"""Fixtures of the text tests: responses with comments, enriched on demand."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from heedback.collect.models import Response
from heedback.collect.services import Submission, submit_response

_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def _tfidf_unless_asked(monkeypatch):
    """Keep the suite fast and equal on every machine: embeddings only where a test asks."""
    monkeypatch.setenv("HEEDBACK_TEXT_EMBEDDINGS", "off")
    monkeypatch.delenv("HEEDBACK_SENTIMENT_MODEL", raising=False)


@pytest.fixture
def respond(published_survey, hotel) -> Callable[..., Response]:
    """Return a function storing a response with a comment (and optional answers)."""

    def make(
        comment: str = "",
        *,
        answers: dict | None = None,
        language: str = "",
        survey=None,
        unit=None,
        age: timedelta = timedelta(hours=1),
    ) -> Response:
        survey = survey or published_survey
        result = submit_response(
            Submission(
                survey=survey,
                unit=unit or hotel,
                answers=answers if answers is not None else {"nps": 7},
                idempotency_key=f"text-{next(_keys)}",
                comment=comment,
                language=language,
            )
        )
        # Received long enough ago to have settled, unless a test says otherwise.
        Response.objects.filter(pk=result.response.pk).update(received_at=timezone.now() - age)
        return Response.objects.get(pk=result.response.pk)

    return make
