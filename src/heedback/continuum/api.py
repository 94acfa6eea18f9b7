"""The continuum router: the instrument, assessments, and the placement of a scope."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from heedback.continuum import (
    internal,
    internal_out,
    plan_report,
    plan_services,
    presentation,
    selectors,
    services,
)
from heedback.continuum.choices import FACTOR_DESCRIPTIONS, Agreement, FactorChoice
from heedback.continuum.instrument import Level
from heedback.continuum.schemas import (
    AssessmentIn,
    AssessmentOut,
    InstrumentOut,
    InternalCustomersOut,
    InternalFilters,
    PlacementFilters,
    PlacementOut,
    PlanIn,
    PlanOut,
    PlanSummaryOut,
)
from heedback.core.api_support import requires
from heedback.core.errors import InvalidInput
from heedback.orgs.models import Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404, get_scoped_or_invalid
from heedback.surveys.models import Survey

router = Router(tags=["continuum"])


@router.get("/continuum/instrument", response=InstrumentOut)
@requires(Permission.VIEW)
def instrument(request: HttpRequest):
    """Return the statements asked today (the organisation's own ones last) with their ids."""
    current = selectors.instrument_for(request.organisation)
    return {
        "version": current.version,
        "scale": {
            "min": current.scoring.scale_min,
            "max": current.scoring.scale_max,
            "labels": [str(label) for _value, label in Agreement.choices],
        },
        "levels": [presentation.level_out(level) for level in Level],
        "factors": [
            {"key": key, "name": str(label), "description": str(FACTOR_DESCRIPTIONS[key])}
            for key, label in FactorChoice.choices
        ],
        "statements": [
            {
                "id": statement.id,
                "factor": str(statement.factor),
                "level": statement.level.key,
                "text": presentation.statement_text(statement),
                "is_custom": statement.is_custom,
            }
            for statement in current.statements
        ],
    }


@router.post("/continuum/assessments", response={201: AssessmentOut})
@requires(Permission.WRITE_API)
def create_assessment(request: HttpRequest, payload: AssessmentIn):
    """Submit one person's answers for the organisation or for ``unit``, and get its placement.

    Name the person in ``respondent``: a scope is placed from the latest assessment of each
    respondent, so answers sent under one name replace that name's earlier ones.
    """
    organisation = request.organisation
    unit = None
    if payload.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=payload.unit)
    label = payload.respondent.strip() or _("API key %s") % request.api_key.name
    assessment = services.record_assessment(
        services.AssessmentInput(
            organisation=organisation,
            unit=unit,
            answers=payload.answers,
            respondent=services.Respondent(None, label, "api"),
        )
    )
    return Status(
        201,
        {
            "id": assessment.pk,
            "unit": assessment.unit_id,
            "respondent": assessment.respondent_label,
            "instrument_version": assessment.instrument_version,
            "submitted_at": assessment.submitted_at,
            "placement": presentation.placement_out(selectors.placement_of(assessment)),
        },
    )


@router.get("/continuum/placement", response=PlacementOut)
@requires(Permission.VIEW)
def placement(request: HttpRequest, filters: Query[PlacementFilters]):
    """Place the organisation (or ``unit``) per factor and overall: self-assessed, from evidence
    with each indicator's value and the level it supports, and the next steps."""
    organisation = request.organisation
    unit = None
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
    report = selectors.placement_report(
        organisation, selectors.organisation_scope(organisation, unit)
    )
    return presentation.report_out(report, organisation)


@router.get("/continuum/internal-customers", response=InternalCustomersOut)
@requires(Permission.VIEW)
def internal_customers(request: HttpRequest, filters: Query[InternalFilters]):
    """Return the employee pulse per unit beside that unit's customer scores, and how the two
    correlate across units (Pearson and Spearman with 95 % intervals).

    Employee figures of fewer than five respondents are withheld: no value and no count.
    Without ``pulse`` or ``survey`` the newest open employee and customer surveys are used;
    without ``from`` and ``to``, all time.
    """
    organisation = request.organisation
    pulses, surveys = internal.pulse_surveys(organisation), internal.customer_surveys(organisation)
    pulse = internal.default_survey(pulses)
    if filters.pulse is not None:
        pulse = get_scoped_or_invalid(pulses, organisation, "pulse", pk=filters.pulse)
    survey = internal.default_survey(surveys)
    if filters.survey is not None:
        survey = get_scoped_or_invalid(surveys, organisation, "survey", pk=filters.survey)
    if filters.from_ and filters.to and filters.from_ > filters.to:
        raise InvalidInput.from_pairs(
            _("The period is not valid."), [("to", _("The end comes before the start."))]
        )
    report = internal.internal_customers(
        organisation,
        pulse=pulse,
        customer_survey=survey,
        date_from=filters.from_,
        date_to=filters.to,
        units=list(Unit.objects.for_org(organisation).order_by("path")),
    )
    return internal_out.report_out(report)


@router.get("/continuum/plans", response=list[PlanSummaryOut])
@requires(Permission.VIEW)
def list_plans(request: HttpRequest):
    """List the service plans, newest period first."""
    return [
        {
            "id": plan.pk,
            "name": plan.name,
            "starts_on": plan.starts_on,
            "ends_on": plan.ends_on,
            "survey": plan.survey_id,
        }
        for plan in plan_report.plans_of(request.organisation)
    ]


@router.post("/continuum/plans", response={201: PlanOut})
@requires(Permission.WRITE_API)
def create_plan(request: HttpRequest, payload: PlanIn):
    """Create a service plan with its targets, and return it against the actuals so far.

    ``metric`` is one of ``nps``, ``csat`` (share at 4-5), ``response_hours`` (median hours
    to a case's first action) and ``closed_in_time`` (share of decided cases resolved by
    their deadline). NPS and CSAT targets need ``survey``, a customer survey. ``unit``
    null means the whole organisation, ``channel`` empty every channel, ``segment`` (a
    customers' value tier, matched without regard to case) empty or null every customer;
    a segment no customer has yet is stored and flagged by ``segment_known`` false. Bad
    input is 422
    naming the field (``targets.0.target``); nothing is stored.
    """
    organisation = request.organisation
    survey = None
    if payload.survey is not None:
        survey = get_scoped_or_invalid(Survey, organisation, "survey", pk=payload.survey)
    units = {
        unit.pk: unit
        for unit in Unit.objects.for_org(organisation).filter(
            pk__in=[item.unit for item in payload.targets if item.unit is not None]
        )
    }
    missing = [
        (f"targets.{index}.unit", _("not found"))
        for index, item in enumerate(payload.targets)
        if item.unit is not None and item.unit not in units
    ]
    if missing:
        raise InvalidInput.from_pairs(_("The plan is not valid."), missing)
    targets = [
        plan_services.TargetInput(
            metric=item.metric,
            target=item.target,
            unit=units.get(item.unit) if item.unit is not None else None,
            channel=item.channel,
            segment=item.segment or "",
        )
        for item in payload.targets
    ]
    plan = plan_services.create_plan(
        plan_services.PlanInput(
            organisation=organisation,
            name=payload.name,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            survey=survey,
            targets=targets,
        )
    )
    return Status(201, plan_report.plan_out(plan_report.plan_report(plan)))


@router.get("/continuum/plans/{plan_id}", response=PlanOut)
@requires(Permission.VIEW)
def get_plan(request: HttpRequest, plan_id: int):
    """Return a plan with every target's actual, 95 % interval and standing."""
    plan = get_scoped_or_404(
        plan_report.plans_of(request.organisation), request.organisation, pk=plan_id
    )
    return plan_report.plan_out(plan_report.plan_report(plan))
