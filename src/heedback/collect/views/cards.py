"""Printable cards with a QR code per unit, and the short code a guest types from one."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from heedback.collect import cards
from heedback.collect.choices import Channel
from heedback.collect.models import SurveyLink
from heedback.collect.services import normalise_short_code
from heedback.core import ratelimit
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404


def _card(request: HttpRequest, link: SurveyLink) -> cards.Card:
    definition = link.survey.published_version.parsed()
    url = request.build_absolute_uri(reverse("respond", args=[link.token])) + f"?c={Channel.QR}"
    short_url = request.build_absolute_uri(reverse("short-code")).split("://", 1)[-1]
    return cards.Card(
        heading=definition.title,
        organisation=link.organisation.name,
        unit=link.unit.name,
        url=url,
        short_url=short_url,
        short_code=link.short_code,
        typing_hint=_("Scan the code, or go to"),
    )


@member_view(Permission.VIEW)
def link_card(request: HttpRequest, survey_id: int, unit_id: int, file_format: str) -> HttpResponse:
    """Return the printable card of one unit's link, as SVG or PDF."""
    link = get_scoped_or_404(
        SurveyLink.objects.select_related("survey__published_version", "unit", "organisation"),
        request.organisation,
        survey_id=survey_id,
        unit_id=unit_id,
    )
    if link.survey.published_version_id is None:
        raise Http404("The survey is not published")
    card = _card(request, link)
    filename = f"card-{link.survey_id}-{link.unit_id}.{file_format}"
    if file_format == "pdf":
        response = HttpResponse(cards.card_pdf(card), content_type="application/pdf")
    else:
        response = HttpResponse(cards.card_svg(card), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@never_cache
def short_code(request: HttpRequest, code: str = "") -> HttpResponse:
    """Open the survey of a typed code; unknown codes say so, and guessing is rate limited."""
    code = code or request.GET.get("code", "")
    error = ""
    if code:
        try:
            ratelimit.check("respond_address", request.META.get("REMOTE_ADDR", ""))
        except ratelimit.RateLimited as limited:
            page = render(
                request,
                "collect/short_code.html",
                {"error": _("Too many tries. Wait a minute."), "code": code},
                status=429,
            )
            page["Retry-After"] = str(limited.retry_after)
            return page
        link = (
            SurveyLink.objects.filter(short_code=normalise_short_code(code)).only("token").first()
        )
        if link is not None:
            return redirect(reverse("respond", args=[link.token]) + f"?c={Channel.QR}")
        error = _("No survey has this code. Check it on the card and try again.")
    page = render(
        request,
        "collect/short_code.html",
        {"error": error, "code": code},
        status=404 if error else 200,
    )
    page["Referrer-Policy"] = "no-referrer"
    return page
