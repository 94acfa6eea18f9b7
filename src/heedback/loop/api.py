"""The loop router: cases and their follow-up, and rules."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from heedback.core.api_support import requires
from heedback.core.errors import InvalidInput
from heedback.loop import metrics, selectors, services
from heedback.loop.choices import CaseStatus, EventKind
from heedback.loop.models import Case, Rule
from heedback.loop.schemas import (
    CaseDetailOut,
    CaseFiltersIn,
    CasePage,
    CasePatchIn,
    EventIn,
    EventOut,
    LoopMetricsIn,
    LoopMetricsOut,
    RuleIn,
    RuleOut,
    TrialOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
)
from heedback.notify import services as notify_services
from heedback.notify.models import Webhook
from heedback.orgs.models import Membership, Organisation, Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404, get_scoped_or_invalid
from heedback.surveys.models import Survey

router = Router(tags=["cases"])


def _actor(request: HttpRequest) -> services.Actor:
    return services.Actor(label=f"API key {request.api_key.name}")


def _member_by_email(organisation: Organisation, field: str, email: str) -> Membership:
    member = (
        Membership.objects.for_org(organisation)
        .filter(user__email__iexact=email.strip())
        .select_related("user", "unit")
        .first()
    )
    if member is None:
        raise InvalidInput.from_pairs(
            "A referenced member does not exist.", [(field, "no member with this email")]
        )
    return member


def _case(request: HttpRequest, case_id: int) -> Case:
    return get_scoped_or_404(
        Case.objects.select_related("organisation", "unit"), request.organisation, pk=case_id
    )


def _detail(case_id: int) -> dict:
    case = selectors.for_api(Case.objects.filter(pk=case_id)).get()
    body = selectors.case_as_dict(case, now=timezone.now())
    body["events"] = [selectors.event_as_dict(event) for event in selectors.log_of(case)]
    return body


@router.get("/cases", response=CasePage)
@requires(Permission.VIEW)
def list_cases(request: HttpRequest, filters: Query[CaseFiltersIn]):
    """List cases: open ones most urgent first (by deadline), others newest first."""
    organisation = request.organisation
    unit = owner = None
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
    if filters.owner and filters.owner != "none":
        owner = _member_by_email(organisation, "owner", filters.owner).pk
    status = filters.status or "open"
    if status not in {"open", "all", *CaseStatus.values}:
        raise InvalidInput.from_pairs("The filters are not valid.", [("status", "unknown status")])
    now = timezone.now()
    query = selectors.CaseFilters(
        status=status,
        unit=unit,
        owner="none" if filters.owner == "none" else owner,
        is_overdue=filters.overdue,
        priority=filters.priority or "",
        response_id=filters.response,
    )
    cases = selectors.filter_cases(selectors.cases_of(organisation), query, me=None, now=now)
    # Page the ids first, then read the rows shown (see selectors.page_of).
    ids = list(cases.values_list("pk", flat=True)[filters.offset : filters.offset + filters.limit])
    rows = {case.pk: case for case in selectors.for_api(Case.objects.filter(pk__in=ids))}
    page = [rows[pk] for pk in ids if pk in rows]
    return {
        "count": cases.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "results": [selectors.case_as_dict(case, now=now) for case in page],
    }


@router.get("/cases/metrics", response=LoopMetricsOut, by_alias=True)
@requires(Permission.VIEW)
def case_metrics(request: HttpRequest, filters: Query[LoopMetricsIn]):
    """Return the loop's figures for cases opened in a period, per unit or per owner.

    ``from``/``to`` are days in the organisation's time zone (default: the last 30 days);
    ``unit`` narrows to a subtree, whose children are the rows of ``group_by=unit``.
    """
    organisation = request.organisation
    unit = None
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
    now = timezone.now()
    start, end = metrics.default_period(organisation, now)
    start, end = filters.from_ or start, filters.to or end
    if filters.from_ and not filters.to and start > end:
        end = start
    errors = metrics.period_errors(start, end)
    if errors:
        raise InvalidInput.from_pairs("The period is not valid.", errors)
    query = metrics.MetricsQuery(organisation, start, end, unit=unit, group_by=filters.group_by)
    return metrics.metrics_as_dict(metrics.loop_metrics(query, now=now))


@router.get("/cases/{case_id}", response=CaseDetailOut)
@requires(Permission.VIEW)
def get_case(request: HttpRequest, case_id: int):
    """Return a case with its whole log."""
    return _detail(_case(request, case_id).pk)


@router.patch("/cases/{case_id}", response=CaseDetailOut)
@requires(Permission.WRITE_API)
def patch_case(request: HttpRequest, case_id: int, payload: CasePatchIn):
    """Change a case's status, priority or owner (each only when given)."""
    case, actor = _case(request, case_id), _actor(request)
    given = payload.model_fields_set
    if "owner" in given:
        owner = None
        if payload.owner:
            owner = _member_by_email(request.organisation, "owner", payload.owner)
        case = services.assign_case(case, owner, actor=actor)
    if "priority" in given and payload.priority is not None:
        case = services.change_priority(case, payload.priority, actor=actor)
    if "status" in given and payload.status is not None:
        case = services.change_status(case, payload.status, actor=actor)
    return _detail(case.pk)


@router.post("/cases/{case_id}/events", response={201: EventOut})
@requires(Permission.WRITE_API)
def add_case_event(request: HttpRequest, case_id: int, payload: EventIn):
    """Add a note, a call, a reply (emailed to ``to`` when given), a resolution or a reopening."""
    case, actor = _case(request, case_id), _actor(request)
    if payload.kind == "resolve":
        resolution = services.Resolution(
            code=payload.resolution_code, root_cause=payload.root_cause, note=payload.body
        )
        services.resolve_case(case, resolution, actor=actor)
        event = case.events.filter(kind=EventKind.RESOLVED).latest("at", "pk")
    elif payload.kind == "reopen":
        services.reopen_case(case, reason=payload.body, actor=actor)
        event = case.events.filter(kind=EventKind.REOPENED).latest("at", "pk")
    else:
        follow_up = services.FollowUp(
            kind=payload.kind,
            body=payload.body,
            reached=payload.reached,
            solved=payload.solved,
            reply_to=payload.to,
        )
        event = services.add_event(case, follow_up, actor=actor)
    return Status(201, selectors.event_as_dict(event))


# --- rules --------------------------------------------------------------------------------


def _rule_input(request: HttpRequest, payload: RuleIn) -> services.RuleInput:
    organisation = request.organisation
    errors = []
    unit = survey = None
    if payload.unit is not None:
        unit = Unit.objects.for_org(organisation).filter(pk=payload.unit).first()
        if unit is None:
            errors.append(("unit", "not found"))
    if payload.survey is not None:
        survey = Survey.objects.for_org(organisation).filter(pk=payload.survey).first()
        if survey is None:
            errors.append(("survey", "not found"))
    return services.RuleInput(
        name=payload.name,
        description=payload.description,
        is_enabled=payload.is_enabled,
        conditions=payload.conditions,
        channels=payload.channels,
        unit=unit,
        survey=survey,
        opens_case=payload.opens_case,
        case_priority=payload.case_priority,
        case_due_hours=payload.case_due_hours,
        alert=payload.alert,
        tags=payload.tags,
        calls_webhooks=payload.calls_webhooks,
        errors=errors,
    )


@router.get("/rules", response=list[RuleOut], tags=["rules"])
@requires(Permission.VIEW)
def list_rules(request: HttpRequest):
    """List the organisation's rules by name."""
    return list(selectors.rules_of(request.organisation))


@router.post("/rules", response={201: RuleOut}, tags=["rules"])
@requires(Permission.WRITE_API)
def create_rule(request: HttpRequest, payload: RuleIn):
    """Create a rule; it acts on responses that arrive while it is enabled."""
    rule = services.create_rule(
        request.organisation, _rule_input(request, payload), actor=_actor(request)
    )
    return Status(201, rule)


@router.get("/rules/{rule_id}", response=RuleOut, tags=["rules"])
@requires(Permission.VIEW)
def get_rule(request: HttpRequest, rule_id: int):
    return get_scoped_or_404(Rule, request.organisation, pk=rule_id)


@router.put("/rules/{rule_id}", response=RuleOut, tags=["rules"])
@requires(Permission.WRITE_API)
def replace_rule(request: HttpRequest, rule_id: int, payload: RuleIn):
    """Replace a rule's definition (including whether it is enabled)."""
    rule = get_scoped_or_404(Rule, request.organisation, pk=rule_id)
    return services.update_rule(rule, _rule_input(request, payload), actor=_actor(request))


@router.get("/rules/{rule_id}/try", response=TrialOut, tags=["rules"])
@requires(Permission.VIEW)
def try_rule(request: HttpRequest, rule_id: int):
    """Return what the rule would have done over the last 30 days (nothing is written)."""
    rule = get_scoped_or_404(Rule.objects.select_related("unit"), request.organisation, pk=rule_id)
    result = services.try_rule(request.organisation, rule)
    return {
        "days": result.days,
        "examined": result.examined,
        "matched": result.matched,
        "would_open_cases": result.matched if result.opens_case else 0,
        "is_truncated": result.is_truncated,
        "by_unit": result.by_unit,
        "responses": [response.pk for response in result.samples],
    }


# --- webhooks -----------------------------------------------------------------------------


@router.get("/webhooks", response=list[WebhookOut], tags=["webhooks"])
@requires(Permission.VIEW)
def list_webhooks(request: HttpRequest):
    """List the organisation's webhooks (their secrets are never shown again)."""
    return list(Webhook.objects.for_org(request.organisation))


@router.post("/webhooks", response={201: WebhookCreatedOut}, tags=["webhooks"])
@requires(Permission.WRITE_API)
def create_webhook(request: HttpRequest, payload: WebhookIn):
    """Register a receiver of case events, signed per Standard Webhooks.

    Private, loopback, link-local and other non-public destinations are refused here and
    again at every delivery and redirect. The response carries the signing secret once.
    """
    created = notify_services.create_webhook(
        request.organisation,
        notify_services.WebhookInput(
            url=payload.url,
            description=payload.description,
            events=payload.events,
            format=payload.format,
        ),
    )
    webhook = created.webhook
    return Status(
        201,
        {
            "id": webhook.pk,
            "url": webhook.url,
            "description": webhook.description,
            "events": webhook.events,
            "format": webhook.format,
            "is_active": webhook.is_active,
            "created_at": webhook.created_at,
            "secret": created.secret,
        },
    )
