"""Fixtures of the loop tests: a hotel with a manager above a front-line member, and feedback."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime

import pytest

from heedback.collect.models import Response
from heedback.collect.services import Submission, submit_response
from heedback.orgs import services as org_services
from heedback.orgs.models import Membership, Unit

_keys = itertools.count(1)


@pytest.fixture
def region(organisation, root_unit) -> Unit:
    return org_services.create_unit(organisation, name="North", parent=root_unit, kind="region")


@pytest.fixture
def hotel(organisation, region) -> Unit:
    """The Harbour Hotel, inside the North region (overrides the suite's flat hotel)."""
    return org_services.create_unit(organisation, name="Harbour Hotel", parent=region)


@pytest.fixture
def director(organisation, region, make_member) -> Membership:
    """The manager of the region: the second step of an escalation."""
    return make_member(organisation, "manager", unit=region)


@pytest.fixture
def manager(organisation, hotel, make_member) -> Membership:
    """The hotel's manager: the owner of cases nobody served, the first escalation step."""
    return make_member(organisation, "manager", unit=hotel)


@pytest.fixture
def clerk(organisation, hotel, make_member) -> Membership:
    """A front-line member of the hotel who serves customers."""
    return make_member(organisation, "frontline", unit=hotel)


@pytest.fixture
def submit(published_survey, hotel) -> Callable[..., Response]:
    """Return a function storing a response to the stay card (NPS and ratings by key)."""

    def make(
        *,
        nps: int | None = 3,
        unit: Unit | None = None,
        channel: str = "web",
        served_by=None,
        comment: str = "",
        submitted_at: datetime | None = None,
        customer=None,
        **ratings: int,
    ) -> Response:
        answers = dict(ratings)
        if nps is not None:
            answers["nps"] = nps
        submission = Submission(
            survey=published_survey,
            unit=unit or hotel,
            answers=answers,
            idempotency_key=f"loop-{next(_keys)}",
            channel=channel,
            staff=served_by,
            comment=comment,
            submitted_at=submitted_at,
            customer=customer,
        )
        return submit_response(submission).response

    return make


@pytest.fixture
def make_customer(organisation):
    """Return a function creating a customer of the organisation through its service."""
    from heedback.customers import services as customer_services
    from heedback.customers.inputs import CustomerInput

    def make(email: str, **fields):
        customer, _created = customer_services.upsert_customer(
            organisation, CustomerInput(email=email, **fields)
        )
        return customer

    return make
