"""Reads of the orgs app."""

from __future__ import annotations

from django.db.models import QuerySet

from heedback.orgs.models import ApiKey, AuditEvent, Membership, Organisation, Unit


def units_of(organisation: Organisation) -> QuerySet[Unit]:
    """Return the organisation's units in tree order (parents before children)."""
    return Unit.objects.for_org(organisation).order_by("path")


def subtree(unit: Unit) -> QuerySet[Unit]:
    """Return ``unit`` and every unit below it."""
    return Unit.objects.filter(organisation_id=unit.organisation_id, path__startswith=unit.path)


def visible_units(membership: Membership) -> QuerySet[Unit]:
    """Return the units whose results ``membership`` may see.

    Managers see their unit's subtree and front-line staff their own unit's subtree;
    everyone else sees the whole organisation.
    """
    if membership.is_unit_scoped:
        return subtree(membership.unit).order_by("path")
    return units_of(membership.organisation)


def root_unit(organisation: Organisation) -> Unit | None:
    """Return the first root of the tree (the company unit made with the organisation)."""
    return units_of(organisation).filter(parent__isnull=True).first()


def memberships_of(organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.for_org(organisation)
        .select_related("user", "unit")
        .order_by("user__email")
    )


def memberships_of_user(user) -> QuerySet[Membership]:
    """Return the organisations a user belongs to, for the organisation switcher."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def api_keys_of(organisation: Organisation) -> QuerySet[ApiKey]:
    return ApiKey.objects.for_org(organisation).select_related("created_by", "survey")


def audit_of(organisation: Organisation) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_org(organisation).order_by("-at")


def managers_of(unit: Unit) -> list[Membership]:
    """Return the escalation contacts of ``unit``: the managers of it or of its nearest ancestor."""
    ancestors = [unit.path[:end] for end in range(len(unit.path), 0, -Unit.PATH_STEP)]
    managers = list(
        Membership.objects.filter(
            organisation_id=unit.organisation_id, role="manager", unit__path__in=ancestors
        ).select_related("user", "unit")
    )
    if not managers:
        return []
    deepest = max(len(member.unit.path) for member in managers)
    return [member for member in managers if len(member.unit.path) == deepest]
