"""The continuum router: the instrument, assessments, and the placement of a scope."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from heedback.continuum import internal, internal_out, presentation, selectors, services
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
)
from heedback.core.api_support import requires
from heedback.core.errors import InvalidInput
from heedback.orgs.models import Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_invalid

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
