"""Template helpers of the customers pages."""

from django import template

from heedback.orgs.models import Membership
from heedback.orgs.permissions import Permission

register = template.Library()


@register.filter
def may_see_customers(membership: Membership | None) -> bool:
    """Return whether the member may see identified customers (the nav shows the list)."""
    return bool(membership and membership.has(Permission.VIEW_CUSTOMERS))
