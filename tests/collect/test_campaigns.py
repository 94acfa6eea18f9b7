"""Email campaigns end to end: contacts in, invitations and reminders out through real SMTP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from heedback.collect import campaigns, invitation_emails, invitations, selectors
from heedback.collect.campaigns import CampaignInput, ContactInput
from heedback.collect.choices import InvitationStatus, SkipReason
from heedback.collect.models import Invitation, InvitationPolicy, Suppression
from heedback.core.errors import InvalidInput
from heedback.customers.models import Customer
from heedback.notify.models import OutboxMessage
from heedback.notify.services import deliver_due
from heedback.orgs.services import add_member, create_user

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/i/([A-Za-z0-9_-]{43})/")


def campaign_input(survey, **changes) -> CampaignInput:
    values = {
        "survey": survey,
        "name": "Spring stays",
        "subject": "How was {unit}, {customer name}?",
        "body": "Dear {customer name}, {staff member} would like to hear from you.",
        "reminder_count": 2,
        "reminder_interval_days": 3,
    }
    return CampaignInput(**(values | changes))


@pytest.fixture
def anna(organisation, hotel):
    user = create_user(email="anna@acme.example", password="x" * 12, name="Anna Berg")
    add_member(organisation, user, role="frontline", unit=hotel)
    return user


@pytest.fixture
def maria(organisation, hotel):
    user = create_user(email="maria@acme.example", password="x" * 12, name="Maria Lopez")
    add_member(organisation, user, role="manager", unit=hotel)
    return user


def make_campaign(organisation, survey, contacts, **changes):
    campaign, _report = campaigns.create_campaign(
        organisation, campaign_input(survey, **changes), contacts
    )
    return campaign


def test_a_campaign_sends_one_personalised_email_per_contact_through_smtp(
    organisation, published_survey, hotel, anna, maria, smtp_server
):
    campaign = make_campaign(
        organisation,
        published_survey,
        [
            ContactInput(
                "Guest.One@example.com",
                name="Guest One",
                unit="Harbour Hotel",
                staff="anna@acme.example",
            ),
            ContactInput("guest2@example.com", unit=str(hotel.pk)),
        ],
    )
    assert Customer.objects.filter(organisation=organisation).count() == 2
    assert campaigns.send_due() == 2
    assert campaigns.send_due() == 0  # nothing twice
    assert deliver_due() == 2
    by_recipient = {message["To"]: message for message in smtp_server.messages}
    first = by_recipient["guest.one@example.com"]
    assert first["Subject"] == "How was Harbour Hotel, Guest One?"
    body = first.get_content()
    assert "Dear Guest One, Anna Berg would like to hear from you." in body
    assert "Anna Berg <anna@acme.example>, Maria Lopez <maria@acme.example>" in body
    token = LINK.search(body).group(1)
    invitation = Invitation.objects.get(email="guest.one@example.com")
    assert invitation.token_hash == invitations.hash_of(token)
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    # The outbox keeps a mark where the token goes: a copy of the database opens no survey.
    stored = OutboxMessage.objects.get(idempotency_key=f"invitation-{invitation.pk}-step-0")
    assert token not in str(stored.payload)
    assert f"/i/{invitation_emails.LINK_MARK}/" in stored.payload["body"]
    unsubscribe = re.search(r"/i/unsubscribe/([^/\s]+)/", body).group(0)
    assert first["List-Unsubscribe"].endswith(f"{unsubscribe}>")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    second = by_recipient["guest2@example.com"].get_content()
    assert "Dear customer, our team would like to hear from you." in second
    assert "Maria Lopez <maria@acme.example>" in second
    counts = selectors.campaign_counts(campaign)
    assert (counts.contacts, counts.sent, counts.scheduled) == (2, 2, 0)


def test_reminders_follow_their_spacing_and_stop_once_answered(
    organisation, published_survey, hotel, smtp_server
):
    campaign = make_campaign(
        organisation,
        published_survey,
        [ContactInput("a@example.com"), ContactInput("b@example.com")],
    )
    start = timezone.now()
    campaigns.send_due(now=start)
    assert campaigns.send_due(now=start + timedelta(days=2)) == 0  # too early
    answered = Invitation.objects.get(email="a@example.com")
    invitations.finish_invitation(answered, 0, {"nps": 9})
    assert campaigns.send_due(now=start + timedelta(days=3, minutes=1)) == 1
    assert campaigns.send_due(now=start + timedelta(days=6, minutes=2)) == 1
    assert campaigns.send_due(now=start + timedelta(days=30)) == 0  # two reminders at most
    deliver_due()
    other = Invitation.objects.get(email="b@example.com")
    subject = f"How was {other.unit.name}, customer?"
    assert sorted((m["To"], m["Subject"]) for m in smtp_server.messages) == [
        ("a@example.com", subject),
        ("b@example.com", subject),
        ("b@example.com", f"Reminder: {subject}"),
        ("b@example.com", f"Reminder: {subject}"),
    ]
    keys = set(OutboxMessage.objects.values_list("idempotency_key", flat=True))
    assert {f"invitation-{other.pk}-step-{step}" for step in range(3)} <= keys
    counts = selectors.campaign_counts(campaign)
    assert (counts.sent, counts.completed, counts.reminders) == (2, 1, 2)
    assert counts.response_rate == 0.5


def test_a_contact_is_not_invited_twice_within_the_organisations_period(
    organisation, published_survey, hotel
):
    InvitationPolicy.objects.create(organisation=organisation, days_between_invitations=30)
    first = make_campaign(organisation, published_survey, [ContactInput("c@example.com")])
    start = timezone.now()
    campaigns.send_due(now=start)
    second = make_campaign(
        organisation,
        published_survey,
        [ContactInput("c@example.com"), ContactInput("d@example.com")],
        name="Second",
        send_at=start + timedelta(days=29),
    )
    campaigns.send_due(now=start + timedelta(days=29))
    skipped = Invitation.objects.get(campaign=second, email="c@example.com")
    assert (skipped.status, skipped.skip_reason) == (InvitationStatus.SKIPPED, "throttled")
    assert selectors.campaign_counts(second).skipped == {SkipReason.THROTTLED: 1}
    assert selectors.campaign_counts(second).sent == 1
    third = make_campaign(
        organisation,
        published_survey,
        [ContactInput("c@example.com")],
        name="Third",
        send_at=start + timedelta(days=31),
    )
    campaigns.send_due(now=start + timedelta(days=31))
    assert Invitation.objects.get(campaign=third).status == InvitationStatus.SENT
    assert selectors.campaign_counts(first).sent == 1


def test_an_unsubscribed_address_gets_no_campaign_and_no_reminder(
    organisation, published_survey, hotel, other_organisation
):
    campaign = make_campaign(
        organisation, published_survey, [ContactInput("e@example.com")], reminder_count=1
    )
    start = timezone.now()
    campaigns.send_due(now=start)
    invitation = Invitation.objects.get(campaign=campaign)
    invitations.unsubscribe(invitation)
    assert not selectors.may_email(organisation, " E@example.com")
    assert selectors.may_email(other_organisation, "e@example.com")  # per organisation
    assert campaigns.send_due(now=start + timedelta(days=4)) == 0
    later = make_campaign(
        organisation,
        published_survey,
        [ContactInput("e@example.com")],
        name="Later",
        send_at=start + timedelta(days=60),
    )
    assert campaigns.send_due(now=start + timedelta(days=60)) == 0
    assert Invitation.objects.get(campaign=later).skip_reason == SkipReason.UNSUBSCRIBED
    assert selectors.campaign_counts(campaign).unsubscribed == 1
    assert OutboxMessage.objects.count() == 1


def test_a_bounce_is_counted_and_suppresses_the_address(organisation, published_survey, hotel):
    campaign = make_campaign(organisation, published_survey, [ContactInput("f@example.com")])
    campaigns.send_due()
    assert invitations.record_bounce(organisation, "F@example.com") == 1
    assert Suppression.objects.get().reason == "bounced"
    assert selectors.campaign_counts(campaign).bounced == 1
    assert Invitation.objects.get().next_reminder_at is None
    assert not selectors.may_email(organisation, "f@example.com")


def test_placeholders_and_limits_are_checked_naming_the_field(organisation, published_survey):
    with pytest.raises(InvalidInput) as caught:
        campaigns.create_campaign(
            organisation,
            campaign_input(
                published_survey,
                subject="Hello {first name}",
                body="Hi {customer name",
                reminder_count=9,
                reminder_interval_days=0,
                trigger_kind="party",
            ),
        )
    errors = caught.value.errors
    assert errors["subject"] == [
        "Unknown placeholder {first name}: use {customer name}, {unit}, {staff member}."
    ]
    assert errors["body"] == ["A brace is not closed: write placeholders as {customer name}."]
    assert errors["reminder_count"] == ["Between 0 and 5."]
    assert errors["reminder_interval_days"] == ["Between 1 and 30 days."]
    assert "trigger_kind" in errors


def test_bad_contacts_are_all_reported_and_nothing_is_stored(organisation, published_survey):
    with pytest.raises(InvalidInput) as caught:
        make_campaign(
            organisation,
            published_survey,
            [
                ContactInput("ok@example.com", line=2),
                ContactInput("not-an-email", line=3),
                ContactInput("x@example.com", unit="Nowhere", staff="ghost@example.com", line=4),
            ],
        )
    assert caught.value.errors == {
        "line 3.email": ["not a valid email address"],
        "line 4.unit": ["no such unit"],
        "line 4.staff": ["no member with this email"],
    }
    assert Customer.objects.count() == Invitation.objects.count() == 0


def test_a_contact_added_twice_is_invited_once(organisation, published_survey, hotel):
    campaign = make_campaign(organisation, published_survey, [ContactInput("g@example.com")])
    report = campaigns.add_contacts(
        campaign, [ContactInput("G@example.com"), ContactInput("h@example.com")]
    )
    assert (report.created, report.already_invited) == (1, 1)
    assert Invitation.objects.filter(campaign=campaign).count() == 2


def test_contacts_are_read_from_csv_and_xlsx_with_line_numbers(tmp_path, organisation):
    from openpyxl import Workbook

    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text("email;name;unit\na@example.com;Ann;\nb@example.com;Bob\n", "utf-8")
    with pytest.raises(InvalidInput) as caught:
        campaigns.read_contacts_file(csv_file)
    assert caught.value.errors == {"line 3": ["has 2 values where the header has 3 columns"]}
    book = Workbook()
    book.active.append(["email", "name", "staff"])
    book.active.append(["c@example.com", "Cy", None])
    book.active.append(["d@example.com", None, "anna@acme.example"])
    book.save(tmp_path / "contacts.xlsx")
    contacts = campaigns.read_contacts_file(tmp_path / "contacts.xlsx")
    assert [(c.line, c.email, c.name, c.staff) for c in contacts] == [
        (2, "c@example.com", "Cy", ""),
        (3, "d@example.com", "", "anna@acme.example"),
    ]
    no_email = tmp_path / "names.csv"
    no_email.write_text("name\nAnn\n", "utf-8")
    with pytest.raises(InvalidInput) as caught:
        campaigns.read_contacts_file(no_email)
    assert "email" in caught.value.errors["file"][0]


def test_response_rate_counts_by_the_time_of_sending(organisation, published_survey, hotel):
    make_campaign(
        organisation,
        published_survey,
        [
            ContactInput("i@example.com"),
            ContactInput("j@example.com"),
            ContactInput("k@example.com"),
        ],
    )
    start = timezone.now()
    campaigns.send_due(now=start)
    invitations.finish_invitation(Invitation.objects.get(email="i@example.com"), 0, {"nps": 3})
    rate = selectors.response_rate(organisation, survey=published_survey)
    assert (rate.sent, rate.completed) == (3, 1)
    assert rate.rate == pytest.approx(1 / 3)
    empty = selectors.response_rate(organisation, sent_from=start + timedelta(seconds=1))
    assert (empty.sent, empty.rate) == (0, None)


def test_merges_move_invitations_and_erasure_blanks_their_address(
    organisation, published_survey, hotel
):
    from heedback.collect import customer_data

    make_campaign(organisation, published_survey, [ContactInput("m@example.com")])
    invitation = Invitation.objects.get()
    invitations.save_draft(invitation, 0, {"comment": "my words"})
    survivor = Customer.objects.create(organisation=organisation, external_id="S-1")
    assert customer_data.merge_customers(survivor, invitation.customer) == 1
    assert customer_data.erase_customer(organisation, [survivor.pk]) == 1
    invitation.refresh_from_db()
    assert (invitation.customer, invitation.email, invitation.draft) == (survivor, "", {})


def test_reminders_stop_when_the_survey_closes(organisation, published_survey, hotel):
    from heedback.surveys.services import close_survey

    make_campaign(organisation, published_survey, [ContactInput("n@example.com")])
    start = timezone.now()
    assert campaigns.send_due(now=start) == 1
    close_survey(published_survey)
    assert campaigns.send_due(now=start + timedelta(days=4)) == 0
    assert Invitation.objects.get().next_reminder_at is None
