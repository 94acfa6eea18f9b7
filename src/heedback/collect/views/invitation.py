"""The respondent's pages of an emailed invitation: token exchange, draft, answer, unsubscribe.

Unlike a unit's link (``respond.py``, no cookie at all), an invitation belongs to one
person, so its token is traded on the first visit for an HttpOnly cookie and the address
is cleaned by a redirect: the token never stays in the address bar, history, server logs,
``Referer`` headers or anything stored with the response. The page then works with
Django's ordinary CSRF protection (it sends the referrer to its own origin only).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from heedback.collect import invitation_emails, invitations, selectors
from heedback.collect.forms import display_conditions, question_fields, read_answers
from heedback.collect.link_scanners import is_person_opening
from heedback.collect.models import Invitation, Response, SurveyLink
from heedback.core import ratelimit
from heedback.core.errors import Conflict, InvalidInput
from heedback.orgs.selectors import managers_of

COOKIE = "heedback_invitation"
DONE_COOKIE = "heedback_invitation_done"
COOKIE_PATH = "/i/"
COOKIE_MAX_AGE = 30 * 24 * 3600
DONE_SALT = "heedback.collect.invitation-done"


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


def _set_cookie(response: HttpResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


@never_cache
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """Trade the emailed token for a cookie and send the browser to the clean address.

    Every token gets the same answer (cookie and redirect), known, used or made up; the
    clean page then shows the same "not found" for unknown and used ones. Only a person's
    browser counts as opening it (``link_scanners``), not the mail gateway that fetched it.
    """
    invitation = selectors.invitation_by_token(token)
    if invitation is not None and is_person_opening(request.method, request.headers):
        invitations.record_opened(invitation)  # not a mail scanner's prefetch or a HEAD
    response = redirect("invitation-page")
    _set_cookie(response, COOKIE, token, COOKIE_MAX_AGE)
    return _private(response)


def _unknown(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "collect/invitation_unknown.html", status=404))


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest) -> HttpResponse:
    """Show the invitation's survey with the answers saved so far; save or send them."""
    invitation = selectors.invitation_by_token(request.COOKIES.get(COOKIE, ""))
    if invitation is None:
        return _unknown(request)
    survey = invitation.campaign.survey
    if not survey.is_published or survey.published_version_id is None:
        return _private(
            render(
                request,
                "collect/survey_closed.html",
                {"link": {"organisation": invitation.organisation, "unit": invitation.unit}},
                status=410,
            )
        )
    definition = survey.published_version.parsed()
    if request.method == "GET":
        return _form(request, invitation, definition, invitation.draft, {}, 200)
    values = read_answers(request.POST, definition)
    if request.POST.get("invitation") != str(invitation.pk):
        # A tab of another invitation, whose cookie this browser has since replaced by
        # opening a second email's link: its answers must not land in this one.
        message = _("This page was opened from another email. Open that email's link again.")
        return _form(request, invitation, definition, invitation.draft, {"form": [message]}, 409)
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = -1
    sending = request.POST.get("action") == "send"
    try:
        # Every save writes the draft: a flood through one invitation is slowed like a
        # flood of answers from one address, whatever address it comes from.
        ratelimit.check("invitation_token", invitation.token_hash)
        if sending:
            ratelimit.check("respond_address", request.META.get("REMOTE_ADDR", ""))
    except ratelimit.RateLimited as error:
        message = _("Too many answers were sent from here just now. Wait a minute.")
        page = _form(request, invitation, definition, values, {"form": [message]}, 429)
        page["Retry-After"] = str(error.retry_after)
        return page
    if sending:
        return _send(request, invitation, definition, values, revision)
    return _save(request, invitation, definition, values, revision)


def _save(request, invitation, definition, values, revision) -> HttpResponse:
    keys = {question.key for question in definition.questions}
    try:
        invitation.draft_revision = invitations.save_draft(
            invitation, revision, invitations.clean_draft(values, keys)
        )
    except invitations.InvitationGone:
        return _unknown(request)
    except Conflict as error:
        return _stale(request, invitation, definition, error)
    if request.headers.get("HX-Request"):
        return _private(
            render(
                request,
                "collect/partials/draft_state.html",
                {"revision": invitation.draft_revision, "saved": True},
            )
        )
    return _form(request, invitation, definition, values, {}, 200, saved=True)


def _send(request, invitation, definition, values, revision) -> HttpResponse:
    try:
        finished = invitations.finish_invitation(
            invitation, revision, values, language=definition.language
        )
    except invitations.InvitationGone:
        return _unknown(request)
    except Conflict as error:
        if "revision" in error.errors:
            return _stale(request, invitation, definition, error)
        return _form(request, invitation, definition, values, {"form": [error.message]}, 409)
    except InvalidInput as error:
        # Nothing is spent; what was typed is kept as the draft for the next visit.
        keys = {question.key for question in definition.questions}
        try:
            invitation.draft_revision = invitations.save_draft(
                invitation, revision, invitations.clean_draft(values, keys)
            )
        except Conflict as stale:
            return _stale(request, invitation, definition, stale)
        errors = {
            path.removeprefix("answers."): messages for path, messages in error.errors.items()
        }
        return _form(
            request, invitation, definition, values, errors or {"form": [error.message]}, 422
        )
    response = redirect("invitation-thanks")
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    _set_cookie(response, DONE_COOKIE, signing.dumps(finished.response.pk, salt=DONE_SALT), 3600)
    return _private(response)


def _stale(request, invitation, definition, error: Conflict) -> HttpResponse:
    """Show the newest saved answers instead of the old tab's, and say why."""
    fresh = Invitation.objects.get(pk=invitation.pk)
    invitation.draft, invitation.draft_revision = fresh.draft, fresh.draft_revision
    message = _("Your answers were changed in another window. Here they are as last saved.")
    if request.headers.get("HX-Request"):
        return _private(
            render(
                request,
                "collect/partials/draft_state.html",
                {"revision": invitation.draft_revision, "stale": message},
                status=200,
            )
        )
    return _form(request, invitation, definition, fresh.draft, {"form": [message]}, 409)


def _form(request, invitation, definition, values, errors, status, *, saved=False) -> HttpResponse:
    with translation.override(definition.language):
        return _private(
            render(
                request,
                "collect/invitation.html",
                {
                    "invitation": invitation,
                    "definition": definition,
                    "errors": errors,
                    "questions": question_fields(definition, values, errors),
                    "conditions": display_conditions(definition),
                    "revision": invitation.draft_revision,
                    "saved": saved,
                    "staff": invitation.staff,
                    "contacts": managers_of(invitation.unit),
                    "link": _unit_link(invitation.campaign.survey_id, invitation.unit),
                },
                status=status,
            )
        )


def _unit_link(survey_id: int, unit) -> SurveyLink | None:
    """Return the survey's public link of the unit: the way to the "not satisfied?" page."""
    return SurveyLink.objects.filter(survey_id=survey_id, unit=unit, is_active=True).first()


@never_cache
def invitation_thanks(request: HttpRequest) -> HttpResponse:
    """Thank the respondent; only the browser that just answered sees whom it answered."""
    try:
        response_id = signing.loads(
            request.COOKIES.get(DONE_COOKIE, ""), salt=DONE_SALT, max_age=3600
        )
    except signing.BadSignature:
        response_id = None
    answered = (
        Response.objects.select_related("survey__published_version", "unit")
        .filter(pk=response_id)
        .first()
        if isinstance(response_id, int)
        else None
    )
    definition = (
        answered.survey.published_version.parsed()
        if answered is not None and answered.survey.published_version_id
        else None
    )
    language = definition.language if definition else translation.get_language()
    with translation.override(language):
        return _private(
            render(
                request,
                "collect/thanks.html",
                {
                    "definition": definition,
                    "contacts": managers_of(answered.unit) if answered else [],
                    "link": _unit_link(answered.survey_id, answered.unit) if answered else None,
                    # The customers app offers its temperament quiz to an identified answer.
                    "answered": answered,
                },
            )
        )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_unsubscribe(request: HttpRequest, code: str) -> HttpResponse:
    """Ask to confirm (GET), unsubscribe (POST: the form, or a mail client's one-click).

    Exempt from CSRF by necessity: RFC 8058's one-click POST comes from the mail
    provider, with no cookie. The signed code can do nothing but unsubscribe.
    """
    invitation_id = invitation_emails.invitation_of_unsubscribe_code(code)
    invitation = (
        Invitation.objects.select_related("organisation").filter(pk=invitation_id).first()
        if invitation_id is not None
        else None
    )
    if invitation is None:
        return _unknown(request)
    if request.method == "POST":
        invitations.unsubscribe(invitation)
        return _private(
            render(request, "collect/unsubscribe.html", {"invitation": invitation, "done": True})
        )
    return _private(render(request, "collect/unsubscribe.html", {"invitation": invitation}))
