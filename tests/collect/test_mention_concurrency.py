"""Mentions sent at once by several connectors, for real, on PostgreSQL: each stored once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from heedback.collect import mentions
from heedback.collect.models import Mention, MentionInbox, Response
from tests.customers.test_concurrency import run_together

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite's shared in-memory test database refuses concurrent writers",
    ),
    pytest.mark.django_db(transaction=True),
]


def post(round_number: int, index: int, by_url: bool) -> mentions.MentionInput:
    return mentions.MentionInput(
        channel="review",
        site="google",
        posted_at=datetime(2026, 11, 1, tzinfo=UTC),
        text=f"Review {index}",
        # One sender knows the site's id, the other only the address: the same post.
        external_id="" if by_url else f"r{round_number}-{index}",
        public_url=f"https://maps.example/{round_number}/{index}",
        rating=3,
    )


def sender(organisation, items, results: list):
    return lambda: results.append(mentions.ingest_mentions(organisation, list(items)))


def test_the_same_posts_sent_by_many_connectors_at_once_are_stored_once(organisation):
    for round_number in range(5):
        posts = [post(round_number, index, False) for index in range(40)]
        same_by_url = [post(round_number, index, True) for index in range(40)]
        results: list = []
        errors = run_together(
            *(sender(organisation, posts if n % 2 else same_by_url, results) for n in range(6))
        )
        assert errors == []
        created = sum(r.status == "created" for batch in results for r in batch)
        assert created == 40
        ids = {tuple(r.response_id for r in batch) for batch in results}
        assert len(ids) == 1  # every sender got the same stored response for each post
    assert MentionInbox.objects.count() == 1
    assert Mention.objects.count() == Response.objects.count() == 200
