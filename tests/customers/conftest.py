"""Fixtures of the customers tests: customers and their interactions made through services."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from heedback.customers import services
from heedback.customers.inputs import CustomerInput, InteractionInput
from heedback.customers.models import Customer, Interaction

_numbers = itertools.count(1)

#: A fixed "now" for tests that need time under control.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def make_customer(organisation) -> Callable[..., Customer]:
    """Return a function creating a customer of ``organisation`` (or another) by service."""

    def make(external_id: str | None = None, organisation_=None, **fields) -> Customer:
        item = CustomerInput(
            external_id=external_id if external_id is not None else f"C-{next(_numbers)}",
            **fields,
        )
        customer, _created = services.upsert_customer(organisation_ or organisation, item)
        return customer

    return make


@pytest.fixture
def add_visits(organisation) -> Callable[..., list[Interaction]]:
    """Return a function recording visits of a customer at the given times."""

    def add(
        customer: Customer,
        times: Sequence[datetime],
        *,
        unit=None,
        value: Decimal | None = None,
        kind: str = "visit",
    ) -> list[Interaction]:
        items = [
            InteractionInput(
                external_id=f"I-{next(_numbers)}",
                customer_external_id=customer.external_id,
                kind=kind,
                occurred_at=when,
                unit_id=unit.pk if unit is not None else None,
                value=value,
            )
            for when in times
        ]
        results = services.record_interactions(
            customer.organisation, items, now=max(NOW, timezone.now())
        )
        assert all(result.status == "created" for result in results), results
        return list(Interaction.objects.filter(pk__in=[result.id for result in results]))

    return add


def every(days: float, count: int, *, last: datetime) -> list[datetime]:
    """Return ``count`` times ``days`` apart, the last one at ``last``."""
    return [last - timedelta(days=days * index) for index in reversed(range(count))]
