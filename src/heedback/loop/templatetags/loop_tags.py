"""Template helpers of the loop pages."""

from __future__ import annotations

from django import template

from heedback.orgs.permissions import Permission

register = template.Library()


@register.filter
def may(membership, permission: str) -> bool:
    """Tell whether ``membership`` holds ``permission`` ({% if membership|may:"work_cases" %})."""
    return bool(membership) and membership.has(Permission(permission))


@register.filter
def kinds_of(condition_form, field_name: str) -> str:
    """Return the condition kinds that use a field of a rule's condition row."""
    return condition_form.kinds_of(field_name)
