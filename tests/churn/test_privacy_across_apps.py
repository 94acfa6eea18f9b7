"""One person seeded in every app, erased: no trace of them in a full dump, scores intact.

The person has a customer record and a merged duplicate, visits, two responses with a
comment and a text answer that name them, the text app's analyses and search index of
those texts, a case about their feedback with a note, a call note, a reply emailed to them
(in the outbox, one sent and one still queued), a resolution note, a feedback alert to
staff quoting them, and audit events. After the erasure a dump of every table holds
neither their name, nor their emails, nor their phones, and the NPS (computed through
insights) is what it was.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from heedback.collect.models import Response
from heedback.customers import privacy
from heedback.insights.selectors import MetricQuery, compute_metric
from heedback.loop import services as loop
from heedback.loop.emails import send_feedback_alert
from heedback.loop.models import Case
from heedback.loop.services import Actor, CaseOpening, FollowUp, Resolution
from heedback.notify.choices import MessageStatus
from heedback.notify.models import OutboxMessage
from heedback.notify.services import Email, deliver_due, enqueue_email
from heedback.text import services as text_services
from heedback.text.search import search_texts
from tests.customers.conftest import NOW, every
from tests.customers.test_privacy import full_dump

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE = "Philippa Quennell-Stroud", "philippa.q@stroud.example", "+44 1632 960 777"
OLD_EMAIL, OLD_PHONE = "pq-old@stroud.example", "+44 1632 960 778"
SECRETS = (NAME, EMAIL, PHONE, OLD_EMAIL, OLD_PHONE, "Quennell")


def nps_of(organisation, survey) -> float:
    [row] = compute_metric(MetricQuery(organisation, survey, "nps", question_key="nps")).rows
    return (row.value, row.n)


@pytest.fixture
def person(organisation, make_customer, add_visits, answer, admin, hotel, published_survey):
    customer = make_customer("loyalty-4711", name=NAME, email=EMAIL, phone=PHONE)
    duplicate = make_customer("crm-9", email=OLD_EMAIL, phone=OLD_PHONE, name=NAME)
    add_visits(customer, every(14, 5, last=NOW - timedelta(days=3)), unit=hotel)
    add_visits(duplicate, every(14, 2, last=NOW - timedelta(days=90)), unit=hotel)
    # The duplicate answered before the merge; its response moves to the survivor.
    answer(duplicate, NOW - timedelta(days=95), 9, comment=f"Lovely, thanks — {NAME}")
    privacy.merge_customers(customer, duplicate, actor=admin.user, reason=f"{NAME} called us")
    bad = answer(
        customer,
        NOW - timedelta(days=4),
        2,
        comment=f"I am {NAME}, call me on {PHONE}: the room was dirty",
    )
    # Someone else's answer, so that the NPS has more than the person in it.
    other = make_customer("someone-else", name="Other Guest")
    answer(other, NOW - timedelta(days=4), 10, comment="Great breakfast")
    text_services.enrich_pending(settle=timedelta(0))
    case = loop.open_case(
        CaseOpening(
            organisation=organisation,
            unit=hotel,
            title=f"Dirty room for {NAME}",
            response=bad,
            note=f"{NAME} is a gold member",
            actor=Actor(admin),
        )
    )
    loop.add_event(
        case, FollowUp(kind="call", reached=True, body=f"Spoke to {NAME}"), actor=Actor(admin)
    )
    loop.add_event(
        case,
        FollowUp(kind="reply", body=f"Dear {NAME}, we are sorry.", reply_to=EMAIL),
        actor=Actor(admin),
    )
    deliver_due(now=timezone.now() + timedelta(minutes=1))  # the reply goes out: sent
    loop.add_event(
        case,
        FollowUp(kind="reply", body="A voucher is on its way.", reply_to=OLD_EMAIL),
        actor=Actor(admin),
    )  # this one stays queued
    loop.resolve_case(
        case, Resolution(code="fixed", note=f"Refunded {NAME} by phone"), actor=Actor(admin)
    )
    rule_stub = type("RuleStub", (), {"pk": 0, "name": "Low scores"})()
    send_feedback_alert(bad, rule_stub, ["duty.manager@hotel.example"], summary="NPS 2")
    # An email of no case: the outbox's own hook finds it by its address.
    enqueue_email(
        Email(to=[OLD_EMAIL], subject="Your stay", body="See you soon"),
        key="newsletter-1",
        organisation=organisation,
    )
    customer.refresh_from_db()
    return customer


def test_erasure_reaches_every_app_and_keeps_the_scores(
    person, admin, organisation, published_survey, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dump = full_dump()
    for secret in SECRETS:
        assert secret in dump, secret  # the seeding put every secret somewhere
    assert search_texts(organisation, "dirty").count == 1
    statuses = set(OutboxMessage.objects.values_list("status", flat=True))
    assert statuses == {MessageStatus.SENT, MessageStatus.PENDING}
    before = nps_of(organisation, published_survey)
    privacy.export_customer(person, actor=admin.user)

    summary = privacy.erase_customer(person, actor=admin.user)

    dump = full_dump()
    leaks = [secret for secret in SECRETS if secret in dump]
    assert leaks == []
    assert nps_of(organisation, published_survey) == before
    assert search_texts(organisation, "dirty").count == 0
    assert search_texts(organisation, "breakfast").count == 1  # the other guest's stays
    # The case's messages (reply, alert) by the loop's keys; by their address, the
    # newsletter and the re-survey the resolution sent (an invitation's email).
    assert summary.rows_by_app["outbox"] == 2
    assert OutboxMessage.objects.filter(idempotency_key__startswith="invitation-").count() == 1
    # The case, its five entries with text (opening note, call, two replies, resolution)
    # and three messages (the two replies and the alert).
    assert summary.rows_by_app["cases"] == 1 + 5 + 3
    assert {message.payload["withdrawn"] for message in OutboxMessage.objects.all()} == {True}
    # Nothing queued for the person goes out any more.
    assert not OutboxMessage.objects.filter(status=MessageStatus.PENDING).exists()
    case = Case.objects.get()
    assert (case.status, case.resolution_code.key) == ("resolved", "fixed")
    assert case.resolution_note == ""
    assert list(case.events.exclude(body="").values_list("kind", flat=True)) == []
    assert Response.objects.filter(customer=person).count() == 2  # the facts remain
