"""The text of invitation emails: placeholders, the link, the contact footer, unsubscribe.

Pure functions of an invitation, called by the sender inside its transaction; the emails
go to the outbox, never straight to SMTP.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from heedback.collect.invitations import token_of
from heedback.collect.models import Invitation, SurveyLink
from heedback.notify.models import OutboxMessage
from heedback.notify.services import Email
from heedback.orgs.selectors import managers_of

PLACEHOLDERS = ("customer name", "unit", "staff member")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
UNSUBSCRIBE_SALT = "heedback.collect.unsubscribe"
#: Stands for the token in an invitation link in the outbox; ``reveal_token`` puts it in.
LINK_MARK = "~link~"
_EMAIL_KEY = re.compile(r"invitation-(\d+)-step-\d+")


def placeholder_errors(text: str) -> list[str]:
    """Return what is wrong with the placeholders of a subject or body (empty: all good)."""
    problems = []
    for name in _PLACEHOLDER.findall(text):
        if name.strip().lower() not in PLACEHOLDERS:
            problems.append(
                _("Unknown placeholder {%(name)s}: use %(allowed)s.")
                % {"name": name, "allowed": ", ".join(f"{{{item}}}" for item in PLACEHOLDERS)}
            )
    if _PLACEHOLDER.sub("", text).count("{") or _PLACEHOLDER.sub("", text).count("}"):
        problems.append(_("A brace is not closed: write placeholders as {customer name}."))
    return problems


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each placeholder with its value (case and spaces inside braces forgiven)."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1).strip().lower(), ""), text)


def absolute(path: str) -> str:
    """Return an address for an email: absolute when HEEDBACK_BASE_URL is set."""
    return f"{settings.BASE_URL}{path}"


def unsubscribe_code(invitation: Invitation) -> str:
    """Return the signed code of the unsubscribe link (it can only unsubscribe)."""
    return signing.dumps(invitation.pk, salt=UNSUBSCRIBE_SALT)


def invitation_of_unsubscribe_code(code: str) -> int | None:
    """Return the invitation id signed into an unsubscribe code, or None."""
    try:
        value = signing.loads(code, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def _person(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else ""


def contact_line(invitation: Invitation) -> str:
    """Say how to reach the person responsible or their manager, now or at any time.

    First the "not satisfied?" page of the unit's link (it opens a case at once, rate
    limited like on the survey and thank-you pages), then the staff member who served and
    the unit's managers by address, for those who prefer to write.
    """
    lines = []
    link = SurveyLink.objects.filter(
        survey_id=invitation.campaign.survey_id, unit_id=invitation.unit_id, is_active=True
    ).first()
    if link is not None:
        url = absolute(reverse("customer-contact", args=[link.token]))
        lines.append(
            _("Not satisfied? Contact the person responsible or their manager: %(url)s")
            % {"url": url}
        )
    managers = [member.user for member in managers_of(invitation.unit)]
    people = [invitation.staff] if invitation.staff is not None else []
    people += [
        user for user in managers if invitation.staff is None or user.pk != invitation.staff_id
    ]
    if people:
        names = ", ".join(f"{_person(user)} <{user.email}>" for user in people)
        lines.append(_("Or write to %(names)s.") % {"names": names})
    return "\n".join(lines)


def compose(invitation: Invitation, step: int) -> Email:
    """Return the email of step ``step`` (0 the invitation, 1… the reminders)."""
    campaign = invitation.campaign
    survey = campaign.survey
    language = survey.published_version.parsed().language if survey.published_version_id else ""
    with translation.override(language or settings.LANGUAGE_CODE):
        values = {
            "customer name": invitation.customer.name or _("customer"),
            "unit": invitation.unit.name,
            "staff member": _person(invitation.staff) or _("our team"),
        }
        link = absolute(reverse("invitation-open", args=[LINK_MARK]))
        unsubscribe = absolute(
            reverse("invitation-unsubscribe", args=[unsubscribe_code(invitation)])
        )
        subject = fill(campaign.subject, values)
        if step:
            subject = _("Reminder: %(subject)s") % {"subject": subject}
        parts = [
            fill(campaign.body, values).strip(),
            _("Answer here (you can stop and come back through the same link):") + f"\n{link}",
            contact_line(invitation),
            _("%(organisation)s · %(unit)s")
            % {"organisation": invitation.organisation.name, "unit": invitation.unit.name},
            _("No more emails like this: %(url)s") % {"url": unsubscribe},
        ]
    return Email(
        to=[invitation.email],
        subject=subject[:200],
        body="\n\n".join(part for part in parts if part) + "\n",
        headers={
            # RFC 8058: the mail client's "unsubscribe" button POSTs to this address.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def reveal_token(message: OutboxMessage) -> dict:
    """Return the payload of an invitation email with its token in place of the mark.

    The token is derived from the invitation's nonce and the secret key at the moment
    the email leaves, so neither the outbox row nor anything else in the database holds
    a link that opens the survey. An invitation erased meanwhile leaves the mark, which
    opens nothing.
    """
    payload = message.payload
    match = _EMAIL_KEY.fullmatch(message.idempotency_key)
    nonce = (
        Invitation.objects.filter(pk=int(match.group(1))).values_list("nonce", flat=True).first()
        if match
        else None
    )
    if not nonce:
        return payload
    token = token_of(nonce)
    return {
        **payload,
        "body": payload["body"].replace(LINK_MARK, token),
        "html": payload.get("html", "").replace(LINK_MARK, token),
    }


def email_key(invitation: Invitation, step: int) -> str:
    """Return the outbox key of one email of an invitation: each step is sent once."""
    return f"invitation-{invitation.pk}-step-{step}"
