"""The continuum router: the instrument, assessments, and the placement of a scope."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from heedback.continuum import presentation, selectors, services
from heedback.continuum.choices import FACTOR_DESCRIPTIONS, Agreement, FactorChoice
from heedback.continuum.instrument import Level
from heedback.continuum.schemas import (
    AssessmentIn,
    AssessmentOut,
    InstrumentOut,
    PlacementFilters,
    PlacementOut,
)
from heedback.core.api_support import requires
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
