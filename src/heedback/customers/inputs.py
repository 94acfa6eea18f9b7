"""What the adapters hand to the services: typed, narrow inputs, and their checks.

Checks return (field path, message) pairs rather than raising, so that every problem of
an item is reported at once, and a batch can report each item's own problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from heedback.customers.choices import InteractionKind, Temperament

MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 60
MAX_ATTRIBUTE_TEXT = 500
MAX_VALUE = Decimal("999999999999.99")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()./-]{2,38}$")
# A clock a little fast on the sender's side must not reject an interaction.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)

KINDS = frozenset(InteractionKind.values)
TEMPERAMENTS = frozenset(Temperament.values)

#: The fields of a customer that an upsert may set; the others keep their value.
CUSTOMER_FIELDS = ("email", "name", "phone", "value_tier", "attributes", "temperament")


@dataclass(frozen=True)
class CustomerInput:
    """A customer as an integration, an import or a form describes it.

    ``provided`` names the fields the sender gave: an upsert changes those and leaves the
    others as they are, so a system that knows only emails never blanks a name.
    """

    external_id: str = ""
    email: str = ""
    name: str = ""
    phone: str = ""
    value_tier: str = ""
    attributes: dict[str, object] = field(default_factory=dict)
    temperament: str = ""
    provided: frozenset[str] = frozenset(CUSTOMER_FIELDS)

    def normalised(self) -> CustomerInput:
        """Return the input with identifiers trimmed and the email in lower case."""
        return CustomerInput(
            external_id=self.external_id.strip(),
            email=self.email.strip().lower(),
            name=self.name.strip(),
            phone=self.phone.strip(),
            value_tier=self.value_tier.strip(),
            attributes=dict(self.attributes),
            temperament=self.temperament.strip().lower(),
            provided=self.provided,
        )

    def problems(self) -> list[tuple[str, str]]:
        """Return (field, message) for every rule the (normalised) input breaks."""
        found: list[tuple[str, str]] = []
        if not self.external_id and not self.email:
            found.append(("external_id", _("Give an external_id or an email.")))
        found.extend(_length("external_id", self.external_id, 200))
        found.extend(_length("name", self.name, 200))
        found.extend(_length("value_tier", self.value_tier, 40))
        if self.email:
            try:
                validate_email(self.email)
            except ValidationError:
                found.append(("email", _("Enter a valid email address.")))
        if self.phone and not PHONE_PATTERN.match(self.phone):
            found.append(("phone", _("Use digits, spaces and + ( ) . / - only.")))
        if self.temperament and self.temperament not in TEMPERAMENTS:
            found.append(("temperament", _choose(Temperament.values)))
        found.extend(attribute_problems(self.attributes))
        return found


def attribute_problems(attributes: object) -> list[tuple[str, str]]:
    """Check that attributes are a small flat mapping of names to plain values."""
    if not isinstance(attributes, dict):
        return [("attributes", _("Give attributes as an object of names and values."))]
    found = []
    if len(attributes) > MAX_ATTRIBUTES:
        found.append(("attributes", _("At most %d attributes.") % MAX_ATTRIBUTES))
    for key, value in attributes.items():
        path = f"attributes.{key}"
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_ATTRIBUTE_KEY:
            found.append((path, _("Name attributes with 1–60 characters.")))
        elif isinstance(value, str) and len(value) > MAX_ATTRIBUTE_TEXT:
            found.append((path, _("At most %d characters.") % MAX_ATTRIBUTE_TEXT))
        elif value is not None and not isinstance(value, str | int | float | bool):
            found.append((path, _("Use text, a number, true/false or null.")))
    return found


@dataclass(frozen=True)
class InteractionInput:
    """An interaction as an integration or an import describes it.

    The customer is named by their external id; ``unit_id`` and ``staff_email`` are checked
    against the organisation by the service.
    """

    external_id: str
    customer_external_id: str
    kind: str
    occurred_at: datetime
    unit_id: int | None = None
    staff_email: str = ""
    value: Decimal | None = None

    def problems(self, now: datetime) -> list[tuple[str, str]]:
        """Return (field, message) for every rule the input breaks on its own."""
        found: list[tuple[str, str]] = []
        if not self.external_id.strip():
            found.append(("external_id", _("Give the interaction's external id.")))
        found.extend(_length("external_id", self.external_id, 200))
        if not self.customer_external_id.strip():
            found.append(("customer", _("Name the customer by their external id.")))
        if self.kind not in KINDS:
            found.append(("kind", _choose(InteractionKind.values)))
        when = self.occurred_at
        if when.tzinfo is not None and when > now + CLOCK_SKEW:
            found.append(("occurred_at", _("An interaction cannot be in the future.")))
        if when.tzinfo is not None and when < EARLIEST:
            found.append(("occurred_at", _("An interaction cannot be before 1900.")))
        if self.value is not None and not self.value.is_finite():
            found.append(("value", _("Give a finite amount.")))
        elif self.value is not None and abs(self.value) > MAX_VALUE:
            found.append(("value", _("The amount is too large.")))
        return found


def _length(path: str, text: str, limit: int) -> list[tuple[str, str]]:
    if len(text) > limit:
        return [(path, _("At most %d characters.") % limit)]
    return []


def _choose(values: list[str]) -> str:
    return _("Choose one of: %s.") % ", ".join(values)
