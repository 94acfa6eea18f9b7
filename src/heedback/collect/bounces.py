"""Bounces the outbox itself saw: the mail server refused an invitation email for good.

``notify`` calls ``invitation_refused`` (declared on ``CollectConfig.delivery_refused``)
in the transaction that gives the message up, so the bounce and the message's end are
recorded together. A 4xx is not a bounce: the outbox retries it.
"""

from __future__ import annotations

import re

from heedback.collect import invitations
from heedback.collect.models import Invitation
from heedback.notify.models import OutboxMessage

_KEY = re.compile(r"invitation-(\d+)-step-\d+")


def invitation_refused(message: OutboxMessage) -> None:
    """Count the invitation bounced, suppress its address and stop its reminders."""
    matched = _KEY.fullmatch(message.idempotency_key)
    if matched is None:
        return
    invitation = (
        Invitation.objects.select_related("organisation").filter(pk=matched.group(1)).first()
    )
    if invitation is not None:
        invitations.record_bounce(invitation.organisation, invitation.email)
