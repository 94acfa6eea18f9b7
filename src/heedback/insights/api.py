"""The insights router: metrics, cut and filtered."""

from django.http import HttpRequest
from ninja import Query, Router

from heedback.core.api_support import requires
from heedback.core.errors import InvalidInput
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
