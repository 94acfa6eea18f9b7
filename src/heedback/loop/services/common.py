"""What the loop's services share: who acts, where deadlines count, who manages whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from heedback.loop.deadlines import Schedule, deadline_after
from heedback.loop.models import BusinessHours, LoopSettings
from heedback.orgs.models import Membership, Organisation, Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import managers_of


@dataclass(frozen=True)
class Actor:
    """Who does something to a case: a member, or the system or an API key (by name)."""

    membership: Membership | None = None
    label: str = ""

    @property
    def display(self) -> str:
        if self.membership is not None:
            return self.membership.user.email
        return self.label or "system"

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership is not None else None

    @property
    def user(self):
        return self.membership.user if self.membership is not None else None


SYSTEM = Actor(label="system")


def now_or(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def settings_of(organisation: Organisation) -> LoopSettings:
    """Return the organisation's loop settings, created with the defaults on first use."""
    loop_settings, _created = LoopSettings.objects.get_or_create(organisation=organisation)
    return loop_settings


def ancestor_paths(unit: Unit) -> list[str]:
    """Return the paths of ``unit`` and of every unit above it, deepest first."""
    return [unit.path[:end] for end in range(len(unit.path), 0, -Unit.PATH_STEP)]


def schedule_for(unit: Unit, organisation: Organisation) -> Schedule | None:
    """Return the business hours deadlines of ``unit`` count in (None: calendar hours).

    A unit keeps the hours set on it or on its nearest ancestor, else the organisation's.
    """
    rows = list(
        BusinessHours.objects.filter(organisation_id=unit.organisation_id)
        .filter(Q(unit__isnull=True) | Q(unit__path__in=ancestor_paths(unit)))
        .select_related("unit")
    )
    if not rows:
        return None
    chosen = max(rows, key=lambda row: len(row.unit.path) if row.unit_id else -1)
    return Schedule(
        time_zone=chosen.time_zone or organisation.time_zone,
        weekdays=frozenset(int(day) for day in chosen.weekdays),
        opens=chosen.opens,
        closes=chosen.closes,
    )


def due_after(start: datetime, hours: float, unit: Unit, organisation: Organisation) -> datetime:
    """Return the deadline ``hours`` of the unit's working time after ``start``."""
    return deadline_after(start, hours, schedule_for(unit, organisation))


def can_own_cases(membership: Membership) -> bool:
    return membership.has(Permission.WORK_CASES)


def default_owner(unit: Unit, staff_id: int | None) -> Membership | None:
    """Return who owns a case by default: the staff member who served, else the unit's manager.

    The staff member must still be a member who works cases; among several managers the
    longest-standing one is chosen, so the choice is stable.
    """
    if staff_id is not None:
        staff = (
            Membership.objects.filter(organisation_id=unit.organisation_id, user_id=staff_id)
            .select_related("user", "unit")
            .first()
        )
        if staff is not None and can_own_cases(staff):
            return staff
    managers = sorted(managers_of(unit), key=lambda member: member.pk)
    return managers[0] if managers else None


def managers_above(unit: Unit | None, exclude: set[int]) -> list[Membership]:
    """Return the nearest managers of ``unit`` or above it, skipping members in ``exclude``.

    When the nearest managers are all excluded (the owner manages the unit), look above
    their unit, and so on up to the root.
    """
    while unit is not None:
        managers = managers_of(unit)
        if not managers:
            return []
        chosen = [member for member in managers if member.pk not in exclude]
        if chosen:
            return sorted(chosen, key=lambda member: member.pk)
        unit = managers[0].unit.parent
    return []
