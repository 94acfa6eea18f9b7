"""The customers router: customers and interactions in (one or a list), customers out."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Query, Router, Status

from heedback.core.api_lists import (
    OneOrMany,
    list_body,
    one_or_many_openapi,
    parse_item,
    parse_items,
)
from heedback.core.api_support import requires
from heedback.customers import at_risk, explain, lapse, selectors, services
from heedback.customers.inputs import CUSTOMER_FIELDS, CustomerInput, InteractionInput
from heedback.customers.models import Customer, Interaction
from heedback.customers.schemas import (
    AtRiskPage,
    CustomerBatchOut,
    CustomerFiltersIn,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    InteractionBatchOut,
    InteractionIn,
    InteractionOut,
)
from heedback.orgs.models import Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404, get_scoped_or_invalid

router = Router(tags=["customers"])


def _customer_input(payload: CustomerIn) -> CustomerInput:
    provided = frozenset(payload.model_fields_set) & frozenset(CUSTOMER_FIELDS)
    return CustomerInput(
        external_id=payload.external_id or "",
        email=payload.email or "",
        name=payload.name or "",
        phone=payload.phone or "",
        value_tier=payload.value_tier or "",
        attributes=payload.attributes or {},
        temperament=payload.temperament or "",
        provided=provided,
    )


def _interaction_input(payload: InteractionIn) -> InteractionInput:
    return InteractionInput(
        external_id=payload.external_id,
        customer_external_id=payload.customer,
        kind=payload.kind,
        occurred_at=payload.occurred_at,
        unit_id=payload.unit,
        staff_email=payload.staff or "",
        value=payload.value,
    )


@router.post(
    "/customers",
    response={200: CustomerOut | CustomerBatchOut, 201: CustomerOut},
    openapi_extra=one_or_many_openapi(CustomerIn),
)
@requires(Permission.WRITE_API)
def upsert_customers(request: HttpRequest, payload: Body[OneOrMany]):
    """Create or update customers by ``external_id`` (else ``email``): one object or a list.

    One object answers with the customer: 201 when created, 200 when it existed. A list
    (up to 1,000) answers 200 with each item's fate: created, updated, unchanged or invalid
    with its errors; items are independent. Sending the same data again changes nothing.
    """
    organisation = request.organisation
    if isinstance(payload, dict):
        parsed = parse_item(CustomerIn, payload, "The customer is not valid.")
        customer, created = services.upsert_customer(organisation, _customer_input(parsed))
        return Status(201 if created else 200, _customer_body(customer, organisation))
    items = parse_items(CustomerIn, payload, "The customer is not valid.", _customer_input)
    results = services.upsert_customers(organisation, items)
    return list_body(results, ("created", "updated", "unchanged", "invalid"))


@router.post(
    "/interactions",
    response={200: InteractionOut | InteractionBatchOut, 201: InteractionOut},
    openapi_extra=one_or_many_openapi(InteractionIn),
)
@requires(Permission.WRITE_API)
def record_interactions(request: HttpRequest, payload: Body[OneOrMany]):
    """Record interactions, idempotent by ``external_id``: one object or a list.

    Each names its customer by the customer's external id (a merged record's id leads to
    the customer it was merged into). One object answers 201 with the interaction, or 200
    with the stored one for a repeat. A list (up to 1,000) answers 200 with each item's
    fate: created, duplicate (with the stored id) or invalid with its errors.
    """
    organisation = request.organisation
    message = "The interaction is not valid."
    if isinstance(payload, dict):
        parsed = parse_item(InteractionIn, payload, message)
        interaction, created = services.record_interaction(organisation, _interaction_input(parsed))
        return Status(201 if created else 200, _interaction_body(interaction))
    items = parse_items(InteractionIn, payload, message, _interaction_input)
    results = services.record_interactions(organisation, items)
    return list_body(results, ("created", "duplicate", "invalid"))


@router.get("/customers", response=CustomerPage)
@requires(Permission.VIEW_CUSTOMERS)
def list_customers(request: HttpRequest, filters: Query[CustomerFiltersIn]):
    """List customers, filtered (``lapsed=true``, ``at_risk=true``, text, tier, unit), paged.

    Lapsed customers come most recently lapsed first, at-risk ones closest to lapsing first.
    """
    organisation = request.organisation
    unit = None
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
    now = timezone.now()
    customers = selectors.filter_customers(
        selectors.live_customers(organisation).select_related("temperament_set_by"),
        selectors.CustomerFilters(
            text=filters.q or "",
            lapsed=filters.lapsed,
            at_risk=filters.at_risk,
            temperament=filters.temperament or "",
            value_tier=filters.value_tier or "",
            unit=unit,
        ),
        now,
    )
    rule = selectors.lapse_rule(organisation)
    page = customers[filters.offset : filters.offset + filters.limit]
    return {
        "count": customers.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "results": [
            _customer_body(customer, organisation, rule=rule, now=now, stored=True)
            for customer in page
        ],
    }


@router.get("/customers/at-risk", response=AtRiskPage)
@requires(Permission.VIEW_CUSTOMERS)
def list_at_risk(request: HttpRequest, unit: int | None = None):
    """List whom to call this week: the at-risk customers, most urgent first, with reasons.

    Reasons come from every app: an unresolved case about their feedback, a falling
    score, a visit overdue by their own rhythm. ``unit`` narrows to customers served in
    that unit's subtree. At most ``LIST_LIMIT`` customers.
    """
    organisation = request.organisation
    customers = selectors.live_customers(organisation)
    if unit is not None:
        found = get_scoped_or_invalid(Unit, organisation, "unit", pk=unit)
        customers = selectors.filter_customers(
            customers, selectors.CustomerFilters(unit=found), timezone.now()
        )
    ranked = at_risk.at_risk_list(organisation, customers, timezone.now())
    return {
        "count": len(ranked),
        "results": [
            {
                "id": item.customer.pk,
                "external_id": item.customer.external_id,
                "name": item.customer.name,
                "email": item.customer.email,
                "phone": item.customer.phone,
                "score": item.score,
                "reasons": [
                    {"code": signal.code, "message": signal.message, "since": signal.since}
                    for signal in item.signals
                ],
            }
            for item in ranked
        ],
    }


@router.get("/customers/{customer_id}", response=CustomerOut)
@requires(Permission.VIEW_CUSTOMERS)
def get_customer(request: HttpRequest, customer_id: int):
    """Return a customer with their lapse status and its reasons.

    A record merged into another answers with ``merged_into`` set; its status is empty.
    """
    queryset = Customer.objects.filter(erased_at__isnull=True).select_related("temperament_set_by")
    customer = get_scoped_or_404(queryset, request.organisation, pk=customer_id)
    body = _customer_body(customer, request.organisation)
    if customer.merged_into_id is None:
        # The other apps' reasons (open cases, falling scores) join the lapse ones; a
        # customer with any of them is at risk unless lapsed already.
        signals = at_risk.signals_of(customer, timezone.now())
        body["reasons"] += [{"code": s.code, "message": s.message} for s in signals]
        body["at_risk"] = body["at_risk"] or (bool(signals) and not body["lapsed"])
    return body


def _customer_body(
    customer: Customer,
    organisation,
    *,
    rule: lapse.LapseRule | None = None,
    now=None,
    stored: bool = False,
) -> dict:
    """Return the API's view of a customer; ``stored`` reads the stored rhythm as it is."""
    rule = rule or selectors.lapse_rule(organisation)
    now = now or timezone.now()
    rhythm = customer.rhythm() if stored else selectors.current_rhythm(customer, rule)
    status = lapse.status_at(rhythm, now)
    set_by = customer.temperament_set_by
    return {
        "id": customer.pk,
        "external_id": customer.external_id,
        "email": customer.email,
        "name": customer.name,
        "phone": customer.phone,
        "value_tier": customer.value_tier,
        "attributes": customer.attributes,
        "temperament": customer.temperament or None,
        "temperament_source": customer.temperament_source or None,
        "temperament_set_by": set_by.email if set_by else None,
        "temperament_set_at": customer.temperament_set_at,
        "merged_into": customer.merged_into_id,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "first_interaction_at": rhythm.first_at,
        "last_interaction_at": rhythm.last_at,
        "lapsed": status.lapsed,
        "lapsed_since": status.lapsed_since,
        "at_risk": status.at_risk,
        "at_risk_since": status.at_risk_since,
        "reasons": explain.explain_status(status, rule),
        "rhythm": {
            "basis": rhythm.basis.value,
            "visits": rhythm.visits,
            "gaps": rhythm.gap_count,
            "typical_gap_days": _days(rhythm.typical_gap),
            "at_risk_after_days": _days(rhythm.at_risk_gap),
            "lapse_after_days": _days(rhythm.lapse_gap),
        },
        "lapse_pending": customer.lapse_stale and stored,
    }


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / lapse.SECONDS_PER_DAY, 2)


def _interaction_body(interaction: Interaction) -> dict:
    return {
        "id": interaction.pk,
        "external_id": interaction.external_id,
        "customer": interaction.customer_id,
        "customer_external_id": interaction.customer.external_id,
        "kind": interaction.kind,
        "occurred_at": interaction.occurred_at,
        "unit": interaction.unit_id,
        "staff": interaction.staff.email if interaction.staff else None,
        "value": interaction.value,
        "recorded_at": interaction.recorded_at,
    }
