"""Floods are answered with 429 and Retry-After, per API key and per respondent address."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from heedback.collect.models import Response, SurveyLink
from heedback.config import ConfigurationError, env_limit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_an_api_key_past_its_limit_gets_429_with_retry_after(
    api, settings, make_api_client, organisation
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_key": (3, 60)}
    statuses = [api.get("/api/v1/surveys").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("/api/v1/surveys")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Too many requests.")
    other_key = make_api_client(organisation)
    assert other_key.get("/api/v1/surveys").status_code == 200  # each key has its own budget


def test_a_flood_of_answers_from_one_address_is_slowed_and_loses_nothing(
    published_survey, hotel, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "respond_address": (2, 60)}
    link = SurveyLink.objects.get(survey=published_survey, unit=hotel)
    client = Client()
    statuses = []
    for _attempt in range(3):
        page = client.get(f"/s/{link.token}/")
        token = re.search(rb'name="form_token" value="([^"]+)"', page.content).group(1).decode()
        posted = client.post(f"/s/{link.token}/", {"form_token": token, "q_nps": "7"})
        statuses.append(posted.status_code)
    assert statuses == [302, 302, 429]
    assert posted["Retry-After"].isdigit()
    assert 'name="q_nps" value="7" checked' in posted.content.decode()
    assert Response.objects.count() == 2


@pytest.mark.parametrize("raw", ["ten/60", "5/0", "-1/60"])
def test_a_bad_limit_in_the_environment_is_refused(monkeypatch, raw):
    monkeypatch.setenv("HEEDBACK_RATE_LIMIT_API_KEY", raw)
    with pytest.raises(ConfigurationError, match="REQUESTS/SECONDS"):
        env_limit("HEEDBACK_RATE_LIMIT_API_KEY", (1, 1))


def test_a_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("HEEDBACK_RATE_LIMIT_API_KEY", "600/30")
    assert env_limit("HEEDBACK_RATE_LIMIT_API_KEY", (1, 1)) == (600, 30)
