"""The customer's own way in: "not satisfied? contact the person responsible or their manager".

A public page reached from every survey and thank-you page (by the link's token). It
opens a case directly. Against abuse, without a CAPTCHA service: a rate limit per address
and per link, a honeypot field people never see, and a signed form token that carries
when the form was shown (a form sent back faster than a person can type is refused, and
one older than a day has expired) and the key that makes a repeat open one case.
"""

from __future__ import annotations

import time
import uuid

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from heedback.collect.selectors import link_by_token
from heedback.core import ratelimit
from heedback.core.errors import InvalidInput
from heedback.loop.forms import ContactForm
from heedback.loop.services.contact import (
    ContactRequest,
    contacts_for,
    open_customer_case,
    public_name,
)

TOKEN_SALT = "heedback.loop.contact"  # noqa: S105 (a signing namespace)
TOKEN_MAX_AGE = 24 * 3600
MINIMUM_FILL_SECONDS = 3


def contact_token(link_id: int, key: str, *, shown_at: float | None = None) -> str:
    """Sign the link, the form's key and the moment the form was shown."""
    shown_at = time.time() if shown_at is None else shown_at
    return signing.dumps({"link": link_id, "key": key, "at": shown_at}, salt=TOKEN_SALT)


def read_contact_token(link_id: int, token: str, *, now: float | None = None) -> str:
    """Return the key of a valid token; raise InvalidInput (on "form") for any other."""
    now = time.time() if now is None else now
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        payload = None
    if not isinstance(payload, dict) or payload.get("link") != link_id:
        raise InvalidInput.from_pairs(
            _("This form has expired."), [("form", _("This form has expired: send it again."))]
        )
    if now - float(payload.get("at", now)) < MINIMUM_FILL_SECONDS:
        raise InvalidInput.from_pairs(
            _("Sent too fast."),
            [("form", _("That was quick: check your message and send it again."))],
        )
    return str(payload.get("key", ""))


def _public(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@csrf_exempt  # no cookie on public pages: the signed token binds the post (see collect)
@never_cache
def contact(request: HttpRequest, token: str) -> HttpResponse:
    """Show who is responsible and their manager, and open a case from the customer's message."""
    link = link_by_token(token)
    if link is None or not link.is_active:
        return _public(render(request, "collect/link_unknown.html", status=404))
    definition = (
        link.survey.published_version.parsed() if link.survey.published_version_id else None
    )
    with translation.override(definition.language if definition else translation.get_language()):
        return _public(_contact(request, link))


def _contact(request: HttpRequest, link) -> HttpResponse:
    contacts = contacts_for(link)
    form = ContactForm(request.POST if request.method == "POST" else None)
    status, case = 200, None
    if request.method == "POST":
        try:
            ratelimit.check("contact_address", request.META.get("REMOTE_ADDR", ""))
            ratelimit.check("contact_link", str(link.pk))
        except ratelimit.RateLimited as error:
            form.add_error(
                None, _("Too many messages were sent from here just now. Try again later.")
            )
            page = _render(request, link, contacts, form, status=429)
            page["Retry-After"] = str(error.retry_after)
            return page
        status = 422
        if form.is_valid():
            try:
                if form.cleaned_data.get("website"):  # the honeypot: only robots fill it in
                    raise InvalidInput.from_pairs(
                        _("Refused."), [("form", _("This message looks automated."))]
                    )
                key = read_contact_token(link.pk, request.POST.get("form_token", ""))
                case = open_customer_case(
                    ContactRequest(link=link, key=key, **form.request_fields())
                )
            except InvalidInput as error:
                _show(form, error)
            else:
                status = 200
    return _render(request, link, contacts, form, status=status, case=case)


def _show(form: ContactForm, error: InvalidInput) -> None:
    for field, messages in error.errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def _render(request, link, contacts, form, *, status: int, case=None) -> HttpResponse:
    context = {
        "link": link,
        "form": form,
        "case": case,
        "responsible": public_name(contacts.responsible) if contacts.responsible else "",
        "manager": public_name(contacts.manager) if contacts.manager else "",
        "owner": public_name(case.owner) if case is not None and case.owner_id else "",
        "form_token": contact_token(link.pk, uuid.uuid4().hex),
    }
    return render(request, "loop/contact.html", context, status=status)
