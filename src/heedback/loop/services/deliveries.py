"""Send again the alerts and webhooks that gave up, and say who did."""

from __future__ import annotations

from django.db import transaction

from heedback.loop.services.common import Actor
from heedback.notify.services import retry_dead_message
from heedback.orgs.models import Organisation
from heedback.orgs.services import record_audit


def retry_delivery(organisation: Organisation, message_id: int, *, actor: Actor) -> bool:
    """Queue a message that gave up for one more try now; record it in the audit log.

    Return False (and record nothing) when the message is not the organisation's or no
    longer waits to be sent again.
    """
    with transaction.atomic():
        if not retry_dead_message(organisation, message_id):
            return False
        record_audit(organisation, actor.user, "outbox.retry", str(message_id))
    return True
