"""Ids past 64 bits in any path answer 404, never a 500.

Such an id does not fit the database's integer: SQLite raises OverflowError and
PostgreSQL a DataError, so a route that passes it to the database unchecked crashes.
Every page and API route with an integer in its path is tried, so a new route cannot
forget it.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_access_policy import PAGE_POLICY, api_operations, named_routes

TOO_BIG = 2**64
# Routes that answer a missing object otherwise, on purpose: retrying a delivery that is
# gone (sent, or queued by someone else) returns to the list with a message.
NOT_404 = {"dead-letter-retry": 302}
TEXT_VALUES = {"token": "x" * 24, "question_key": "nps", "domain_key": "quality"}


def page_routes_with_ids() -> list[str]:
    return sorted(
        name
        for name, pattern in named_routes()
        if any(
            type(converter).__name__ == "IntConverter"
            for converter in pattern.pattern.converters.values()
        )
    )


def api_gets_with_ids() -> list[str]:
    return sorted(
        {path for method, path, _view in api_operations() if method == "GET" and "_id}" in path}
    )


def test_the_routes_tried_include_pages_and_api_operations():
    assert len(page_routes_with_ids()) >= 20
    assert len(api_gets_with_ids()) >= 10


@pytest.mark.parametrize("name", page_routes_with_ids())
def test_page_with_an_oversized_id_is_not_found(name, organisation, make_member):
    pattern = dict(named_routes())[name]
    kwargs = {}
    for key, converter in pattern.pattern.converters.items():
        is_int = type(converter).__name__ == "IntConverter"
        kwargs[key] = TOO_BIG if is_int else TEXT_VALUES.get(key, organisation.slug)
    client = Client()
    who, method = PAGE_POLICY[name]
    if who != "public":
        kwargs["org_slug"] = organisation.slug
        client.force_login(make_member(organisation, "owner").user)
    url = reverse(name, kwargs=kwargs)
    response = client.post(url, {}) if method == "POST" else client.get(url)
    assert response.status_code == NOT_404.get(name, 404), (url, response.status_code)


@pytest.mark.parametrize("path", api_gets_with_ids())
def test_api_with_an_oversized_id_is_not_found(path, organisation, make_api_client):
    api = make_api_client(organisation)
    url = "/api" + re.sub(r"\{\w+_id\}", str(TOO_BIG), path)
    url = url.format(**TEXT_VALUES)
    response = api.get(url)
    assert response.status_code == 404, (url, response.status_code, response.content[:200])
