"""An organisation's invitation policy: how often a person may be invited, the reminders a
new campaign starts with, and the quiet hours in which no invitation email leaves.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from heedback.collect.models import Invitation, InvitationPolicy
from heedback.core.errors import InvalidInput
from heedback.orgs.models import Organisation
from heedback.orgs.services import record_audit

MAX_DAYS_BETWEEN = 365
MAX_REMINDERS = 5
MAX_REMINDER_INTERVAL_DAYS = 30


@dataclass(frozen=True)
class PolicyInput:
    """The policy as an administrator sets it; quiet hours both set or both empty."""

    days_between_invitations: int
    default_reminder_count: int
    default_reminder_interval_days: int
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None

    def problems(self) -> list[tuple[str, str]]:
        """Return (field, message) for every rule the policy breaks."""
        errors = []
        if not 0 <= self.days_between_invitations <= MAX_DAYS_BETWEEN:
            errors.append(
                ("days_between_invitations", _("Between 0 and %d days.") % MAX_DAYS_BETWEEN)
            )
        if not 0 <= self.default_reminder_count <= MAX_REMINDERS:
            errors.append(("default_reminder_count", _("Between 0 and %d.") % MAX_REMINDERS))
        if not 1 <= self.default_reminder_interval_days <= MAX_REMINDER_INTERVAL_DAYS:
            errors.append(
                (
                    "default_reminder_interval_days",
                    _("Between 1 and %d days.") % MAX_REMINDER_INTERVAL_DAYS,
                )
            )
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if (start is None) != (end is None):
            missing = "quiet_hours_end" if end is None else "quiet_hours_start"
            errors.append((missing, _("Give both ends of the quiet hours, or neither.")))
        elif start is not None and start == end:
            errors.append(("quiet_hours_end", _("The quiet hours must end at another time.")))
        return errors


def policy_of(organisation: Organisation) -> InvitationPolicy:
    """Return the organisation's invitation policy, created with the defaults on first use."""
    policy, _created = InvitationPolicy.objects.get_or_create(organisation=organisation)
    return policy


@transaction.atomic
def update_policy(
    organisation: Organisation, policy_input: PolicyInput, *, actor: AbstractBaseUser | None
) -> InvitationPolicy:
    """Save the organisation's invitation policy, all of it or nothing, and audit the change."""
    errors = policy_input.problems()
    if errors:
        raise InvalidInput.from_pairs(_("The invitation policy is not valid."), errors)
    policy = policy_of(organisation)
    values = policy_input.__dict__
    InvitationPolicy.objects.filter(pk=policy.pk).update(**values)
    record_audit(
        organisation,
        actor,
        "invitation_policy.update",
        organisation.slug,
        **{key: str(value) if value is not None else None for key, value in values.items()},
    )
    policy.refresh_from_db()
    return policy


def quiet_until(policy: InvitationPolicy | None, now: datetime, time_zone: str) -> datetime | None:
    """Return when the quiet hours around ``now`` end, or None when an email may leave now.

    Hours are read on the organisation's clock; a start after the end spans midnight.
    """
    if policy is None or policy.quiet_hours_start is None or policy.quiet_hours_end is None:
        return None
    local = now.astimezone(zoneinfo.ZoneInfo(time_zone))
    start, end, clock = policy.quiet_hours_start, policy.quiet_hours_end, local.time()
    spans_midnight = start > end
    is_quiet = (start <= clock or clock < end) if spans_midnight else start <= clock < end
    if not is_quiet:
        return None
    day = local.date() + timedelta(days=1) if spans_midnight and clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=local.tzinfo)


class QuietHours:
    """The quiet hours of the organisations of due invitations, read with one query."""

    def __init__(self, due: Iterable[Invitation]) -> None:
        organisations = {invitation.organisation_id for invitation in due}
        self.policies = {
            policy.organisation_id: policy
            for policy in InvitationPolicy.objects.filter(
                organisation_id__in=organisations, quiet_hours_start__isnull=False
            )
        }

    def send_time(self, invitation: Invitation, now: datetime) -> datetime | None:
        """Return when the invitation's email may leave: None for now, else the hours' end."""
        policy = self.policies.get(invitation.organisation_id)
        return quiet_until(policy, now, invitation.organisation.time_zone)
