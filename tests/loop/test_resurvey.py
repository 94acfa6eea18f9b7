"""The re-survey on resolution: who gets it, through which invitation, and what the answer does.

The full chain through SMTP and the invitation page is in ``test_end_to_end.py``; here each
rule of sending and answering is checked on its own, through the services and the outbox.
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from heedback.collect import invitation_emails, invitations
from heedback.collect.choices import InvitationStatus
from heedback.collect.models import Campaign, Invitation, InvitationPolicy, Suppression
from heedback.loop import services
from heedback.loop.choices import CaseStatus, EventKind
from heedback.loop.metrics import counts_by
from heedback.loop.models import Case, LoopSettings
from heedback.loop.services import Actor, Resolution
from heedback.loop.services.resurvey import QUESTION
from heedback.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest(make_customer):
    return make_customer("guest@example.com", name="Gail Guest")


@pytest.fixture
def detractor_case(submit, manager, guest) -> Case:
    response = submit(nps=2, customer=guest)
    services.evaluate_new_responses()
    return Case.objects.get(response=response)


def resolve(case: Case, manager) -> Case:
    return services.resolve_case(
        case, Resolution(code="apologised"), actor=Actor(membership=manager)
    )


def resurveys() -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(idempotency_key__startswith="invitation-").order_by("pk")
    )


def answer(invitation: Invitation, is_solved: bool) -> None:
    """Answer the re-survey as the customer does: through the emailed link's pages."""
    client = Client()
    client.get(f"/i/{invitations.token_of(invitation.nonce)}/")
    page = client.get("/i/")
    sent = client.post(
        "/i/",
        {
            "invitation": invitation.pk,
            "revision": page.context["revision"],
            "action": "send",
            f"q_{QUESTION}": "yes" if is_solved else "no",
        },
    )
    assert sent.status_code == 302


def test_resolving_emails_the_customer_one_question_through_an_invitation(
    detractor_case, manager, guest
):
    resolve(detractor_case, manager)
    [invitation] = Invitation.objects.all()
    assert (invitation.customer, invitation.email, invitation.unit_id) == (
        guest,
        "guest@example.com",
        detractor_case.unit_id,
    )
    assert (invitation.status, invitation.source_key) == (
        InvitationStatus.SENT,
        f"case:{detractor_case.pk}:0",
    )
    assert invitation.staff == manager.user
    campaign = invitation.campaign
    assert (
        LoopSettings.objects.get(organisation=campaign.organisation).resurvey_campaign == campaign
    )
    questions = campaign.survey.published_version.parsed().questions
    assert [(question.key, question.type) for question in questions] == [
        (QUESTION, "yes_no"),
        ("comment", "text"),
    ]
    [message] = resurveys()
    assert message.idempotency_key == invitation_emails.email_key(invitation, 0)
    assert message.payload["to"] == ["guest@example.com"]
    assert message.payload["subject"] == "Is your problem solved?"
    token = invitations.token_of(invitation.nonce)
    assert f"/i/{invitation_emails.LINK_MARK}/" in message.payload["body"]
    assert f"/i/{token}/" in invitation_emails.reveal_token(message)["body"]
    sent = detractor_case.events.get(kind=EventKind.RESURVEY_SENT)
    assert sent.detail == {"invitation": invitation.pk}


def test_a_no_reopens_the_case_and_a_yes_is_counted_as_solved(detractor_case, manager):
    resolve(detractor_case, manager)
    answer(Invitation.objects.get(), is_solved=False)
    assert services.evaluate_new_responses() == 1
    detractor_case.refresh_from_db()
    assert (detractor_case.status, detractor_case.reopened_count) == (CaseStatus.REOPENED, 1)
    assert Case.objects.count() == 1  # the answer opened no case of its own

    resolve(detractor_case, manager)
    second = Invitation.objects.get(source_key=f"case:{detractor_case.pk}:1")
    assert Campaign.objects.count() == 1
    answer(second, is_solved=True)
    services.evaluate_new_responses()
    detractor_case.refresh_from_db()
    assert detractor_case.status == CaseStatus.RESOLVED
    answers = detractor_case.events.filter(kind=EventKind.RESURVEY).order_by("pk")
    assert list(answers.values_list("solved", flat=True)) == [False, True]
    today = timezone.localdate()
    [row] = counts_by(
        detractor_case.organisation,
        today - timedelta(days=1),
        today + timedelta(days=1),
        now=timezone.now(),
        group="unit_id",
    ).values()
    assert (row.resurveyed, row.resurvey_solved) == (2, 1)


def test_an_unsubscribed_customer_gets_no_re_survey(detractor_case, manager):
    Suppression.objects.create(
        organisation=detractor_case.organisation, email="guest@example.com", reason="unsubscribed"
    )
    resolve(detractor_case, manager)
    assert Invitation.objects.count() == 0
    assert resurveys() == []
    assert not detractor_case.events.filter(kind=EventKind.RESURVEY_SENT).exists()


def test_the_re_survey_s_unsubscribe_link_stops_the_next_one(detractor_case, manager):
    resolve(detractor_case, manager)
    invitation = Invitation.objects.get()
    code = invitation_emails.unsubscribe_code(invitation)
    assert Client().post(f"/i/unsubscribe/{code}/").status_code == 200
    services.reopen_case(detractor_case, reason="again", actor=Actor(membership=manager))
    resolve(detractor_case, manager)
    assert Invitation.objects.count() == 1
    assert len(resurveys()) == 1


def test_an_anonymous_customer_or_switched_off_re_surveys_send_nothing(submit, manager, guest):
    anonymous = submit(nps=1)
    known = submit(nps=1, customer=guest)
    services.evaluate_new_responses()
    resolve(Case.objects.get(response=anonymous), manager)
    LoopSettings.objects.filter(organisation=anonymous.organisation).update(
        resurvey_on_resolution=False
    )
    resolve(Case.objects.get(response=known), manager)
    assert Invitation.objects.count() == 0
    assert resurveys() == []


def test_a_re_survey_resolved_in_quiet_hours_waits_for_their_end(detractor_case, manager):
    zone = zoneinfo.ZoneInfo(detractor_case.organisation.time_zone)
    local_now = timezone.now().astimezone(zone)
    end = (local_now + timedelta(hours=1)).replace(second=0, microsecond=0)
    InvitationPolicy.objects.update_or_create(
        organisation=detractor_case.organisation,
        defaults={
            "quiet_hours_start": (local_now - timedelta(hours=1)).time().replace(microsecond=0),
            "quiet_hours_end": end.time(),
        },
    )
    resolve(detractor_case, manager)
    [message] = resurveys()
    assert message.next_attempt_at == end
    assert Invitation.objects.get().status == InvitationStatus.SENT
