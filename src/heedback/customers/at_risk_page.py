"""Whom to call this week: the at-risk list for a manager's subtree, and CSV exports.

The exports (the at-risk list and the lapsed customers) are what a win-back campaign will
take as its audience; they hold identified customers, so they need ``VIEW_CUSTOMERS``
and cover only the customers the member may see.
"""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from heedback.customers import at_risk, selectors
from heedback.customers.forms import CustomerFilterForm
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units

#: Lapsed customers per CSV export at most (newest lapses first).
LAPSED_EXPORT_LIMIT = 50_000


def _scope(request: HttpRequest) -> tuple[CustomerFilterForm, object]:
    """Return the filter form and the customers it narrows the visible ones to."""
    membership = request.membership
    form = CustomerFilterForm(
        visible_units(membership), selectors.value_tiers(request.organisation), request.GET or None
    )
    filters = form.filters()
    narrowed = selectors.CustomerFilters(text=filters.text, unit=filters.unit)
    customers = selectors.filter_customers(
        selectors.visible_customers(membership), narrowed, timezone.now()
    )
    return form, customers


@member_view(Permission.VIEW_CUSTOMERS)
def at_risk_customers(request: HttpRequest) -> HttpResponse:
    """List the customers to call, most urgent first, each with their reasons in words."""
    form, customers = _scope(request)
    ranked = at_risk.at_risk_list(request.organisation, customers, timezone.now())
    query = request.GET.urlencode()
    context = {
        "nav": "customers",
        "form": form,
        "ranked": ranked,
        "limit": at_risk.LIST_LIMIT,
        "query_string": query,
        "can_win_back": request.membership.has(Permission.EDIT_CUSTOMERS),
        "filter_values": [
            (name, value) for name in ("q", "unit") for value in request.GET.getlist(name) if value
        ],
    }
    return render(request, "customers/at_risk.html", context)


def _csv_response(filename: str) -> tuple[HttpResponse, csv.writer]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv.writer(response)


CONTACT_COLUMNS = ("customer_id", "external_id", "name", "email", "phone", "value_tier")


def _contact(customer) -> list[object]:
    return [
        customer.pk,
        customer.external_id,
        customer.name,
        customer.email,
        customer.phone,
        customer.value_tier,
    ]


@member_view(Permission.VIEW_CUSTOMERS)
def at_risk_csv(request: HttpRequest) -> HttpResponse:
    """Export the at-risk list as CSV: contact details, rank score, reason codes and words."""
    _form, customers = _scope(request)
    ranked = at_risk.at_risk_list(request.organisation, customers, timezone.now())
    response, writer = _csv_response("at-risk-customers.csv")
    writer.writerow([*CONTACT_COLUMNS, "score", "reason_codes", "reasons"])
    for item in ranked:
        writer.writerow(
            [
                *_contact(item.customer),
                item.score,
                " ".join(signal.code for signal in item.signals),
                " ".join(signal.message for signal in item.signals),
            ]
        )
    return response


@member_view(Permission.VIEW_CUSTOMERS)
def lapsed_csv(request: HttpRequest) -> HttpResponse:
    """Export the lapsed customers as CSV, most recently lapsed first."""
    _form, customers = _scope(request)
    now = timezone.now()
    lapsed = customers.filter(lapse_at__lt=now).order_by("-lapse_at", "-id")
    response, writer = _csv_response("lapsed-customers.csv")
    writer.writerow([*CONTACT_COLUMNS, "lapsed_since", "last_interaction_at"])
    for customer in lapsed[:LAPSED_EXPORT_LIMIT].iterator(chunk_size=2000):
        writer.writerow(
            [
                *_contact(customer),
                customer.lapse_at.isoformat(),
                customer.last_interaction_at.isoformat() if customer.last_interaction_at else "",
            ]
        )
    return response
