"""Erasure, export and the hooks other apps plug into (timeline, merge, erase, export)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection

from heedback.customers import hooks, privacy, services, timeline
from heedback.customers.inputs import InteractionInput
from heedback.customers.models import Customer, CustomerMerge, Interaction
from heedback.orgs.models import AuditEvent
from tests.customers import fake_provider
from tests.customers.conftest import NOW, every

NAME, EMAIL, PHONE = "Philippa Quennell-Stroud", "philippa.q@stroud.example", "+44 1632 960 777"
OTHER_EMAIL, OTHER_PHONE = "pq-old@stroud.example", "+44 1632 960 778"


@pytest.fixture
def notes_app(monkeypatch):
    """Declare the fake provider on an installed app, as collect or loop will declare theirs."""
    config = apps.get_app_config("surveys")
    monkeypatch.setattr(config, "customer_data", "tests.customers.fake_provider", raising=False)
    hooks.providers.cache_clear()
    fake_provider.NOTES.clear()
    fake_provider.FAIL_ON_ERASE["enabled"] = False
    yield fake_provider
    monkeypatch.undo()
    hooks.providers.cache_clear()


@pytest.fixture
def person(organisation, make_customer, add_visits, admin, hotel):
    """One person seeded everywhere this app keeps data, with a merged duplicate."""
    customer = make_customer(
        "loyalty-4711", name=NAME, email=EMAIL, attributes={"preferred name": "Pippa Stroud"}
    )
    duplicate = make_customer("crm-" + EMAIL, email=OTHER_EMAIL, phone=PHONE, name=NAME)
    add_visits(customer, every(14, 5, last=NOW - timedelta(days=3)), unit=hotel)
    add_visits(duplicate, every(14, 2, last=NOW - timedelta(days=90)), unit=hotel)
    services.set_temperament(customer, "gold", actor=admin.user)
    privacy.merge_customers(customer, duplicate, actor=admin.user, reason=f"{NAME} called us")
    customer.refresh_from_db()
    services.refresh_lapse()
    return customer


def full_dump() -> str:
    """Return every row of every table as text: what an operator's database dump holds."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from Django
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def test_erasure_leaves_no_trace_of_name_email_or_phone(person, admin, organisation):
    assert EMAIL in full_dump()  # the seeding put it there
    privacy.export_customer(person, actor=admin.user)
    summary = privacy.erase_customer(person, actor=admin.user)

    dump = full_dump()
    for secret in (NAME, EMAIL, PHONE, OTHER_EMAIL, OTHER_PHONE, "Pippa", "loyalty-4711"):
        assert secret not in dump, secret
    assert summary.rows_by_app["customers"] == 4  # two records, the merge row twice over
    erased = Customer.objects.get(pk=person.pk)
    assert erased.erased_at is not None
    assert erased.external_id.startswith("erased-")
    assert (erased.name, erased.email, erased.phone, erased.temperament) == ("", "", "", "")
    # The anonymous facts remain, so figures do not change.
    assert Interaction.objects.filter(customer=person).count() == 7
    event = AuditEvent.objects.get(action="customer.erase")
    assert event.target == f"customer #{person.pk}"
    assert event.detail["records"] == 2
    assert CustomerMerge.objects.get().merged_external_id == ""


def test_an_erased_customer_cannot_be_found_by_their_old_ids(person, admin, organisation):
    privacy.erase_customer(person, actor=admin.user)
    results = services.record_interactions(
        organisation,
        [
            InteractionInput("after-erasure", "loyalty-4711", "visit", NOW),
            InteractionInput("after-erasure-2", "crm-" + EMAIL, "visit", NOW),
        ],
        now=NOW,
    )
    assert [result.status for result in results] == ["invalid", "invalid"]
    with pytest.raises(Exception, match="erased already"):
        privacy.erase_customer(person, actor=admin.user)


def test_the_export_holds_every_record_and_is_audited(person, admin):
    data = privacy.export_customer(person, actor=admin.user)
    own = data["customers"]
    assert [record["email"] for record in own["records"]] == [EMAIL, OTHER_EMAIL]
    assert len(own["interactions"]) == 7
    assert own["merges"][0]["fields_taken"] == ["phone"]
    assert AuditEvent.objects.filter(action="customer.export").count() == 1


def test_other_apps_plug_into_timeline_merge_erasure_and_export(
    notes_app, organisation, make_customer, add_visits, admin
):
    survivor, duplicate = make_customer("A", name=NAME), make_customer("B")
    add_visits(survivor, [NOW - timedelta(days=2)])
    notes_app.NOTES[survivor.pk] = [(NOW - timedelta(days=1), "asked for a late check-out")]
    notes_app.NOTES[duplicate.pk] = [(NOW - timedelta(days=5), f"{NAME} complained")]

    merge = privacy.merge_customers(survivor, duplicate, actor=admin.user)
    assert merge.moved_elsewhere == {"notes": 1, "responses": 0}
    page = timeline.assemble(survivor, timeline.TimelineWindow())
    assert [entry.kind for entry in page.entries] == ["merge", "note", "interaction", "note"]
    assert privacy.export_customer(survivor, actor=admin.user)["notes"] == [
        f"{NAME} complained",
        "asked for a late check-out",
    ]
    summary = privacy.erase_customer(survivor, actor=admin.user)
    assert summary.rows_by_app["notes"] == 2
    assert NAME not in repr(notes_app.NOTES)


def test_a_failing_hook_erases_nothing(notes_app, organisation, make_customer, admin):
    customer = make_customer("A", name=NAME, email=EMAIL)
    notes_app.FAIL_ON_ERASE["enabled"] = True
    with pytest.raises(RuntimeError):
        privacy.erase_customer(customer, actor=admin.user)
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.erased_at) == (NAME, EMAIL, None)
    assert not AuditEvent.objects.filter(action="customer.erase").exists()


def test_the_timeline_pages_without_skipping_or_repeating(organisation, make_customer, add_visits):
    customer = make_customer("A")
    same_moment = NOW - timedelta(days=1)
    add_visits(customer, [NOW - timedelta(days=day) for day in range(2, 9)])
    add_visits(customer, [same_moment])
    add_visits(customer, [same_moment])  # two entries at one instant
    seen, before = [], None
    while True:
        page = timeline.assemble(customer, timeline.TimelineWindow(before=before, limit=3))
        seen.extend(entry.key for entry in page.entries)
        if page.next_before is None:
            break
        before = page.next_before
    assert len(seen) == len(set(seen)) == 9
