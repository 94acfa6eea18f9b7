"""Pages of the text app: the themes with their figures and curation, the comment search."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heedback.collect.models import Response
from heedback.core.errors import ServiceError
from heedback.orgs.access import member_view
from heedback.orgs.models import Membership
from heedback.orgs.permissions import Permission
from heedback.surveys.confidentiality import attributable
from heedback.surveys.selectors import domains_of
from heedback.text import search, selectors, services
from heedback.text.forms import ThemeCurationForm

RESULTS_PER_PAGE = 20


def _visible_responses(membership: Membership):
    """Return the responses a member may read: a unit-scoped role sees its subtree only."""
    # Employee answers are confidential: never listed one by one, so never searched.
    responses = Response.objects.for_org(membership.organisation).filter(attributable())
    if membership.is_unit_scoped:
        responses = responses.filter(unit__path__startswith=membership.unit.path)
    return responses


@member_view(Permission.VIEW)
def theme_list(request: HttpRequest) -> HttpResponse:
    """Show the themes found in comments with volume, sentiment and trend."""
    membership = request.membership
    scope = _visible_responses(membership) if membership.is_unit_scoped else None
    themes = selectors.themes_overview(request.organisation, responses=scope)
    return render(
        request,
        "text/theme_list.html",
        {
            "nav": "themes",
            "themes": themes,
            "may_curate": membership.has(Permission.EDIT_SURVEYS),
            "form": ThemeCurationForm(request.organisation),
            "domains": domains_of(request.organisation),
        },
    )


@member_view(Permission.EDIT_SURVEYS)
@require_POST
def theme_curate(request: HttpRequest) -> HttpResponse:
    """Apply one curation to one theme, then go back to the list."""
    form = ThemeCurationForm(request.organisation, request.POST)
    if not form.is_valid():
        errors = "; ".join(message for field in form.errors.values() for message in field)
        messages.error(request, _("Nothing was changed: %s") % errors)
        return redirect("theme-list", request.organisation.slug)
    data, theme = form.cleaned_data, form.cleaned_data["theme"]
    actions = {
        "rename": lambda: services.rename_theme(theme, data["name"]),
        "keywords": lambda: services.set_keywords(theme, form.keyword_list()),
        "domain": lambda: services.pin_domain(theme, data["domain"]),
        "merge": lambda: services.merge_themes(data["into"], [theme]),
        "split": lambda: services.split_theme(theme),
        "archive": lambda: services.archive_theme(theme),
    }
    try:
        actions[data["action"]]()
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The theme was updated."))
    return redirect("theme-list", request.organisation.slug)


@member_view(Permission.VIEW)
def comment_search(request: HttpRequest) -> HttpResponse:
    """Search the comments the member may read, newest first, with matches highlighted."""
    query = request.GET.get("q", "")[:200]
    page_number = Paginator(range(search.COUNT_CAP), RESULTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    found = search.search_texts(
        request.organisation,
        query,
        responses=_visible_responses(request.membership),
        limit=RESULTS_PER_PAGE,
        offset=page_number.start_index() - 1 if query else 0,
    )
    return render(
        request,
        "text/search.html",
        {"nav": "search", "query": query, "found": found, "page": page_number},
    )
