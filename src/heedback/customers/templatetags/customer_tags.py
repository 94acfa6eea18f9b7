"""Template helpers of the customers pages, and the customer's corner of other apps' pages."""

from django import template

from heedback.customers import selectors
from heedback.customers.guidance import VALUES
from heedback.customers.models import Customer
from heedback.orgs.models import Membership
from heedback.orgs.permissions import Permission

register = template.Library()


@register.filter
def may_see_customers(membership: Membership | None) -> bool:
    """Return whether the member may see identified customers (the nav shows the list)."""
    return bool(membership and membership.has(Permission.VIEW_CUSTOMERS))


@register.inclusion_tag("customers/partials/quiz_offer.html")
def temperament_quiz_offer(response: object) -> dict:
    """Offer the temperament quiz after an identified response, if the customer has none."""
    from heedback.customers.quiz_page import quiz_url

    customer = getattr(response, "customer", None)
    if not isinstance(customer, Customer) or not customer.is_active or customer.temperament:
        return {"url": ""}
    return {"url": quiz_url(customer)}


@register.inclusion_tag("customers/partials/how_to_talk.html", takes_context=True)
def how_to_talk(context: template.Context, customer: Customer | None) -> dict:
    """Show staff who the customer is (if they may see customers) and how to talk to them.

    For a case's page: the customer's temperament with the organisation's own paragraph
    on serving it, and a link to the customer's page.
    """
    if customer is None or not customer.is_active:
        return {"customer": None}
    request = context.get("request")
    membership = getattr(request, "membership", None)
    organisation = getattr(request, "organisation", None) or customer.organisation
    guidance = None
    if customer.temperament:
        guidance = selectors.guidance_of(organisation).get(customer.temperament)
    return {
        "customer": customer,
        "may_see": may_see_customers(membership),
        "organisation": organisation,
        "guidance": guidance,
        "values": VALUES.get(customer.temperament, ""),
    }
