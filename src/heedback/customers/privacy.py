"""Identity and privacy: merging two records of one person, erasure, and export.

Each runs every app's hook (``hooks.py``) inside one transaction, the customers app's own
included, so a merge moves, and an erasure reaches, every table that names the customer,
or nothing at all. Audit events name customers by number only, never by name or email,
so the audit log itself needs no erasing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.core.errors import Conflict, InvalidInput, NotFound
from heedback.customers.hooks import Identifiers, providers_with
from heedback.customers.models import Customer, CustomerMerge
from heedback.customers.services import mark_stale
from heedback.orgs.services import record_audit

#: Fields the survivor takes from the merged record when its own are empty.
TAKEN_WHEN_EMPTY = ("email", "name", "phone", "value_tier")
TEMPERAMENT_FIELDS = (
    "temperament",
    "temperament_source",
    "temperament_set_by",
    "temperament_set_at",
)
MAX_REASON_LENGTH = 1000


def _actor_label(actor: AbstractBaseUser | None) -> str:
    return getattr(actor, "email", "") or getattr(actor, "username", "") or "system"


@transaction.atomic
def merge_customers(
    survivor: Customer,
    merged: Customer,
    *,
    actor: AbstractBaseUser | None,
    reason: str = "",
) -> CustomerMerge:
    """Merge ``merged`` into ``survivor``: one person, two records.

    The survivor keeps its own values and takes the merged record's where its own are
    empty; attributes are combined (the survivor's win). Interactions, and every other
    app's rows, move to the survivor. The merged record stays as a tombstone pointing at
    the survivor, so its external id and email still lead there, and records merged into
    it earlier now point at the survivor too.
    """
    if survivor.organisation_id != merged.organisation_id or survivor.pk == merged.pk:
        raise InvalidInput.from_pairs(
            _("Choose two different customers."), [("merged", _("choose another customer"))]
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput.from_pairs(
            _("The merge is not valid."), [("reason", _("At most 1,000 characters."))]
        )
    locked = {
        customer.pk: customer
        for customer in Customer.objects.filter(pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
        .select_for_update(no_key=True)
    }
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if not survivor.is_active or not merged.is_active:
        raise Conflict(_("One of the two customers was merged or erased meanwhile."))
    taken = _take_fields(survivor, merged)
    # The tombstone first: the survivor may take its email, unique among live records.
    Customer.objects.filter(merged_into=merged).update(merged_into=survivor)
    merged.merged_into = survivor
    merged.updated_at = timezone.now()
    merged.save(update_fields=["merged_into", "updated_at"])
    survivor.updated_at = timezone.now()
    survivor.save()
    moved = {
        provider.name: function(survivor, merged)
        for provider, function in providers_with("merge_customers")
    }
    mark_stale({survivor.pk, merged.pk})
    record = CustomerMerge.objects.create(
        organisation_id=survivor.organisation_id,
        survivor=survivor,
        merged=merged,
        merged_external_id=merged.external_id,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=_actor_label(actor),
        reason=reason.strip(),
        interactions_moved=moved.pop("customers", 0),
        fields_taken=taken,
        moved_elsewhere=moved,
    )
    record_audit(
        survivor.organisation,
        actor,
        "customer.merge",
        f"customer #{merged.pk} into #{survivor.pk}",
        fields_taken=taken,
        moved=record.interactions_moved,
    )
    return record


def _take_fields(survivor: Customer, merged: Customer) -> list[str]:
    taken = []
    for name in TAKEN_WHEN_EMPTY:
        if not getattr(survivor, name) and getattr(merged, name):
            setattr(survivor, name, getattr(merged, name))
            taken.append(name)
    if not survivor.temperament and merged.temperament:
        for name in TEMPERAMENT_FIELDS:
            setattr(survivor, name, getattr(merged, name))
        taken.append("temperament")
    combined = {**merged.attributes, **survivor.attributes}
    if combined != survivor.attributes:
        survivor.attributes = combined
        taken.append("attributes")
    if not survivor.external_id and merged.external_id:
        # The tombstone keeps its external id (it leads to the survivor); the survivor
        # shows it in the merge record and needs none of its own.
        taken.append("external_id (via the merged record)")
    return taken


@dataclass(frozen=True)
class ErasureSummary:
    customer_id: int
    rows_by_app: dict[str, int]


@transaction.atomic
def erase_customer(customer: Customer, *, actor: AbstractBaseUser | None) -> ErasureSummary:
    """Erase a person's personal data from every app; keep the anonymous facts and scores.

    The person is the live record and every record merged into it. Each app's
    ``erase_customer`` hook runs in this transaction; if one fails, nothing is erased.
    The audit event records that it happened and how many rows changed, nothing personal.
    """
    root = customer
    while root.merged_into_id is not None:
        root = Customer.objects.get(pk=root.merged_into_id)
    root = Customer.objects.select_for_update(no_key=True).get(pk=root.pk)
    if root.erased_at is not None:
        raise NotFound(_("This customer is erased already."))
    ids = [root.pk, *Customer.objects.filter(merged_into=root).values_list("pk", flat=True)]
    identifiers = _identifiers(ids)
    rows = {
        provider.name: function(root.organisation, ids)
        for provider, function in providers_with("erase_customer")
    }
    for provider, function in providers_with("erase_identifiers"):
        rows[provider.name] = rows.get(provider.name, 0) + function(root.organisation, identifiers)
    record_audit(
        root.organisation,
        actor,
        "customer.erase",
        f"customer #{root.pk}",
        records=len(ids),
        rows=rows,
    )
    return ErasureSummary(root.pk, rows)


#: Shorter names are too common to look for in free text (an outbox message "to Al").
MIN_NAME_LENGTH = 5


def _identifiers(customer_ids: list[int]) -> Identifiers:
    """Return the emails, names and phones of these records, before anything is blanked."""
    records = Customer.objects.filter(pk__in=customer_ids).values_list("email", "name", "phone")
    emails, names, phones = set(), set(), set()
    for email, name, phone in records:
        emails.add(email.strip().lower())
        names.add(name.strip())
        phones.add(phone.strip())
    return Identifiers(
        emails=tuple(sorted(email for email in emails if email)),
        names=tuple(sorted(name for name in names if len(name) >= MIN_NAME_LENGTH)),
        phones=tuple(sorted(phone for phone in phones if phone)),
    )


@transaction.atomic
def export_customer(customer: Customer, *, actor: AbstractBaseUser | None) -> dict[str, object]:
    """Return everything every app holds on the customer, as JSON-ready data; log it."""
    if customer.merged_into_id is not None:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    data: dict[str, object] = {
        "format": "heedback-customer-export/1",
        "exported_at": timezone.now().isoformat(),
        "organisation": customer.organisation.name,
        "customer_id": customer.pk,
    }
    for provider, function in providers_with("export_customer"):
        data[provider.name] = function(customer)
    record_audit(customer.organisation, actor, "customer.export", f"customer #{customer.pk}")
    return data
