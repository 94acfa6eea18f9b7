"""The collect app's part of a customer's timeline, merge, erasure and export.

Declared on ``CollectConfig.customer_data`` (see ``customers/hooks.py``). A response is a
fact: erasure keeps its scores, so the person's figures stay in every metric, and blanks
what could identify them — the comment, the answers to text questions, the id it had in
the system it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Prefetch
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from heedback.collect import import_files
from heedback.collect.choices import InvitationStatus, SkipReason
from heedback.collect.models import Answer, Invitation, Mention, Response
from heedback.collect.selectors import response_as_dict
from heedback.customers.models import Customer
from heedback.customers.timeline import TimelineEntry, TimelineWindow
from heedback.orgs.models import Organisation
from heedback.surveys.definition import QuestionType

NAME = "responses"
#: How much of a comment the timeline shows; the response holds the whole text.
EXCERPT_LENGTH = 240


def _responses_of(customer: Customer):
    return Response.objects.filter(customer=customer).select_related(
        "survey", "version", "unit", "staff", "mention"
    )


def timeline_entries(customer: Customer, window: TimelineWindow) -> Iterable[TimelineEntry]:
    """Return the customer's responses (headline score, comment) and invitations, newest first."""
    responses = _responses_of(customer).prefetch_related(
        Prefetch("answers", queryset=Answer.objects.filter(number__isnull=False))
    )
    if window.before is not None:
        responses = responses.filter(submitted_at__lt=window.before)
    entries = [
        _response_entry(response)
        for response in responses.order_by("-submitted_at", "-id")[: window.limit]
    ]
    return entries + invitation_entries(customer, window)


def invitation_entries(customer: Customer, window: TimelineWindow) -> list[TimelineEntry]:
    """Return the customer's invitations, at their sending (or planned) time, newest first.

    The badge says how far each went: scheduled, sent, opened, answered, or skipped with
    the reason (throttled, unsubscribed…), with the reminders sent.
    """
    invitations = (
        Invitation.objects.filter(customer=customer)
        .select_related("campaign", "unit")
        .annotate(at=Coalesce("sent_at", "send_at"))
    )
    if window.before is not None:
        invitations = invitations.filter(at__lt=window.before)
    return [
        _invitation_entry(invitation)
        for invitation in invitations.order_by("-at", "-id")[: window.limit]
    ]


def _invitation_entry(invitation: Invitation) -> TimelineEntry:
    if invitation.completed_at is not None:
        badge = _("answered")
    elif invitation.status == InvitationStatus.SKIPPED:
        reasons = dict(SkipReason.choices)
        reason = reasons.get(invitation.skip_reason, invitation.skip_reason)
        badge = _("not sent: %s") % str(reason).lower()
    elif invitation.opened_at is not None:
        badge = _("opened")
    elif invitation.sent_at is not None:
        badge = _("sent")
    else:
        badge = _("scheduled")
    detail = ""
    if invitation.reminders_sent:
        detail = _("%d reminders sent") % invitation.reminders_sent
    return TimelineEntry(
        at=invitation.at,
        kind="invitation",
        key=f"invitation:{invitation.pk}",
        title=_("Invited by email: “%s”") % invitation.campaign.name,
        detail=detail,
        unit=invitation.unit.name,
        badge=str(badge),
        data={"campaign_id": invitation.campaign_id},
    )


def _response_entry(response: Response) -> TimelineEntry:
    score, badge_class = _headline_score(response)
    comment = response.comment
    if len(comment) > EXCERPT_LENGTH:
        comment = comment[: EXCERPT_LENGTH - 1].rstrip() + "…"
    staff = response.staff
    mention = getattr(response, "mention", None)
    if mention is not None:  # their public review or post, where everyone can read it
        title = _("Posted on %(site)s (%(channel)s)") % {
            "site": mention.site,
            "channel": response.get_channel_display(),
        }
        if mention.rating is not None:  # as the site shows it, not on the inbox's scale
            score, badge_class = f"{mention.rating:g}/{mention.rating_best}", ""
    else:
        title = _("Answered “%(survey)s” (%(channel)s)") % {
            "survey": response.survey.name,
            "channel": response.get_channel_display(),
        }
    return TimelineEntry(
        at=response.submitted_at,
        kind="response",
        key=f"response:{response.pk}",
        title=title,
        detail=comment,
        url=mention.public_url if mention is not None else "",
        unit=response.unit.name,
        staff=(staff.get_full_name() or staff.email) if staff else "",
        badge=score,
        badge_class=badge_class,
        data={"response_id": response.pk, "survey_id": response.survey_id},
    )


def _headline_score(response: Response) -> tuple[str, str]:
    """Return the response's NPS answer (else its first rating) and its band's CSS class."""
    questions = response.version.parsed().questions
    numbers = {answer.question_key: answer.number for answer in response.answers.all()}
    for wanted in (QuestionType.NPS, QuestionType.RATING, QuestionType.CES):
        for question in questions:
            if question.type == wanted and numbers.get(question.key) is not None:
                value = numbers[question.key]
                if wanted != QuestionType.NPS:
                    return _("%(value)s on %(question)s") % {
                        "value": value,
                        "question": question.key,
                    }, ""
                band = "promoter" if value >= 9 else "passive" if value >= 7 else "detractor"
                return _("NPS %s") % value, f"nps-{band}"
    return "", ""


def merge_customers(survivor: Customer, merged: Customer) -> int:
    """Point the merged record's responses and invitations at the survivor; return how many."""
    moved = Response.objects.filter(customer=merged).update(customer=survivor)
    return moved + Invitation.objects.filter(customer=merged).update(customer=survivor)


def erase_customer(organisation: Organisation, customer_ids: Sequence[int]) -> int:
    """Blank the comments, text answers and source ids of these customers' responses.

    Scores, chosen options, unit, channel and time stay: anonymous facts every metric is
    made of. The response keeps its customer link, which now leads to an erased record.
    """
    responses = Response.objects.filter(organisation=organisation, customer_id__in=customer_ids)
    changed = responses.update(comment="", external_id="")
    changed += Answer.objects.filter(response__in=responses, number__isnull=True).update(text="")
    # Invitations keep their counts (sent, answered) but not the address or a draft's words.
    # The suppression list keeps an unsubscribed address: forgetting it would email them again.
    changed += Invitation.objects.filter(
        organisation=organisation, customer_id__in=customer_ids
    ).update(email="", draft={})
    # Their public posts keep the site and its id of the post (a connector's resend stays a
    # duplicate) but lose the handle and the address that lead back to the person.
    changed += Mention.objects.filter(response__in=responses).update(
        author_handle="", public_url=""
    )
    return changed


def erase_identifiers(organisation: Organisation, identifiers) -> int:
    """Delete the uploaded and bad-rows import files that name the person."""
    return import_files.erase_from_import_files(
        organisation, [*identifiers.emails, *identifiers.names, *identifiers.phones]
    )


def export_customer(customer: Customer) -> list[dict[str, object]]:
    """Return every response of the customer as the API speaks it."""
    responses = _responses_of(customer).prefetch_related("answers").order_by("submitted_at", "pk")
    exported = []
    for response in responses:
        item = response_as_dict(response)
        item["survey_name"] = response.survey.name
        item["unit_name"] = response.unit.name
        exported.append({key: _plain(value) for key, value in item.items()})
    return exported


def _plain(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value
