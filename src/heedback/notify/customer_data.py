"""The notify app's part of an erasure: the outbox messages to or about the person.

Declared on ``NotifyConfig.customer_data`` (see ``customers/hooks.py``). The outbox sits
below every app and knows no customers, so it is reached by what it does hold: the
recipient's address and the text of the message. ``privacy.erase_customer`` passes the
person's emails, names and phone numbers before any app blanks them.
"""

from __future__ import annotations

from heedback.notify.services import blank_messages
from heedback.orgs.models import Organisation

NAME = "outbox"


def erase_identifiers(organisation: Organisation, identifiers) -> int:
    """Empty the messages sent or queued to the person, or mentioning them."""
    return blank_messages(
        organisation,
        addresses=identifiers.emails,
        mentions=[*identifiers.emails, *identifiers.names, *identifiers.phones],
    )
