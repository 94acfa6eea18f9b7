"""The stored rhythm: the periodic refresh, rule changes, the rebuild command, time passing."""

from __future__ import annotations

import random
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from heedback.customers import lapse, selectors, services
from heedback.customers.inputs import InteractionInput
from heedback.customers.models import Customer, LapseSettings
from heedback.ops.management.commands.worker import periodic_jobs
from tests.customers.conftest import every


@pytest.fixture
def now():
    return timezone.now()


def stored(customer: Customer) -> lapse.Rhythm:
    return Customer.objects.get(pk=customer.pk).rhythm()


def test_the_worker_declares_the_refresh():
    assert services.refresh_lapse in periodic_jobs()


def test_the_refresh_stores_what_the_pure_rule_says(organisation, make_customer, add_visits, now):
    rng = random.Random(7)
    customers = []
    for index in range(40):
        customer = make_customer(f"C-{index}")
        count = rng.randint(0, 12)
        times = [now - timedelta(days=rng.uniform(0, 400)) for _ in range(count)]
        if count:
            add_visits(customer, times)
        customers.append((customer, times))
    with_history = sum(1 for _customer, times in customers if times)
    assert services.refresh_lapse(chunk_size=7) == with_history
    rule = lapse.LapseRule()
    for customer, times in customers:
        expected = lapse.rhythm_of(times, rule)
        got = stored(customer)
        assert (got.visits, got.gap_count, got.basis) == (
            expected.visits,
            expected.gap_count,
            expected.basis,
        )
        for name in ("typical_gap", "at_risk_gap", "lapse_gap"):
            wanted = getattr(expected, name)
            assert getattr(got, name) == (None if wanted is None else pytest.approx(wanted))
        if expected.lapse_at is not None:
            assert abs((got.lapse_at - expected.lapse_at).total_seconds()) < 0.001
        assert Customer.objects.get(pk=customer.pk).lapse_stale is False
    assert services.refresh_lapse() == 0  # nothing left to do


def test_time_passing_needs_no_refresh(organisation, make_customer, add_visits, now):
    customer = make_customer("C-1")
    add_visits(customer, every(7, 10, last=now - timedelta(days=1)))
    services.refresh_lapse()
    fresh = Customer.objects.get(pk=customer.pk)
    assert lapse.status_at(fresh.rhythm(), now).lapsed is False
    later = now + timedelta(days=60)
    assert lapse.status_at(fresh.rhythm(), later).lapsed is True
    listed = selectors.filter_customers(
        selectors.live_customers(organisation), selectors.CustomerFilters(lapsed=True), later
    )
    assert list(listed) == [fresh]


def test_a_new_interaction_is_seen_at_once_on_the_customer_and_by_the_next_refresh(
    organisation, make_customer, add_visits, now
):
    customer = make_customer("C-1")
    add_visits(customer, every(7, 10, last=now - timedelta(days=40)))
    services.refresh_lapse()
    rule = selectors.lapse_rule(organisation)
    assert selectors.status_of(Customer.objects.get(pk=customer.pk), rule, now).lapsed is True
    services.record_interaction(
        organisation, InteractionInput("back", "C-1", "visit", now - timedelta(hours=2))
    )
    pending = Customer.objects.get(pk=customer.pk)
    assert pending.lapse_stale is True
    # The page and the API compute a stale customer afresh; lists wait for the worker.
    assert selectors.status_of(pending, rule, now).lapsed is False
    services.refresh_lapse()
    assert lapse.status_at(stored(customer), now).lapsed is False


def test_a_rule_change_rejudges_every_customer(organisation, make_customer, add_visits, admin, now):
    customer = make_customer("C-1")
    add_visits(customer, every(10, 4, last=now - timedelta(days=40)))  # three gaps: fallback
    services.refresh_lapse()
    assert stored(customer).lapse_gap == pytest.approx(60 * 86400)
    services.update_lapse_settings(
        organisation, lapse.LapseRule(fallback_gap_days=20), actor=admin.user
    )
    settings = LapseSettings.objects.get(organisation=organisation)
    assert settings.version == 1
    assert settings.rebuilt_version == 0
    services.refresh_lapse()
    assert stored(customer).lapse_gap == pytest.approx(20 * 86400)
    settings.refresh_from_db()
    assert settings.rebuilt_version == settings.version


def test_a_rebuild_resumes_where_it_stopped(organisation, make_customer, add_visits, now):
    made = [make_customer(f"C-{index}") for index in range(5)]
    for customer in made:
        add_visits(customer, every(7, 6, last=now - timedelta(days=2)))
    Customer.objects.update(visit_count=0, lapse_stale=False)  # as if the stored rhythm were lost
    settings, _ = LapseSettings.objects.get_or_create(organisation=organisation)
    LapseSettings.objects.filter(pk=settings.pk).update(version=1)
    from heedback.customers import lapse_store

    assert lapse_store.rebuild_step(settings.pk, 2) == 2  # then the worker is killed
    settings.refresh_from_db()
    assert settings.rebuild_after_id == made[1].pk
    services.refresh_lapse(chunk_size=2)
    assert set(Customer.objects.values_list("visit_count", flat=True)) == {6}


def test_the_recompute_command_shows_progress(organisation, make_customer, add_visits, now):
    for index in range(3):
        add_visits(make_customer(f"C-{index}"), every(7, 4, last=now))
    Customer.objects.update(visit_count=0, lapse_stale=False)
    out, err = StringIO(), StringIO()
    call_command("recompute_lapse", "--organisation", "acme", stdout=out, stderr=err)
    assert "[##############################] 3/3" in err.getvalue()
    assert "Judged 3 customers of Acme Hotels" in out.getvalue()
    assert set(Customer.objects.values_list("visit_count", flat=True)) == {4}


def test_the_recompute_command_refuses_an_unknown_organisation(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organisation"):
        call_command("recompute_lapse", "--organisation", "nope", stdout=StringIO())
