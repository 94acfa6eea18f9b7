"""Fixtures of the collect tests: the customers' factories, for responses that name them."""

from tests.customers.conftest import add_visits, make_customer  # noqa: F401 (fixtures)
