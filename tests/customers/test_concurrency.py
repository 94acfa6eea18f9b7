"""Several workers and writers at once, for real, on PostgreSQL (row locks, SKIP LOCKED)."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from heedback.customers import lapse, services
from heedback.customers.inputs import CustomerInput, InteractionInput
from heedback.customers.models import Customer, Interaction

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite's shared in-memory test database refuses concurrent writers",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_together(*jobs) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def wrap(job) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_refreshes_and_a_writer_at_once_leave_every_customer_right(organisation):
    now = timezone.now()
    rng = random.Random(3)
    ids = [f"C-{index}" for index in range(400)]
    services.upsert_customers(organisation, [CustomerInput(external_id=key) for key in ids])
    first = [
        InteractionInput(
            f"a-{index}", rng.choice(ids), "visit", now - timedelta(days=rng.uniform(1, 300))
        )
        for index in range(3000)
    ]
    services.record_interactions(organisation, first, now=now)
    later = [
        InteractionInput(
            f"b-{index}", rng.choice(ids), "visit", now - timedelta(hours=rng.uniform(1, 20))
        )
        for index in range(600)
    ]

    def write() -> None:
        for start in range(0, len(later), 50):
            services.record_interactions(organisation, later[start : start + 50], now=now)

    def refresh() -> None:
        for _round in range(5):
            services.refresh_lapse(chunk_size=40)

    assert run_together(refresh, refresh, write) == []
    services.refresh_lapse()  # what the next round of the worker does
    assert not Customer.objects.filter(lapse_stale=True).exists()
    rule = lapse.LapseRule()
    for customer in Customer.objects.all():
        times = Interaction.objects.filter(customer=customer).values_list("occurred_at", flat=True)
        expected = lapse.rhythm_of(times, rule)
        assert (customer.visit_count, customer.last_interaction_at) == (
            expected.visits,
            expected.last_at,
        )


def test_concurrent_writers_of_one_interaction_store_it_once(organisation):
    services.upsert_customer(organisation, CustomerInput(external_id="C-1"))
    item = InteractionInput("same", "C-1", "visit", timezone.now() - timedelta(days=1))
    outcomes: list[str] = []

    def send() -> None:
        outcomes.extend(r.status for r in services.record_interactions(organisation, [item]))

    assert run_together(*([send] * 6)) == []
    assert sorted(outcomes) == ["created"] + ["duplicate"] * 5
    assert Interaction.objects.count() == 1


def test_concurrent_upserts_of_one_customer_create_it_once(organisation):
    outcomes: list[str] = []

    def send() -> None:
        item = CustomerInput(external_id="C-1", name="Ann")
        outcomes.extend(r.status for r in services.upsert_customers(organisation, [item]))

    assert run_together(*([send] * 6)) == []
    assert outcomes.count("created") == 1
    assert Customer.objects.count() == 1
