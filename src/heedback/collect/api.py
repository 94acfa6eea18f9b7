"""The collect router: responses in and out, and the public links of a survey."""

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status

from heedback.collect import selectors, services
from heedback.collect.models import Response
from heedback.collect.schemas import LinkOut, ResponseFilters, ResponseIn, ResponseOut, ResponsePage
from heedback.core.api_support import requires
from heedback.insights.selectors import MetricQuery, responses_in_scope
from heedback.orgs.models import Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404, get_scoped_or_invalid
from heedback.surveys.models import Survey

router = Router(tags=["responses"])


@router.post("/surveys/{survey_id}/responses", response={200: ResponseOut, 201: ResponseOut})
@requires(Permission.WRITE_API)
def submit_response(request: HttpRequest, survey_id: int, payload: ResponseIn):
    """Store a response; a repeat of the same ``idempotency_key`` returns the first one (200)."""
    survey = get_scoped_or_404(Survey, request.organisation, pk=survey_id)
    unit = get_scoped_or_invalid(Unit, request.organisation, "unit", pk=payload.unit)
    result = services.submit_response(
        services.Submission(
            survey=survey,
            unit=unit,
            answers=payload.answers,
            idempotency_key=payload.idempotency_key,
            channel=payload.channel,
            submitted_at=payload.submitted_at,
            comment=payload.comment,
            language=payload.language,
        )
    )
    stored = selectors.responses_with_answers(Response.objects.filter(pk=result.response.pk)).get()
    return Status(201 if result.created else 200, selectors.response_as_dict(stored))


@router.get("/surveys/{survey_id}/responses", response=ResponsePage)
@requires(Permission.VIEW)
def list_responses(request: HttpRequest, survey_id: int, filters: Query[ResponseFilters]):
    """List responses newest first, filtered by unit subtree, channel and period (paged)."""
    organisation = request.organisation
    survey = get_scoped_or_404(Survey, organisation, pk=survey_id)
    unit = None
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
    query = MetricQuery(
        organisation=organisation,
        survey=survey,
        metric="count",
        unit=unit,
        date_from=filters.from_,
        date_to=filters.to,
    )
    responses = responses_in_scope(query)
    if filters.channel:
        responses = responses.filter(channel=filters.channel)
    page = selectors.responses_with_answers(
        responses.order_by("-submitted_at", "-id")[filters.offset : filters.offset + filters.limit]
    )
    return {
        "count": responses.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "results": [selectors.response_as_dict(item) for item in page],
    }


@router.get("/responses/{response_id}", response=ResponseOut)
@requires(Permission.VIEW)
def get_response(request: HttpRequest, response_id: int):
    queryset = selectors.responses_with_answers(Response.objects.all())
    return selectors.response_as_dict(
        get_scoped_or_404(queryset, request.organisation, pk=response_id)
    )


@router.get("/surveys/{survey_id}/links", response=list[LinkOut])
@requires(Permission.VIEW)
def list_links(request: HttpRequest, survey_id: int):
    """List the public link of every unit (links exist once the survey is published)."""
    survey = get_scoped_or_404(Survey, request.organisation, pk=survey_id)
    links = survey.links.select_related("unit").order_by("unit__path")
    return [
        {
            "unit": link.unit_id,
            "unit_name": link.unit.name,
            "token": link.token,
            "url": request.build_absolute_uri(reverse("respond", args=[link.token])),
            "is_active": link.is_active,
        }
        for link in links
    ]
