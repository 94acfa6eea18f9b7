"""Writes of the customers app: customers and interactions in, temperament, the lapse rule.

Merges, erasure and export live in ``privacy.py``; the lapse machinery in ``lapse_store.py``.
Every write that changes a customer's interactions marks the customer *stale* in its own
transaction, and the periodic ``refresh_lapse`` recomputes stale customers.
"""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.core.errors import Conflict, InvalidInput, NotFound, ServiceError
from heedback.customers import lapse, lapse_store, quiz
from heedback.customers.choices import Temperament, TemperamentSource
from heedback.customers.economics import Activity
from heedback.customers.inputs import CustomerInput, InteractionInput
from heedback.customers.models import (
    Customer,
    Interaction,
    LapseSettings,
    LoyaltySnapshot,
    TemperamentGuidance,
)
from heedback.customers.selectors import activity, periods_ending, today_in
from heedback.orgs.models import Organisation, Unit
from heedback.orgs.services import record_audit

MAX_BATCH_SIZE = 1000
#: Attempts at a batch that keeps colliding with concurrent writers of the same ids.
ATTEMPTS = 5
#: A periodic refresh stops starting chunks after this many seconds, so one round of the
#: worker's jobs stays short even after a large import.
REFRESH_TIME_BUDGET = 20.0


class ItemStatus(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


@dataclass(frozen=True)
class ItemResult:
    """What became of one item of a batch; ``is_conflict`` marks a clash with stored data."""

    index: int
    status: ItemStatus
    id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    is_conflict: bool = False


def _invalid(index: int, error: ServiceError) -> ItemResult:
    errors = error.errors or {"__all__": [error.message]}
    return ItemResult(index, ItemStatus.INVALID, errors=errors, is_conflict=error.status == 409)


def _only(results: list[ItemResult], message: str) -> ItemResult:
    """Return the one result of a single-item call, raising its error as the service's own."""
    result = results[0]
    if result.status == ItemStatus.INVALID:
        error_class = Conflict if result.is_conflict else InvalidInput
        raise error_class(message, errors=result.errors)
    return result


def _retrying(store):
    """Run ``store`` in a transaction, again on a unique-key race with a concurrent writer."""
    for _attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return store()
        except IntegrityError:
            continue
    raise Conflict(_("The batch kept colliding with concurrent writes; send it again."))


# --- customers ---------------------------------------------------------------------------


def upsert_customer(organisation: Organisation, item: CustomerInput) -> tuple[Customer, bool]:
    """Create or update one customer by external id (or email); return it and whether new."""
    result = _only(upsert_customers(organisation, [item]), _("The customer is not valid."))
    return Customer.objects.get(pk=result.id), result.status == ItemStatus.CREATED


def upsert_customers(
    organisation: Organisation, items: Sequence[CustomerInput | ServiceError]
) -> list[ItemResult]:
    """Create or update customers, each found by external id, else by email.

    Only the fields an item provides change. An item naming an email that belongs to
    another customer is refused (merge the two instead). Items are independent: an
    invalid one never stops the others. A repeat is ``unchanged``.
    """
    results: dict[int, ItemResult] = {}
    prepared: dict[int, CustomerInput] = {}
    for index, item in enumerate(items):
        if isinstance(item, ServiceError):
            results[index] = _invalid(index, item)
            continue
        item = item.normalised()
        problems = item.problems()
        if problems:
            error = InvalidInput.from_pairs(_("The customer is not valid."), problems)
            results[index] = _invalid(index, error)
        else:
            prepared[index] = item
    if prepared:
        results.update(_retrying(lambda: _store_customers(organisation, prepared)))
    return [results[index] for index in range(len(items))]


class _CustomerBook:
    """The batch's customers by external id and by email, stored and about to be stored."""

    def __init__(self, organisation: Organisation, items: Sequence[CustomerInput]) -> None:
        external_ids = {item.external_id for item in items if item.external_id}
        emails = {item.email for item in items if item.email}
        by_external = dict(
            Customer.objects.filter(organisation=organisation, external_id__in=external_ids)
            .values_list("external_id", "pk")
            .order_by()
        )
        tombstones = dict(
            Customer.objects.filter(pk__in=by_external.values(), merged_into__isnull=False)
            .values_list("pk", "merged_into_id")
            .order_by()
        )
        # A live record's email wins; a merged record's email leads to its survivor, so
        # that a system still sending the old address does not recreate the duplicate.
        by_email: dict[str, int] = {}
        self.merged_emails: set[str] = set()
        for email, pk, merged_into in (
            Customer.objects.filter(organisation=organisation, email__in=emails)
            .order_by("pk")
            .values_list("email", "pk", "merged_into_id")
        ):
            if merged_into is None:
                by_email[email] = pk
                self.merged_emails.discard(email)
            elif email not in by_email:
                by_email[email] = merged_into
                self.merged_emails.add(email)
        targets = {tombstones.get(pk, pk) for pk in by_external.values()} | set(by_email.values())
        locked = {
            customer.pk: customer
            for customer in Customer.objects.filter(pk__in=targets, merged_into__isnull=True)
            .order_by("pk")
            .select_for_update(no_key=True)
        }
        self.by_external = {
            key: locked[tombstones.get(pk, pk)]
            for key, pk in by_external.items()
            if tombstones.get(pk, pk) in locked
        }
        self.by_email = {key: locked[pk] for key, pk in by_email.items() if pk in locked}

    def find(self, item: CustomerInput) -> Customer | None:
        """Return the customer the item means, or raise Conflict when its ids disagree."""
        by_id = self.by_external.get(item.external_id) if item.external_id else None
        by_mail = self.by_email.get(item.email) if item.email else None
        if by_id is not None and by_mail is not None and by_id is not by_mail:
            raise _email_taken(by_mail)
        # An email found without the item's external id: adopt the record, unless it has
        # an external id of its own, which says it is someone else.
        if by_id is None and by_mail is not None and item.external_id and by_mail.external_id:
            raise _email_taken(by_mail)
        return by_id or by_mail

    def note(self, customer: Customer) -> None:
        if customer.external_id:
            self.by_external[customer.external_id] = customer
        if customer.email:
            self.by_email[customer.email] = customer


def _email_taken(other: Customer) -> Conflict:
    return Conflict(
        _("Another customer has this email."),
        errors={"email": [_("belongs to customer %s; merge the two instead") % other.pk]},
    )


def _store_customers(
    organisation: Organisation, items: dict[int, CustomerInput]
) -> dict[int, ItemResult]:
    book = _CustomerBook(organisation, list(items.values()))
    now = timezone.now()
    outcome: dict[int, tuple[ItemStatus, Customer]] = {}
    new: list[Customer] = []
    changed: dict[int, Customer] = {}
    results: dict[int, ItemResult] = {}
    for index, item in items.items():
        try:
            customer = book.find(item)
        except Conflict as error:
            results[index] = _invalid(index, error)
            continue
        if item.email in book.merged_emails:
            # Found by a merged record's address: the survivor keeps its own.
            item = replace(item, provided=item.provided - {"email"})
        if customer is None:
            customer = Customer(organisation=organisation, created_at=now, updated_at=now)
            _apply(customer, item, now)
            new.append(customer)
            outcome[index] = (ItemStatus.CREATED, customer)
        elif _apply(customer, item, now):
            if customer.pk is not None:
                changed[customer.pk] = customer
            outcome[index] = (ItemStatus.UPDATED, customer)
        else:
            outcome[index] = (ItemStatus.UNCHANGED, customer)
        book.note(customer)
    Customer.objects.bulk_create(new)
    Customer.objects.bulk_update(list(changed.values()), UPDATABLE_FIELDS)
    for index, (status, customer) in outcome.items():
        results[index] = ItemResult(index, status, customer.pk)
    return results


UPDATABLE_FIELDS = [
    "external_id",
    "email",
    "name",
    "phone",
    "value_tier",
    "attributes",
    "temperament",
    "temperament_source",
    "temperament_set_by",
    "temperament_set_at",
    "updated_at",
]


def _apply(customer: Customer, item: CustomerInput, now: datetime) -> bool:
    """Copy the item's provided fields onto the customer; return whether anything changed."""
    changed = False
    if item.external_id and customer.external_id != item.external_id:
        customer.external_id = item.external_id
        changed = True
    for name in ("email", "name", "phone", "value_tier", "attributes"):
        if name in item.provided and getattr(customer, name) != getattr(item, name):
            setattr(customer, name, getattr(item, name))
            changed = True
    if "temperament" in item.provided and customer.temperament != item.temperament:
        customer.temperament = item.temperament
        customer.temperament_source = TemperamentSource.API if item.temperament else ""
        customer.temperament_set_by = None
        customer.temperament_set_at = now if item.temperament else None
        changed = True
    if changed:
        customer.updated_at = now
    return changed


@transaction.atomic
def set_temperament(
    customer: Customer,
    temperament: str,
    *,
    actor: AbstractBaseUser | None,
    source: str = TemperamentSource.STAFF,
) -> Customer:
    """Set (or clear, with "") a customer's temperament, noting who said so and when."""
    if temperament and temperament not in Temperament.values:
        raise InvalidInput.from_pairs(
            _("The temperament is not valid."),
            [("temperament", _("Choose one of: %s.") % ", ".join(Temperament.values))],
        )
    customer = Customer.objects.select_for_update(no_key=True).get(pk=customer.pk)
    if not customer.is_active:
        raise NotFound(_("This customer was merged or erased."))
    customer.temperament = temperament
    customer.temperament_source = source if temperament else ""
    customer.temperament_set_by = actor if actor is not None and actor.pk else None
    customer.temperament_set_at = timezone.now() if temperament else None
    customer.updated_at = timezone.now()
    customer.save(
        update_fields=[
            "temperament",
            "temperament_source",
            "temperament_set_by",
            "temperament_set_at",
            "updated_at",
        ]
    )
    record_audit(
        customer.organisation,
        actor,
        "customer.temperament",
        f"customer #{customer.pk}",
        temperament=temperament,
    )
    return customer


# --- interactions ------------------------------------------------------------------------


def record_interaction(
    organisation: Organisation, item: InteractionInput
) -> tuple[Interaction, bool]:
    """Store one interaction once; a repeat of its external id returns the first (False)."""
    result = _only(record_interactions(organisation, [item]), _("The interaction is not valid."))
    interaction = Interaction.objects.select_related("customer", "unit", "staff").get(pk=result.id)
    return interaction, result.status == ItemStatus.CREATED


def record_interactions(
    organisation: Organisation,
    items: Sequence[InteractionInput | ServiceError],
    *,
    now: datetime | None = None,
) -> list[ItemResult]:
    """Store every new, valid interaction of a batch; report each item's fate.

    An external id stored before, or seen earlier in the batch, is a duplicate pointing at
    the stored interaction (even if the item differs: interactions are facts). A naive
    ``occurred_at`` is read in the organisation's time zone. The customers concerned are
    marked stale in the same transaction.
    """
    now = now or timezone.now()
    results, prepared, directory = _prepare_interactions(organisation, items, now)
    if prepared:
        stored = _retrying(lambda: _store_interactions(organisation, prepared, directory, now))
        results.update(stored)
    return [results[index] for index in range(len(items))]


def check_interactions(
    organisation: Organisation,
    items: Sequence[InteractionInput | ServiceError],
    *,
    now: datetime | None = None,
) -> list[ItemResult]:
    """Report what ``record_interactions`` would do with a batch, storing nothing.

    For an importer's dry run: ``created`` means "would be created"; ``duplicate`` names
    the stored interaction, or has no id when an earlier item of the batch has the same
    external id; ``invalid`` carries the same errors as a real run (impossible dates,
    unknown customers, units or staff).
    """
    now = now or timezone.now()
    results, prepared, _directory = _prepare_interactions(organisation, items, now)
    stored = dict(
        Interaction.objects.filter(
            organisation=organisation,
            external_id__in={item.external_id for item in prepared.values()},
        )
        .order_by()
        .values_list("external_id", "pk")
    )
    known = set(
        Customer.objects.filter(
            organisation=organisation,
            external_id__in={item.customer_external_id for item in prepared.values()},
        )
        .order_by()
        .values_list("external_id", flat=True)
    )
    seen: set[str] = set()
    for index, item in prepared.items():
        if item.external_id in stored:
            results[index] = ItemResult(index, ItemStatus.DUPLICATE, stored[item.external_id])
        elif item.external_id in seen:
            results[index] = ItemResult(index, ItemStatus.DUPLICATE)
        elif item.customer_external_id not in known:
            error = InvalidInput.from_pairs(
                _("The interaction is not valid."),
                [("customer", _("no customer with this external id"))],
            )
            results[index] = _invalid(index, error)
        else:
            results[index] = ItemResult(index, ItemStatus.CREATED)
        seen.add(item.external_id)
    return [results[index] for index in range(len(items))]


def _prepare_interactions(
    organisation: Organisation, items: Sequence[InteractionInput | ServiceError], now: datetime
) -> tuple[dict[int, ItemResult], dict[int, InteractionInput], _Directory]:
    """Check each item on its own and against the organisation's units and staff.

    Return the results of the items found invalid, the valid items by index, and the
    directory of units and staff they name.
    """
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    results: dict[int, ItemResult] = {}
    prepared: dict[int, InteractionInput] = {}
    for index, item in enumerate(items):
        if isinstance(item, ServiceError):
            results[index] = _invalid(index, item)
            continue
        if timezone.is_naive(item.occurred_at):
            item = _with_time(item, timezone.make_aware(item.occurred_at, zone))
        problems = item.problems(now)
        if problems:
            error = InvalidInput.from_pairs(_("The interaction is not valid."), problems)
            results[index] = _invalid(index, error)
        else:
            prepared[index] = item
    directory = _Directory(organisation, list(prepared.values()))
    for index, item in list(prepared.items()):
        problems = directory.problems(item)
        if problems:
            error = InvalidInput.from_pairs(_("The interaction is not valid."), problems)
            results[index] = _invalid(index, error)
            del prepared[index]
    return results, prepared, directory


def _with_time(item: InteractionInput, occurred_at: datetime) -> InteractionInput:
    return InteractionInput(
        external_id=item.external_id,
        customer_external_id=item.customer_external_id,
        kind=item.kind,
        occurred_at=occurred_at,
        unit_id=item.unit_id,
        staff_email=item.staff_email,
        value=item.value,
    )


class _Directory:
    """The units and staff a batch names, looked up once."""

    def __init__(self, organisation: Organisation, items: Sequence[InteractionInput]) -> None:
        unit_ids = {item.unit_id for item in items if item.unit_id is not None}
        emails = {item.staff_email.strip().lower() for item in items if item.staff_email.strip()}
        self.units = set(
            Unit.objects.for_org(organisation).filter(pk__in=unit_ids).values_list("pk", flat=True)
        )
        self.staff = {
            user.email.lower(): user.pk
            for user in get_user_model().objects.filter(
                memberships__organisation=organisation, email__in=emails
            )
        }

    def problems(self, item: InteractionInput) -> list[tuple[str, str]]:
        found = []
        if item.unit_id is not None and item.unit_id not in self.units:
            found.append(("unit", _("not found")))
        if item.staff_email.strip() and item.staff_email.strip().lower() not in self.staff:
            found.append(("staff", _("no member with this email")))
        return found

    def staff_id(self, item: InteractionInput) -> int | None:
        return self.staff.get(item.staff_email.strip().lower()) if item.staff_email else None


def _store_interactions(
    organisation: Organisation,
    items: dict[int, InteractionInput],
    directory: _Directory,
    now: datetime,
) -> dict[int, ItemResult]:
    # No ordering: the model's default (by time) would lead SQLite to walk the whole
    # organisation's interactions in time order instead of looking the ids up.
    stored = dict(
        Interaction.objects.filter(
            organisation=organisation, external_id__in={item.external_id for item in items.values()}
        )
        .order_by()
        .values_list("external_id", "pk")
    )
    customers = lock_customers_by_external_id(
        organisation, {item.customer_external_id for item in items.values()}
    )
    results: dict[int, ItemResult] = {}
    new: dict[str, Interaction] = {}
    repeats: dict[int, str] = {}
    for index, item in items.items():
        if item.external_id in stored:
            results[index] = ItemResult(index, ItemStatus.DUPLICATE, stored[item.external_id])
        elif item.external_id in new:
            repeats[index] = item.external_id
        elif item.customer_external_id not in customers:
            error = InvalidInput.from_pairs(
                _("The interaction is not valid."),
                [("customer", _("no customer with this external id"))],
            )
            results[index] = _invalid(index, error)
        else:
            new[item.external_id] = _interaction(organisation, item, customers, directory, now)
            results[index] = ItemResult(index, ItemStatus.CREATED)
    Interaction.objects.bulk_create(list(new.values()))
    mark_stale({interaction.customer_id for interaction in new.values()})
    for index, item in items.items():
        if results.get(index) and results[index].status == ItemStatus.CREATED:
            results[index] = ItemResult(index, ItemStatus.CREATED, new[item.external_id].pk)
    for index, external_id in repeats.items():
        results[index] = ItemResult(index, ItemStatus.DUPLICATE, new[external_id].pk)
    return results


def _interaction(
    organisation: Organisation,
    item: InteractionInput,
    customers: dict[str, int],
    directory: _Directory,
    now: datetime,
) -> Interaction:
    return Interaction(
        organisation=organisation,
        customer_id=customers[item.customer_external_id],
        unit_id=item.unit_id,
        staff_id=directory.staff_id(item),
        kind=item.kind,
        occurred_at=item.occurred_at,
        value=item.value,
        external_id=item.external_id.strip(),
        recorded_at=now,
    )


def lock_customers_by_external_id(
    organisation: Organisation, external_ids: set[str]
) -> dict[str, int]:
    """Return the live customer behind each known external id, with its row locked.

    A merged record's id leads to the customer it was merged into. Rows are locked in id
    order, as every writer of customers' interactions does, so two writers never deadlock.
    Call inside a transaction.
    """
    rows = (
        Customer.objects.filter(organisation=organisation, external_id__in=external_ids)
        .order_by()
        .values_list("external_id", "pk", "merged_into_id")
    )
    target = {external_id: merged_into or pk for external_id, pk, merged_into in rows}
    locked = set(
        Customer.objects.filter(pk__in=set(target.values()), merged_into__isnull=True)
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", flat=True)
    )
    if not set(target.values()) <= locked:
        # A merge moved a customer between the two reads: the whole batch is tried again.
        raise IntegrityError("customer merged concurrently")
    return target


def mark_stale(customer_ids: set[int]) -> None:
    """Mark customers for the lapse refresh; call in the transaction that changed them."""
    if customer_ids:
        Customer.objects.filter(pk__in=customer_ids).update(lapse_stale=True)


# --- the lapse rule and the refresh ------------------------------------------------------


@transaction.atomic
def update_lapse_settings(
    organisation: Organisation, rule: lapse.LapseRule, *, actor: AbstractBaseUser | None
) -> LapseSettings:
    """Change the organisation's lapse rule; the worker then re-judges every customer."""
    problems = rule.problems()
    if problems:
        raise InvalidInput.from_pairs(_("The lapse rule is not valid."), problems)
    settings, _created = LapseSettings.objects.get_or_create(organisation=organisation)
    settings = LapseSettings.objects.select_for_update().get(pk=settings.pk)
    for name in lapse.LapseRule.__dataclass_fields__:
        setattr(settings, name, getattr(rule, name))
    settings.updated_by = actor if actor is not None and actor.pk else None
    settings.updated_at = timezone.now()
    settings.version = F("version") + 1
    settings.rebuild_after_id = 0
    settings.save()
    record_audit(organisation, actor, "customers.lapse_rule", "", **asdict(rule))
    settings.refresh_from_db()
    return settings


@transaction.atomic
def record_quiz(customer: Customer, answers: Mapping[str, str]) -> Customer:
    """Set a customer's temperament from their own answers to the four-question quiz.

    The customer's own answers outrank an earlier guess, by staff or by an integration.
    """
    found = quiz.problems(answers)
    if found:
        raise InvalidInput.from_pairs(_("Answer the four questions."), found)
    return set_temperament(
        customer,
        quiz.temperament_of(answers),
        actor=None,
        source=TemperamentSource.QUIZ,
    )


@transaction.atomic
def update_guidance(
    organisation: Organisation, temperament: str, text: str, *, actor: AbstractBaseUser | None
) -> TemperamentGuidance | None:
    """Set the organisation's paragraph for a temperament; an empty text restores the default."""
    if temperament not in Temperament.values:
        raise InvalidInput.from_pairs(
            _("The guidance is not valid."),
            [("temperament", _("Choose one of: %s.") % ", ".join(Temperament.values))],
        )
    text = text.strip()
    if len(text) > 2000:
        raise InvalidInput.from_pairs(
            _("The guidance is not valid."), [("text", _("At most %d characters.") % 2000)]
        )
    record_audit(organisation, actor, "customers.guidance", temperament)
    if not text:
        TemperamentGuidance.objects.filter(
            organisation=organisation, temperament=temperament
        ).delete()
        return None
    guidance, _created = TemperamentGuidance.objects.update_or_create(
        organisation=organisation,
        temperament=temperament,
        defaults={
            "text": text,
            "updated_by": actor if actor is not None and actor.pk else None,
            "updated_at": timezone.now(),
        },
    )
    return guidance


def refresh_lapse(
    *, chunk_size: int = lapse_store.CHUNK_SIZE, time_budget: float = REFRESH_TIME_BUDGET
) -> int:
    """Recompute stale customers and finish rule changes; return how many were judged.

    The worker runs this every few seconds. Time passing needs no work: a customer stores
    the instants at which they become at risk and lapsed, and reads compare them with now.
    """
    deadline = time.monotonic() + time_budget
    judged = 0
    for settings_id in lapse_store.rebuilds_due():
        while time.monotonic() < deadline:
            step = lapse_store.rebuild_step(settings_id, chunk_size)
            if not step:
                break
            judged += step
    for organisation_id in lapse_store.stale_organisations():
        rule = lapse_store.rule_of(organisation_id)
        while time.monotonic() < deadline:
            step = lapse_store.refresh_stale_chunk(organisation_id, rule, chunk_size)
            judged += step
            if step < chunk_size:
                break
    return judged


def recompute_lapse(
    organisation: Organisation,
    *,
    chunk_size: int = lapse_store.CHUNK_SIZE,
    progress: lapse_store.ProgressCallback | None = None,
) -> int:
    """Re-judge every customer of the organisation now (``heedback recompute-lapse``).

    The rebuild is the worker's: started here, it is finished by whoever gets to each
    chunk first, and a rebuild interrupted half-way resumes where it stopped.
    """
    with transaction.atomic():
        settings, _created = LapseSettings.objects.get_or_create(organisation=organisation)
        LapseSettings.objects.filter(pk=settings.pk).update(
            version=F("version") + 1, rebuild_after_id=0
        )
    total = Customer.objects.filter(organisation=organisation).count()
    judged = 0
    while True:
        step = lapse_store.rebuild_step(settings.pk, chunk_size)
        if step is None:
            break  # another worker holds the rebuild; it will finish it
        judged += step
        if progress is not None:
            progress(min(judged, total), total)
        if step == 0:
            break
    return judged


# --- loyalty figures ---------------------------------------------------------------------

#: The period lengths the loyalty page offers, in months.
LOYALTY_PERIODS = (12, 6, 3, 1)
#: Snapshots older than this are deleted by the daily refresh.
LOYALTY_KEPT_DAYS = 7


def loyalty_activity(
    organisation: Organisation, months: int, end_day: date
) -> tuple[Activity, datetime]:
    """Return the activity of the two periods ending on ``end_day``, and when it was counted.

    Counted once a day (by the worker, or by the first page view of the day when the
    worker has not got there yet) and stored; later readers get the stored row.
    """
    snapshot = LoyaltySnapshot.objects.filter(
        organisation=organisation, period_months=months, end_day=end_day
    ).first()
    if snapshot is None:
        counted = activity(organisation, periods_ending(organisation, end_day, months))
        try:
            with transaction.atomic():
                snapshot, _created = LoyaltySnapshot.objects.get_or_create(
                    organisation=organisation,
                    period_months=months,
                    end_day=end_day,
                    defaults={
                        "previous_customers": counted.previous_customers,
                        "retained_customers": counted.retained_customers,
                        "current_customers": counted.current_customers,
                        "current_revenue": round(counted.current_revenue, 2),
                    },
                )
        except IntegrityError:  # another process stored the same day meanwhile
            snapshot = LoyaltySnapshot.objects.get(
                organisation=organisation, period_months=months, end_day=end_day
            )
    return snapshot.activity(), snapshot.computed_at


@dataclass(frozen=True)
class CountedActivity:
    activity: Activity
    end_day: date  # the periods end at the start of this day
    counted_at: datetime


def latest_loyalty_activity(organisation: Organisation, months: int) -> CountedActivity:
    """Return the newest counted activity for the page: today's, else the week's newest.

    Counting reads every interaction of two periods (seconds at a million customers), so a
    page never waits for it while yesterday's count is there; the worker counts today's.
    Only an organisation counted for the first time waits, once.
    """
    today = today_in(organisation)
    snapshot = (
        LoyaltySnapshot.objects.filter(
            organisation=organisation,
            period_months=months,
            end_day__gte=today - timedelta(days=LOYALTY_KEPT_DAYS),
        )
        .order_by("-end_day")
        .first()
    )
    if snapshot is not None:
        return CountedActivity(snapshot.activity(), snapshot.end_day, snapshot.computed_at)
    activity_now, counted_at = loyalty_activity(organisation, months, today)
    return CountedActivity(activity_now, today, counted_at)


def refresh_loyalty(*, time_budget: float = REFRESH_TIME_BUDGET) -> int:
    """Count today's loyalty figures of every organisation with interactions; return how many.

    A periodic job: it does the work once a day per organisation and period length, and
    is a few cheap look-ups the rest of the time.
    """
    deadline = time.monotonic() + time_budget
    counted = 0
    with_interactions = Organisation.objects.filter(
        Exists(Interaction.objects.filter(organisation=OuterRef("pk")))
    )
    for organisation in with_interactions.order_by("pk"):
        today = today_in(organisation)
        done = set(
            LoyaltySnapshot.objects.filter(organisation=organisation, end_day=today).values_list(
                "period_months", flat=True
            )
        )
        for months in LOYALTY_PERIODS:
            if months in done:
                continue
            if time.monotonic() > deadline:
                return counted
            loyalty_activity(organisation, months, today)
            counted += 1
        LoyaltySnapshot.objects.filter(
            organisation=organisation, end_day__lt=today - timedelta(days=LOYALTY_KEPT_DAYS)
        ).delete()
    return counted
