"""The one scoping helper: every read of organisation data passes through here.

A member of organisation A asking for an object of organisation B gets the same 404 as
for an object that does not exist, so ids of other tenants cannot be probed.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.http import Http404

from heedback.core.errors import InvalidInput
from heedback.orgs.models import Organisation

ModelT = TypeVar("ModelT", bound=models.Model)

# The widest integer both databases store. An id beyond it cannot name a row, and passing
# it on makes SQLite raise OverflowError and PostgreSQL a DataError, so it is refused here.
BIGGEST_ID = 2**63 - 1


def _fits_the_database(lookup: dict[str, object]) -> bool:
    return all(
        not isinstance(value, int) or -BIGGEST_ID - 1 <= value <= BIGGEST_ID
        for value in lookup.values()
    )


def scoped(
    source: type[ModelT] | models.QuerySet[ModelT], organisation: Organisation
) -> models.QuerySet[ModelT]:
    """Return the rows of ``source`` (a model or a queryset) that belong to ``organisation``."""
    queryset = source._default_manager.all() if isinstance(source, type) else source
    return queryset.filter(organisation=organisation)


def get_scoped_or_404(
    source: type[ModelT] | models.QuerySet[ModelT], organisation: Organisation, **lookup: object
) -> ModelT:
    """Return the one row of ``organisation`` matching ``lookup``, or raise Http404."""
    if not _fits_the_database(lookup):
        raise Http404("Not found")
    try:
        return scoped(source, organisation).get(**lookup)
    except (models.ObjectDoesNotExist, ValueError, TypeError) as error:
        raise Http404("Not found") from error


def get_scoped_or_invalid(
    source: type[ModelT] | models.QuerySet[ModelT],
    organisation: Organisation,
    field: str,
    **lookup: object,
) -> ModelT:
    """Return the referenced row of ``organisation``, or raise InvalidInput naming ``field``.

    For an id inside a request body: the route exists, so the error is about the field,
    and a foreign organisation's id reads exactly like a missing one.
    """
    try:
        return get_scoped_or_404(source, organisation, **lookup)
    except Http404 as error:
        raise InvalidInput.from_pairs(
            "A referenced object does not exist.", [(field, "not found")]
        ) from error
