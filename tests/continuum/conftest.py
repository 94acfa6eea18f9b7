"""Fixtures of the continuum tests: surveys of each kind and a helper that stores responses."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client

from heedback.collect.services import Submission, publish_and_open_links, submit_response
from heedback.continuum.instrument import DEFICIT_LEVELS, Level, current_instrument
from heedback.surveys import services as survey_services
from heedback.surveys.models import Survey

_keys = itertools.count(1)


def answers_at(level: Level, *, agree: int = 5, disagree: int = 1) -> dict[str, int]:
    """Answer every built-in statement as an organisation at ``level`` would."""
    answers = {}
    for statement in current_instrument().statements:
        if statement.level in DEFICIT_LEVELS:
            answers[statement.id] = agree if statement.level == level else disagree
        else:
            answers[statement.id] = agree if statement.level <= level else disagree
    return answers


@pytest.fixture
def make_survey(organisation, hotel) -> Callable[..., Survey]:
    """Return a function publishing a survey from a template (links for every unit)."""

    def make(template_key: str, name: str = "") -> Survey:
        survey = survey_services.create_survey_from_template(
            organisation, template_key=template_key, name=name or template_key
        )
        publish_and_open_links(survey)
        survey.refresh_from_db()
        return survey

    return make


@pytest.fixture
def respond() -> Callable[..., object]:
    """Return a function storing one response through the one submission service."""

    def store(survey: Survey, unit, answers: dict, when: datetime | None = None):
        submission = Submission(
            survey=survey,
            unit=unit,
            answers=answers,
            idempotency_key=f"continuum-{next(_keys)}",
            submitted_at=when,
        )
        return submit_response(submission).response

    return store


@pytest.fixture
def client_of() -> Callable[..., Client]:
    def make(membership) -> Client:
        client = Client()
        client.force_login(membership.user)
        return client

    return make
