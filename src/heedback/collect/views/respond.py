"""The respondent's pages (public, by link token) and the staff page of a survey's links."""

from __future__ import annotations

import uuid

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from heedback.collect import selectors, services
from heedback.collect.choices import Channel
from heedback.collect.forms import display_conditions, question_fields, read_answers
from heedback.collect.models import SurveyLink
from heedback.core import ratelimit
from heedback.core.errors import Conflict, InvalidInput
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import managers_of
from heedback.orgs.tenancy import get_scoped_or_404
from heedback.surveys.definition import SurveyDefinition
from heedback.surveys.models import Survey

# Channels a link may announce with ?c=…; the rest are set by staff or the API.
LINK_CHANNELS = {Channel.WEB, Channel.QR, Channel.EMAIL, Channel.KIOSK}
# A kiosk starts afresh for the next guest after a thank-you, or when left half answered.
KIOSK_RESTART_SECONDS = 8
KIOSK_IDLE_SECONDS = 90
FORM_TOKEN_SALT = "heedback.collect.respond"  # noqa: S105 (a signing namespace)
FORM_TOKEN_MAX_AGE = 7 * 24 * 3600


def form_token(link: SurveyLink, idempotency_key: str) -> str:
    """Sign the link and the submission's idempotency key into the form.

    The respondent page replaces Django's cookie-and-Origin CSRF check: it sends
    ``Referrer-Policy: no-referrer``, so browsers post with ``Origin: null``, and it sets no
    cookie at all (a kiosk must not carry anything from one guest to the next). The signed
    token binds a post to a form this server rendered for this link, and carries the
    idempotency key so that a double click or a replay stores one response.
    """
    return signing.dumps(
        {"link": link.pk, "key": idempotency_key}, salt=FORM_TOKEN_SALT, compress=True
    )


def read_form_token(link: SurveyLink, token: str) -> str | None:
    """Return the idempotency key signed into ``token`` for ``link``, or None if it is not valid."""
    try:
        payload = signing.loads(token, salt=FORM_TOKEN_SALT, max_age=FORM_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("link") != link.pk:
        return None
    key = payload.get("key")
    return key if isinstance(key, str) else None


def _public(response: HttpResponse) -> HttpResponse:
    # A survey link is a bearer token: it must not leak to other sites through Referer.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _unavailable(request: HttpRequest, link: SurveyLink | None) -> HttpResponse | None:
    if link is None:
        return _public(render(request, "collect/link_unknown.html", status=404))
    survey = link.survey
    if not link.is_active or not survey.is_published or survey.published_version_id is None:
        return _public(render(request, "collect/survey_closed.html", {"link": link}, status=410))
    return None


@csrf_exempt
@never_cache
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """Show the survey of a link and store the answers; errors are shown beside each question."""
    link = selectors.link_by_token(token)
    unavailable = _unavailable(request, link)
    if unavailable is not None:
        return unavailable
    definition = link.survey.published_version.parsed()
    channel = request.GET.get("c", Channel.WEB)
    channel = channel if channel in LINK_CHANNELS else Channel.WEB
    errors: dict[str, list[str]] = {}
    values: dict[str, object] = {}
    idempotency_key = uuid.uuid4().hex
    status = 200
    if request.method == "POST":
        values = read_answers(request.POST, definition)
        try:
            ratelimit.check("respond_address", request.META.get("REMOTE_ADDR", ""))
            ratelimit.check("respond_link", str(link.pk))
        except ratelimit.RateLimited as error:
            errors = {
                "form": [
                    _(
                        "Too many answers were sent from here just now. Wait a minute "
                        "and send them again; nothing you typed is lost."
                    )
                ]
            }
            page = _render_form(
                request, link, definition, values, errors, idempotency_key, channel, 429
            )
            page["Retry-After"] = str(error.retry_after)
            return page
        signed_key = read_form_token(link, request.POST.get("form_token", ""))
        if signed_key is None:
            errors = {"form": [_("This form has expired. Check your answers and send them again.")]}
            return _render_form(
                request, link, definition, values, errors, idempotency_key, channel, 400
            )
        idempotency_key = signed_key
        try:
            services.submit_response(
                services.Submission(
                    survey=link.survey,
                    unit=link.unit,
                    answers=values,
                    idempotency_key=idempotency_key,
                    channel=channel,
                    language=definition.language,
                    link=link,
                )
            )
        except (InvalidInput, Conflict) as error:
            errors = {
                path.removeprefix("answers."): messages for path, messages in error.errors.items()
            }
            if not errors:
                errors = {"form": [error.message]}
            status = 422
        else:
            thanks_url = reverse("respond-thanks", args=[token])
            return redirect(f"{thanks_url}?c=kiosk" if channel == Channel.KIOSK else thanks_url)
    return _render_form(request, link, definition, values, errors, idempotency_key, channel, status)


def _render_form(
    request: HttpRequest,
    link: SurveyLink,
    definition: SurveyDefinition,
    values: dict,
    errors: dict,
    idempotency_key: str,
    channel: str,
    status: int,
) -> HttpResponse:
    with translation.override(definition.language):
        return _public(
            render(
                request,
                "collect/respond.html",
                {
                    "link": link,
                    "definition": definition,
                    "errors": errors,
                    "values": values,
                    "form_token": form_token(link, idempotency_key),
                    "channel": channel,
                    "questions": question_fields(definition, values, errors),
                    "contacts": managers_of(link.unit),
                    "conditions": display_conditions(definition),
                    "kiosk_idle_seconds": KIOSK_IDLE_SECONDS if channel == Channel.KIOSK else 0,
                },
                status=status,
            )
        )


def thanks(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.link_by_token(token)
    if link is None:
        return _public(render(request, "collect/link_unknown.html", status=404))
    definition = (
        link.survey.published_version.parsed() if link.survey.published_version_id else None
    )
    language = definition.language if definition else translation.get_language()
    with translation.override(language):
        return _public(
            render(
                request,
                "collect/thanks.html",
                {
                    "link": link,
                    "definition": definition,
                    "contacts": managers_of(link.unit),
                    "is_kiosk": request.GET.get("c") == Channel.KIOSK,
                    "kiosk_restart_seconds": KIOSK_RESTART_SECONDS,
                },
            )
        )


@member_view(Permission.VIEW)
def survey_links(request: HttpRequest, survey_id: int) -> HttpResponse:
    """List each unit's public link (created for units added after publishing)."""
    survey = get_scoped_or_404(Survey, request.organisation, pk=survey_id)
    links = services.ensure_links(survey) if survey.published_version_id else []
    return render(
        request, "collect/survey_links.html", {"survey": survey, "links": links, "nav": "surveys"}
    )
