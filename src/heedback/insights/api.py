"""The insights router: metrics, cut and filtered."""

from django.http import HttpRequest
from ninja import Query, Router

from heedback.core.api_support import requires
from heedback.core.errors import InvalidInput
from heedback.insights.driver_schemas import (
    DriverFilters,
    DriversOut,
    GapFilters,
    GapOut,
    drivers_out,
    gap_out,
)
from heedback.insights.driver_selectors import DriverQuery, analyse_drivers
from heedback.insights.gap_selectors import GapQuery, perception_gap
from heedback.insights.schemas import MetricFilters, MetricOut
from heedback.insights.selectors import MetricQuery, compute_metric
from heedback.orgs.models import Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404, get_scoped_or_invalid
from heedback.surveys.models import Survey

router = Router(tags=["metrics"])


@router.get("/metrics", response=MetricOut)
@requires(Permission.VIEW)
def metrics(request: HttpRequest, filters: Query[MetricFilters]):
    """Compute ``metric`` (nps, csat, mean, ces, share_yes, count) of a survey question.

    ``group_by`` is one of none, unit, day, week, month, quarter, channel; ``unit`` filters
    to a unit's whole subtree; ``from``/``to`` are dates in the organisation's time zone.
    Figures are exact and current: rollups plus the responses not rolled up yet.
    """
    organisation = request.organisation
    survey = get_scoped_or_404(Survey, organisation, pk=filters.survey)
    unit = None
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
    if filters.from_ and filters.to and filters.from_ > filters.to:
        raise InvalidInput.from_pairs("The period is empty.", [("from", "must not be after 'to'")])
    result = compute_metric(
        MetricQuery(
            organisation=organisation,
            survey=survey,
            metric=filters.metric,
            question_key=filters.question,
            group_by=filters.group_by,
            unit=unit,
            date_from=filters.from_,
            date_to=filters.to,
        )
    )
    return {
        "metric": result.metric.key,
        "question": result.question.key if result.question else None,
        "unit": result.metric.unit,
        "results": [row.__dict__ for row in result.rows],
    }


@router.get("/drivers", response=DriversOut)
@requires(Permission.VIEW)
def key_drivers(request: HttpRequest, filters: Query[DriverFilters]):
    """Return the key drivers of a survey's outcome (NPS or an overall rating).

    Importance: standardised β with its test, and each domain's Shapley share of R², from
    the additive driver sums (instant for any period and unit). Performance: each domain's
    mean as a score 0–100. ``bootstrap=true`` adds percentile intervals from resampled
    responses (slower; capped and seeded).
    """
    organisation = request.organisation
    survey = get_scoped_or_404(Survey, organisation, pk=filters.survey)
    unit = _unit_or_invalid(organisation, filters.unit)
    _check_period(filters.from_, filters.to)
    result = analyse_drivers(
        DriverQuery(
            organisation=organisation,
            survey=survey,
            outcome_key=filters.outcome,
            unit=unit,
            date_from=filters.from_,
            date_to=filters.to,
            with_bootstrap=filters.bootstrap,
        )
    )
    return drivers_out(result)


@router.get("/perception-gap", response=GapOut)
@requires(Permission.VIEW)
def perception_gap_api(request: HttpRequest, filters: Query[GapFilters]):
    """Return staff self-ratings beside customer ratings per domain, overall and per unit.

    Scores are means on 0–100; the gap is staff minus customers, tested with Welch's t-test
    and corrected with Holm's method across the cells returned together.
    """
    organisation = request.organisation
    unit = _unit_or_invalid(organisation, filters.unit)
    _check_period(filters.from_, filters.to)
    result = perception_gap(
        GapQuery(organisation=organisation, unit=unit, date_from=filters.from_, date_to=filters.to)
    )
    return gap_out(result)


def _unit_or_invalid(organisation, unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    return get_scoped_or_invalid(Unit, organisation, "unit", pk=unit_id)


def _check_period(first, last) -> None:
    if first and last and first > last:
        raise InvalidInput.from_pairs("The period is empty.", [("from", "must not be after 'to'")])
