"""Customers and interactions in: upserts, idempotency, merges, temperament."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from heedback.core.errors import Conflict, InvalidInput, NotFound
from heedback.customers import privacy, services
from heedback.customers.inputs import CustomerInput, InteractionInput
from heedback.customers.models import Customer, Interaction
from heedback.orgs.models import AuditEvent
from tests.customers.conftest import NOW, every


def test_a_customer_is_created_then_updated_by_external_id(organisation):
    first, created = services.upsert_customer(
        organisation, CustomerInput(external_id="C-1", email=" Ann@Example.com ", name="Ann")
    )
    assert created is True
    assert (first.external_id, first.email, first.name) == ("C-1", "ann@example.com", "Ann")
    again, created = services.upsert_customer(
        organisation,
        CustomerInput(external_id="C-1", phone="+44 20 7946 0000", provided=frozenset({"phone"})),
    )
    assert created is False
    assert again.pk == first.pk
    assert (again.name, again.email, again.phone) == ("Ann", "ann@example.com", "+44 20 7946 0000")


def test_a_customer_known_only_by_email_adopts_an_external_id(organisation):
    by_email, _ = services.upsert_customer(organisation, CustomerInput(email="bo@example.com"))
    adopted, created = services.upsert_customer(
        organisation,
        CustomerInput(external_id="C-9", email="bo@example.com", provided=frozenset({"email"})),
    )
    assert created is False
    assert adopted.pk == by_email.pk
    assert adopted.external_id == "C-9"


def test_an_email_of_another_customer_is_refused_and_nothing_changes(organisation, make_customer):
    make_customer("C-1", email="cy@example.com")
    with pytest.raises(Conflict) as caught:
        services.upsert_customer(
            organisation, CustomerInput(external_id="C-2", email="cy@example.com")
        )
    assert list(caught.value.errors) == ["email"]
    assert Customer.objects.count() == 1


def test_customer_input_errors_name_every_field(organisation):
    with pytest.raises(InvalidInput) as caught:
        services.upsert_customer(
            organisation,
            CustomerInput(
                email="not-an-email",
                phone="call me",
                temperament="purple",
                attributes={"tier": ["a", "list"]},
            ),
        )
    assert caught.value.errors == {
        "email": ["Enter a valid email address."],
        "phone": ["Use digits, spaces and + ( ) . / - only."],
        "temperament": ["Choose one of: blue, gold, green, orange."],
        "attributes.tier": ["Use text, a number, true/false or null."],
    }
    with pytest.raises(InvalidInput) as caught:
        services.upsert_customer(organisation, CustomerInput(name="No identity"))
    assert caught.value.errors == {"external_id": ["Give an external_id or an email."]}


def test_a_batch_reports_each_item_and_a_repeat_changes_nothing(organisation):
    items = [
        CustomerInput(external_id="A", name="Ann"),
        CustomerInput(external_id="B", name="Bo"),
        CustomerInput(external_id="A", name="Ann Smith"),
        CustomerInput(name="nobody"),
    ]
    results = services.upsert_customers(organisation, items)
    assert [result.status for result in results] == ["created", "created", "updated", "invalid"]
    assert results[0].id == results[2].id
    assert Customer.objects.get(external_id="A").name == "Ann Smith"
    again = services.upsert_customers(organisation, items[:2])
    assert [result.status for result in again] == ["updated", "unchanged"]


def test_interactions_are_stored_once_and_mark_the_customer_stale(
    organisation, make_customer, hotel
):
    customer = make_customer("C-1")
    item = InteractionInput(
        external_id="order-1",
        customer_external_id="C-1",
        kind="order",
        occurred_at=NOW - timedelta(days=1),
        unit_id=hotel.pk,
        value=Decimal("42.50"),
    )
    first, created = services.record_interaction(organisation, item)
    assert created is True
    assert (first.customer_id, first.unit_id, first.value) == (
        customer.pk,
        hotel.pk,
        Decimal("42.50"),
    )
    repeat, created = services.record_interaction(organisation, item)
    assert (repeat.pk, created) == (first.pk, False)
    assert Interaction.objects.count() == 1
    assert Customer.objects.get(pk=customer.pk).lapse_stale is True


def test_a_batch_of_interactions_reports_duplicates_unknown_customers_and_bad_dates(
    organisation, make_customer
):
    make_customer("C-1")
    items = [
        InteractionInput("v1", "C-1", "visit", NOW - timedelta(days=3)),
        InteractionInput("v1", "C-1", "visit", NOW - timedelta(days=2)),
        InteractionInput("v2", "C-404", "visit", NOW - timedelta(days=2)),
        InteractionInput("v3", "C-1", "visit", NOW + timedelta(days=2)),
        InteractionInput("v4", "C-1", "teleport", NOW - timedelta(days=2)),
        InteractionInput("v5", "C-1", "visit", NOW - timedelta(days=1), unit_id=10**9),
        InteractionInput("v6", "C-1", "visit", NOW - timedelta(days=1), staff_email="x@y.z"),
    ]
    results = services.record_interactions(organisation, items, now=NOW)
    assert [r.status for r in results] == [
        "created",
        "duplicate",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert results[1].id == results[0].id
    assert results[2].errors == {"customer": ["no customer with this external id"]}
    assert results[3].errors == {"occurred_at": ["An interaction cannot be in the future."]}
    assert list(results[4].errors) == ["kind"]
    assert results[5].errors == {"unit": ["not found"]}
    assert results[6].errors == {"staff": ["no member with this email"]}
    assert Interaction.objects.count() == 1


def test_a_naive_time_is_read_in_the_organisation_time_zone(organisation, make_customer):
    make_customer("C-1")
    naive = (NOW - timedelta(days=30)).replace(tzinfo=None, hour=9)
    interaction, _ = services.record_interaction(
        organisation, InteractionInput("v1", "C-1", "visit", naive)
    )
    # Europe/London is on summer time in May: 09:00 local is 08:00 UTC.
    assert interaction.occurred_at.hour == 8


def test_merge_moves_interactions_keeps_a_tombstone_and_an_audit(
    organisation, make_customer, add_visits, admin
):
    survivor = make_customer("C-1", name="Ann Smith")
    duplicate = make_customer("legacy-77", email="ann@example.com", phone="+1 555 0100")
    add_visits(survivor, every(7, 3, last=NOW - timedelta(days=1)))
    add_visits(duplicate, every(7, 2, last=NOW - timedelta(days=30)))
    record = privacy.merge_customers(survivor, duplicate, actor=admin.user, reason="same person")

    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert Interaction.objects.filter(customer=survivor).count() == 5
    assert (survivor.email, survivor.phone, survivor.name) == (
        "ann@example.com",
        "+1 555 0100",
        "Ann Smith",
    )
    assert duplicate.merged_into_id == survivor.pk
    assert survivor.lapse_stale is True
    assert (record.interactions_moved, record.merged_external_id) == (2, "legacy-77")
    assert record.fields_taken == ["email", "phone"]
    assert record.actor_label == admin.user.email
    event = AuditEvent.objects.get(action="customer.merge")
    assert event.target == f"customer #{duplicate.pk} into #{survivor.pk}"
    # The duplicate's id still leads to the survivor.
    interaction, _ = services.record_interaction(
        organisation, InteractionInput("late", "legacy-77", "visit", NOW - timedelta(hours=1))
    )
    assert interaction.customer_id == survivor.pk


def test_a_merged_record_cannot_be_merged_again_nor_into_itself(organisation, make_customer, admin):
    one, two, three = make_customer("1"), make_customer("2"), make_customer("3")
    with pytest.raises(InvalidInput):
        privacy.merge_customers(one, one, actor=admin.user)
    privacy.merge_customers(one, two, actor=admin.user)
    with pytest.raises(Conflict):
        privacy.merge_customers(three, two, actor=admin.user)
    # Records merged into the merged one follow it to the new survivor.
    privacy.merge_customers(three, one, actor=admin.user)
    assert set(Customer.objects.filter(merged_into_id=three.pk).values_list("pk", flat=True)) == {
        one.pk,
        two.pk,
    }


def test_temperament_notes_who_set_it(organisation, make_customer, admin):
    customer = make_customer("C-1")
    services.set_temperament(customer, "green", actor=admin.user)
    customer.refresh_from_db()
    assert (customer.temperament, customer.temperament_source) == ("green", "staff")
    assert customer.temperament_set_by_id == admin.user.pk
    with pytest.raises(InvalidInput):
        services.set_temperament(customer, "purple", actor=admin.user)
    assert AuditEvent.objects.filter(action="customer.temperament").count() == 1


def test_a_merged_customer_temperament_cannot_be_set(organisation, make_customer, admin):
    one, two = make_customer("1"), make_customer("2")
    privacy.merge_customers(one, two, actor=admin.user)
    with pytest.raises(NotFound):
        services.set_temperament(two, "blue", actor=admin.user)


def test_a_dry_run_reports_what_a_real_run_would_do_and_stores_nothing(organisation, make_customer):
    make_customer("C-1")
    services.record_interaction(
        organisation, InteractionInput("stored", "C-1", "visit", NOW - timedelta(days=9))
    )
    items = [
        InteractionInput("new", "C-1", "visit", NOW - timedelta(days=1)),
        InteractionInput("stored", "C-1", "visit", NOW - timedelta(days=9)),
        InteractionInput("new", "C-1", "visit", NOW - timedelta(days=1)),
        InteractionInput("who", "C-404", "visit", NOW - timedelta(days=1)),
        InteractionInput("when", "C-1", "visit", NOW + timedelta(days=400)),
    ]
    checked = services.check_interactions(organisation, items, now=NOW)
    assert [result.status for result in checked] == [
        "created",
        "duplicate",
        "duplicate",
        "invalid",
        "invalid",
    ]
    assert checked[1].id == Interaction.objects.get(external_id="stored").pk
    assert checked[2].id is None
    assert checked[3].errors == {"customer": ["no customer with this external id"]}
    assert Interaction.objects.count() == 1
    real = services.record_interactions(organisation, items, now=NOW)
    assert [result.status for result in real] == [result.status for result in checked]


def test_a_merged_record_email_still_leads_to_the_survivor(organisation, make_customer, admin):
    survivor = make_customer("C-1", email="new@example.com")
    duplicate = make_customer(None, email="old@example.com")
    privacy.merge_customers(survivor, duplicate, actor=admin.user)
    found, created = services.upsert_customer(
        organisation, CustomerInput(email="old@example.com", name="Ann")
    )
    assert (found.pk, created) == (survivor.pk, False)
    assert (found.email, found.name) == ("new@example.com", "Ann")
    assert Customer.objects.filter(merged_into__isnull=True).count() == 1
