"""Fixtures of the churn tests: customers with visits (customers' factories) who answer."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from heedback.collect.models import Response
from heedback.collect.services import Submission, submit_response
from tests.customers.conftest import add_visits, make_customer  # noqa: F401 (fixtures)

_keys = itertools.count(1)


def uneven_visits(last: datetime) -> list[datetime]:
    """Ten gaps of 4 to 13 days: at risk after about 10.75 days away, lapsed after 12.1."""
    times, moment = [last], last
    for gap in range(13, 3, -1):
        moment -= timedelta(days=gap)
        times.append(moment)
    return sorted(times)


@pytest.fixture
def answer(published_survey, hotel) -> Callable[..., Response]:
    """Return a function storing a customer's answer to the stay card at a given time."""

    def submit(customer, when: datetime, nps: int | None, *, comment: str = "", **answers):
        values = dict(answers)
        if nps is not None:
            values["nps"] = nps
        submission = Submission(
            survey=published_survey,
            unit=hotel,
            answers=values,
            idempotency_key=f"churn-{next(_keys)}",
            submitted_at=when,
            comment=comment,
            customer=customer,
        )
        return submit_response(submission).response

    return submit
