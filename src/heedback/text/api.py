"""The text router: an organisation's themes and the search over its comments."""

from django.http import HttpRequest
from ninja import Query, Router

from heedback.collect.models import Response
from heedback.core.api_support import requires
from heedback.orgs.models import Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_invalid
from heedback.surveys.confidentiality import attributable
from heedback.surveys.models import Survey
from heedback.text import search, selectors
from heedback.text.schemas import SearchFilters, SearchPageOut, ThemeFilters, ThemeOut

router = Router(tags=["text"])


@router.get("/themes", response=list[ThemeOut])
@requires(Permission.VIEW)
def list_themes(request: HttpRequest, filters: Query[ThemeFilters]):
    """List the themes found in comments with volume, mean sentiment and the last two periods."""
    return selectors.themes_overview(request.organisation, status=filters.status, days=filters.days)


@router.get("/comments/search", response=SearchPageOut)
@requires(Permission.VIEW)
def search_comments(request: HttpRequest, filters: Query[SearchFilters]):
    """Search comments and text answers, newest first, with matches in ``<mark>``."""
    organisation = request.organisation
    # Employee answers are confidential: never listed one by one, so never searched.
    responses = Response.objects.for_org(organisation).filter(attributable())
    if filters.survey is not None:
        survey = get_scoped_or_invalid(Survey, organisation, "survey", pk=filters.survey)
        responses = responses.filter(survey=survey)
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
        responses = responses.filter(unit__path__startswith=unit.path)
    if filters.channel:
        responses = responses.filter(channel=filters.channel)
    if filters.from_:
        responses = responses.filter(local_date__gte=filters.from_)
    if filters.to:
        responses = responses.filter(local_date__lte=filters.to)
    page = search.search_texts(
        organisation, filters.q, responses=responses, limit=filters.limit, offset=filters.offset
    )
    return {
        "count": page.count,
        "count_capped": page.count_capped,
        "results": [
            {
                "response": hit.response_id,
                "question_key": hit.question_key,
                "submitted_at": hit.submitted_at,
                "sentiment_label": hit.sentiment_label,
                "snippet_html": hit.snippet_html,
            }
            for hit in page.hits
        ],
    }
