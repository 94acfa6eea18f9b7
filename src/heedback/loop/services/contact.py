"""A customer who is not satisfied opens a case themselves, from any survey or thank-you page.

The customer chooses whom to reach: the person responsible for the unit (its nearest
manager) or that person's manager (the next manager up the tree). The case is theirs,
high priority, due within a working day, and its owner is alerted at once. Only names
and roles are ever shown to the customer, never an address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from heedback.collect.models import SurveyLink
from heedback.core.errors import InvalidInput
from heedback.loop.choices import AlertTarget, CasePriority, CaseSource
from heedback.loop.models import Case
from heedback.loop.services.cases import CaseOpening, open_case
from heedback.loop.services.common import Actor, default_owner, managers_above
from heedback.orgs.models import Membership

RESPONSIBLE = "responsible"
MANAGER = "manager"
CONTACT_DUE_HOURS = 24
MAX_MESSAGE = 5000
MAX_NAME = 200


@dataclass(frozen=True)
class Contacts:
    """Who a customer of a unit can reach: the person responsible and their manager."""

    responsible: Membership | None
    manager: Membership | None


def contacts_for(link: SurveyLink) -> Contacts:
    """Return the unit's responsible person and the next manager above them."""
    responsible = default_owner(link.unit, None)
    manager = None
    if responsible is not None and responsible.unit is not None:
        above = managers_above(responsible.unit.parent, exclude={responsible.pk})
        manager = above[0] if above else None
    return Contacts(responsible, manager)


def public_name(member: Membership) -> str:
    """Return how a customer sees a member: their name and role, never their address."""
    name = member.user.get_full_name() or _("The manager")
    unit = member.unit.name if member.unit is not None else member.organisation.name
    return _("%(name)s, %(role)s, %(unit)s") % {
        "name": name,
        "role": member.get_role_display().lower(),
        "unit": unit,
    }


@dataclass(frozen=True)
class ContactRequest:
    link: SurveyLink
    message: str
    recipient: str = RESPONSIBLE
    name: str = ""
    email: str = ""
    phone: str = ""
    key: str = ""  # from the signed form: one case however often the form is sent


def _check(request: ContactRequest) -> None:
    errors = []
    if not request.message.strip():
        errors.append(("message", _("Tell us what went wrong.")))
    elif len(request.message) > MAX_MESSAGE:
        errors.append(("message", _("At most %d characters.") % MAX_MESSAGE))
    if len(request.name) > MAX_NAME:
        errors.append(("name", _("At most %d characters.") % MAX_NAME))
    if request.email.strip():
        try:
            validate_email(request.email.strip())
        except ValidationError:
            errors.append(("email", _("Enter a valid email address.")))
    elif not request.phone.strip():
        errors.append(("email", _("Give an email address or a phone number so we can answer.")))
    if len(request.phone) > 50:
        errors.append(("phone", _("At most 50 characters.")))
    if request.recipient not in (RESPONSIBLE, MANAGER):
        errors.append(("recipient", _("Choose whom to contact.")))
    if errors:
        raise InvalidInput.from_pairs(_("The message could not be sent."), errors)


def open_customer_case(request: ContactRequest, *, now: datetime | None = None) -> Case:
    """Open the case a customer asked for, owned by whom they chose, and alert the owner.

    A repeat of the same form (``key``) returns the case the first one opened.
    """
    _check(request)
    link = request.link
    external_key = f"contact:{request.key}" if request.key else ""
    if external_key:
        existing = Case.objects.filter(
            organisation_id=link.organisation_id, external_key=external_key
        ).first()
        if existing is not None:
            return existing
    contacts = contacts_for(link)
    owner = contacts.manager if request.recipient == MANAGER else None
    owner = owner or contacts.responsible
    lines = [
        _("From: %s") % (request.name.strip() or _("(no name given)")),
        _("Email: %s") % (request.email.strip() or "–"),
        _("Phone: %s") % (request.phone.strip() or "–"),
        _("Survey: %s") % link.survey.name,
        "",
        request.message.strip(),
    ]
    first_words = " ".join(request.message.split())[:80]
    try:
        with transaction.atomic():
            return open_case(
                CaseOpening(
                    organisation=link.organisation,
                    unit=link.unit,
                    title=_("A customer asks to be contacted: %s") % first_words,
                    priority=CasePriority.HIGH,
                    due_hours=CONTACT_DUE_HOURS,
                    owner=owner,
                    source=CaseSource.CUSTOMER,
                    alert=[AlertTarget.OWNER],
                    note="\n".join(lines),
                    actor=Actor(label=_("the customer")),
                    external_key=external_key,
                ),
                now=now,
            )
    except IntegrityError:  # the same form, sent twice at the same moment
        return Case.objects.get(organisation_id=link.organisation_id, external_key=external_key)
