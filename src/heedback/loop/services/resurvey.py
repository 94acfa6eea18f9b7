"""The re-survey: on resolution, ask the customer "Is your problem solved?"; a "no" reopens.

The question goes out as an invitation of the collect app (a token link, the invitation
page with its draft and one answer, unsubscribe), of one campaign per organisation made
on first use around a one-question survey. It is sent in the transaction that resolves
the case, straight to the outbox: a campaign's 30-day throttle is for unsolicited
surveys, not for the follow-up of a complaint, but an address that unsubscribed or
bounced (``collect.selectors.may_email``) is never emailed. The answer comes back as a
response of that survey; the evaluation job hands it to ``record_resurvey_answer``
instead of the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as _noop

from heedback.collect import campaigns
from heedback.collect.models import Campaign, Invitation, Response
from heedback.collect.selectors import may_email
from heedback.collect.services import publish_and_open_links
from heedback.customers.models import Customer
from heedback.loop.choices import EventKind
from heedback.loop.models import Case, CaseEvent, LoopSettings
from heedback.orgs.models import Organisation
from heedback.surveys.services import create_survey

QUESTION = "problem_solved"
SOURCE_PREFIX = "case:"
SURVEY_NAME = _noop("Re-survey: is your problem solved?")
CAMPAIGN_NAME = _noop("Re-survey after a resolved case")
SUBJECT = _noop("Is your problem solved?")
BODY = _noop(
    "Hello {customer name},\n\n"
    "You told us about a problem at {unit}, and {staff member} worked on it. "
    "Is it solved now? One question, one click."
)


def resurvey_definition() -> dict:
    """Return the one-question survey of the re-survey (plus room for a word)."""
    return {
        "title": _(SUBJECT),
        "intro": _("You told us about a problem. We want to be sure it is solved."),
        "kind": "customer",
        "questions": [
            {"key": QUESTION, "type": "yes_no", "text": _(SUBJECT), "required": True},
            {"key": "comment", "type": "text", "text": _("Anything you want to add?")},
        ],
    }


def resurvey_campaign(organisation: Organisation) -> Campaign:
    """Return the organisation's re-survey campaign, made (with its survey) on first use.

    Call inside a transaction: the settings row is locked so that two resolutions at
    once make one campaign.
    """
    loop_settings, _created = LoopSettings.objects.get_or_create(organisation=organisation)
    loop_settings = LoopSettings.objects.select_for_update().get(pk=loop_settings.pk)
    if loop_settings.resurvey_campaign_id is not None:
        return Campaign.objects.select_related("survey").get(pk=loop_settings.resurvey_campaign_id)
    survey = create_survey(organisation, name=_(SURVEY_NAME), definition=resurvey_definition())
    publish_and_open_links(survey)
    campaign = Campaign.objects.create(
        organisation=organisation,
        survey=survey,
        name=_(CAMPAIGN_NAME),
        subject=_(SUBJECT),
        body=_(BODY),
        reminder_count=0,
    )
    LoopSettings.objects.filter(pk=loop_settings.pk).update(resurvey_campaign=campaign)
    return campaign


def _reachable(case: Case) -> tuple[Customer, str] | None:
    """Return the customer of the case's feedback and the address to ask, if known."""
    response = case.response
    if response is None:
        return None
    customer = response.customer
    if customer is not None and customer.email and customer.erased_at is None:
        return customer, customer.email
    invited = Invitation.objects.filter(response_id=response.pk).select_related("customer").first()
    if invited is not None and invited.email:
        return invited.customer, invited.email
    return None


def send_resurvey(case: Case, *, now: datetime) -> Invitation | None:
    """Email the re-survey of a case just resolved, in the caller's transaction.

    Nothing is sent when the organisation switched re-surveys off, when the customer is
    unknown or cannot be emailed, or when this resolution was already asked about (a
    repeated resolve after a reopen asks again: one invitation per resolution).
    """
    loop_settings = LoopSettings.objects.filter(organisation_id=case.organisation_id).first()
    if loop_settings is not None and not loop_settings.resurvey_on_resolution:
        return None
    reachable = _reachable(case)
    if reachable is None:
        return None
    customer, email = reachable
    if not may_email(case.organisation, email):
        return None
    campaign = resurvey_campaign(case.organisation)
    source_key = f"{SOURCE_PREFIX}{case.pk}:{case.reopened_count}"
    if campaign.invitations.filter(source_key=source_key).exists():
        return None
    invitation = campaigns.invite_one(
        campaign,
        customer=customer,
        email=email,
        unit=case.unit,
        staff=case.owner.user if case.owner_id else None,
        source_key=source_key,
        now=now,
    )
    CaseEvent.objects.create(
        organisation_id=case.organisation_id,
        case=case,
        kind=EventKind.RESURVEY_SENT,
        actor_label="system",
        at=now,
        detail={"invitation": invitation.pk},
    )
    return invitation


def resurveyed_cases(responses: Iterable[Response]) -> dict[int, int]:
    """Return, for each response answering a re-survey, the id of its case (one query)."""
    ids = [response.pk for response in responses]
    rows = Invitation.objects.filter(
        response_id__in=ids, source_key__startswith=SOURCE_PREFIX
    ).values_list("response_id", "source_key")
    return {
        response_id: int(source_key.removeprefix(SOURCE_PREFIX).split(":")[0])
        for response_id, source_key in rows
    }


def answer_of(response: Response) -> bool | None:
    """Return the re-survey's answer: solved (True), not solved (False), or None."""
    for answer in response.answers.all():
        if answer.question_key == QUESTION and answer.number is not None:
            return bool(answer.number)
    return None
