"""Send each person their digest once per period, at their hour, in their time zone.

``send_due_digests`` is a periodic job. It takes the subscriptions whose moment has come
(row locked, skipped by other workers), writes the digest to the outbox with the key
person × period, and moves the moment on, all in one transaction: a worker killed
half-way leaves the row due, and the key makes a second run write nothing new.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from heedback.core.errors import InvalidInput
from heedback.loop.choices import DigestFrequency
from heedback.loop.digest_schedule import next_send_at, period_before
from heedback.loop.digests import build_digest, digest_email
from heedback.loop.models import DigestSubscription
from heedback.loop.services.common import now_or
from heedback.notify.services import enqueue_email
from heedback.orgs.models import Membership
from heedback.orgs.permissions import ROLE_PERMISSIONS, Permission

BATCH = 20
_WEEKLY_BY_DEFAULT = {
    role for role, granted in ROLE_PERMISSIONS.items() if Permission.WORK_CASES in granted
}


def digest_zone(subscription: DigestSubscription) -> str:
    return subscription.time_zone or subscription.membership.organisation.time_zone


def _schedule(subscription: DigestSubscription, after: datetime) -> datetime | None:
    return next_send_at(
        after,
        frequency=subscription.frequency,
        time_zone=digest_zone(subscription),
        hour=subscription.hour,
        weekday=subscription.weekday,
    )


def ensure_subscriptions(now: datetime) -> int:
    """Give every member without one a subscription: weekly if they work cases, else off."""
    missing = list(
        Membership.objects.filter(digest_subscription__isnull=True).select_related("organisation")
    )
    rows = []
    for membership in missing:
        frequency = (
            DigestFrequency.WEEKLY if membership.role in _WEEKLY_BY_DEFAULT else DigestFrequency.OFF
        )
        row = DigestSubscription(
            organisation_id=membership.organisation_id, membership=membership, frequency=frequency
        )
        row.next_digest_at = next_send_at(
            now, frequency=frequency, time_zone=membership.organisation.time_zone, hour=row.hour
        )
        rows.append(row)
    DigestSubscription.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def send_due_digests(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Write the digests whose moment has come to the outbox; return how many were written."""
    now = now_or(now)
    ensure_subscriptions(now)
    written = 0
    for _round in range(limit):
        with transaction.atomic():
            subscription = (
                DigestSubscription.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("membership__organisation", "membership__user", "membership__unit")
                .filter(next_digest_at__lte=now)
                .order_by("next_digest_at", "pk")
                .first()
            )
            if subscription is None:
                break
            written += _send(subscription, now)
    return written


def _send(subscription: DigestSubscription, now: datetime) -> int:
    """Write one digest (unless it says nothing) and schedule the next; return 1 if written."""
    due = subscription.next_digest_at
    frequency, zone = subscription.frequency, digest_zone(subscription)
    membership = subscription.membership
    written = 0
    if frequency != DigestFrequency.OFF and membership.user.is_active:
        period = period_before(due, frequency=frequency, time_zone=zone)
        digest = build_digest(membership, period, frequency=frequency, now=now)
        if not digest.is_empty:
            enqueue_email(
                digest_email(digest),
                key=f"digest-{membership.pk}-{frequency}-{period.key}",
                organisation=membership.organisation,
            )
            written = 1
        subscription.last_period = period.key
    # From now, not from the missed moment: a worker that was down sends one digest, not many.
    subscription.next_digest_at = _schedule(subscription, max(due, now))
    subscription.save(update_fields=["next_digest_at", "last_period"])
    return written


@dataclass(frozen=True)
class DigestPreference:
    frequency: str
    hour: int = 7
    weekday: int = 0
    time_zone: str = ""


def subscription_of(membership: Membership, *, now: datetime | None = None) -> DigestSubscription:
    """Return the member's subscription, created with the default on first use."""
    ensure_subscriptions(now_or(now))
    return DigestSubscription.objects.get(membership=membership)


def set_digest_preference(
    membership: Membership, preference: DigestPreference, *, now: datetime | None = None
) -> DigestSubscription:
    """Change how often and when the member gets their digest; the next moment follows."""
    now = now_or(now)
    errors = []
    if preference.frequency not in DigestFrequency.values:
        errors.append(("frequency", _("Choose one of: %s.") % ", ".join(DigestFrequency.values)))
    if not 0 <= preference.hour <= 23:
        errors.append(("hour", _("Give an hour from 0 to 23.")))
    if not 0 <= preference.weekday <= 6:
        errors.append(("weekday", _("Give a day from 0 (Monday) to 6 (Sunday).")))
    if preference.time_zone and preference.time_zone not in zoneinfo.available_timezones():
        errors.append(("time_zone", _("Unknown time zone.")))
    if errors:
        raise InvalidInput.from_pairs(_("The digest settings are not valid."), errors)
    subscription = subscription_of(membership, now=now)
    with transaction.atomic():
        subscription = DigestSubscription.objects.select_for_update().get(pk=subscription.pk)
        subscription.frequency = preference.frequency
        subscription.hour = preference.hour
        subscription.weekday = preference.weekday
        subscription.time_zone = preference.time_zone
        subscription.next_digest_at = _schedule(subscription, now)
        subscription.save()
    return subscription
