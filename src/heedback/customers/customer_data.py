"""The customers app's own part of a customer's timeline, merge, erasure and export.

Declared on ``CustomersConfig.customer_data`` exactly as other apps declare theirs (see
``hooks.py``), so the timeline, a merge, an erasure and an export treat every app alike.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from heedback.customers.models import Customer, CustomerMerge, Interaction
from heedback.customers.timeline import TimelineEntry, TimelineWindow
from heedback.orgs.models import Organisation

NAME = "customers"
#: Replaces an erased customer's external id: unique, and says what happened.
ERASED_PREFIX = "erased-"


def timeline_entries(customer: Customer, window: TimelineWindow) -> Iterable[TimelineEntry]:
    """Return the customer's interactions and merges, newest first."""
    interactions = Interaction.objects.filter(customer=customer).select_related("unit", "staff")
    merges = CustomerMerge.objects.filter(survivor=customer)
    if window.before is not None:
        interactions = interactions.filter(occurred_at__lt=window.before)
        merges = merges.filter(at__lt=window.before)
    entries = [
        _interaction_entry(item)
        for item in interactions.order_by("-occurred_at", "-id")[: window.limit]
    ]
    entries.extend(_merge_entry(merge) for merge in merges.order_by("-at")[: window.limit])
    return entries


def _interaction_entry(interaction: Interaction) -> TimelineEntry:
    value = ""
    if interaction.value is not None:
        value = formats.number_format(interaction.value, decimal_pos=2, use_l10n=True)
    return TimelineEntry(
        at=interaction.occurred_at,
        kind="interaction",
        key=f"interaction:{interaction.pk}",
        title=interaction.get_kind_display(),
        detail=_("Reference %s") % interaction.external_id,
        unit=interaction.unit.name if interaction.unit else "",
        staff=_staff_name(interaction),
        badge=value,
        badge_class="amount",
        data={"interaction_kind": interaction.kind},
    )


def _staff_name(interaction: Interaction) -> str:
    staff = interaction.staff
    if staff is None:
        return ""
    return staff.get_full_name() or staff.email


def _merge_entry(merge: CustomerMerge) -> TimelineEntry:
    detail = _("%(count)s interactions moved; by %(who)s.") % {
        "count": merge.interactions_moved,
        "who": merge.actor_label or _("the system"),
    }
    return TimelineEntry(
        at=merge.at,
        kind="merge",
        key=f"merge:{merge.pk}",
        title=_("Record #%s merged into this customer") % merge.merged_id,
        detail=detail,
    )


def merge_customers(survivor: Customer, merged: Customer) -> int:
    """Move the merged record's interactions to the survivor; return how many moved."""
    return Interaction.objects.filter(customer=merged).update(customer=survivor)


def erase_customer(organisation: Organisation, customer_ids: Sequence[int]) -> int:
    """Blank the personal data of these customer records and of the merges naming them.

    Interactions stay (kind, unit, time, value): anonymous facts the figures are made of.
    Each external id becomes a random token, so the old one no longer finds the record.
    """
    changed = 0
    now = timezone.now()
    for customer in Customer.objects.filter(organisation=organisation, pk__in=customer_ids):
        customer.external_id = f"{ERASED_PREFIX}{secrets.token_hex(12)}"
        customer.email = customer.name = customer.phone = ""
        customer.attributes = {}
        customer.temperament = customer.temperament_source = ""
        customer.temperament_set_by = None
        customer.temperament_set_at = None
        customer.erased_at = customer.erased_at or now
        customer.updated_at = now
        customer.save()
        changed += 1
    merges = CustomerMerge.objects.filter(organisation=organisation)
    changed += merges.filter(survivor_id__in=customer_ids).update(merged_external_id="", reason="")
    changed += merges.filter(merged_id__in=customer_ids).update(merged_external_id="", reason="")
    return changed


def export_customer(customer: Customer) -> dict[str, object]:
    """Return the customer record, the records merged into it, interactions and merges."""
    records = [customer, *Customer.objects.filter(merged_into=customer).order_by("pk")]
    interactions = Interaction.objects.filter(customer=customer).select_related("unit", "staff")
    return {
        "records": [_record(record) for record in records],
        "interactions": [
            {
                "external_id": item.external_id,
                "kind": item.kind,
                "occurred_at": item.occurred_at.isoformat(),
                "unit": item.unit.name if item.unit else None,
                "staff": item.staff.email if item.staff else None,
                "value": str(item.value) if item.value is not None else None,
            }
            for item in interactions.order_by("occurred_at", "pk")
        ],
        "merges": [
            {
                "merged_record": merge.merged_id,
                "merged_external_id": merge.merged_external_id,
                "at": merge.at.isoformat(),
                "by": merge.actor_label,
                "fields_taken": merge.fields_taken,
                "interactions_moved": merge.interactions_moved,
            }
            for merge in CustomerMerge.objects.filter(survivor=customer).order_by("at")
        ],
    }


def _record(customer: Customer) -> dict[str, object]:
    return {
        "id": customer.pk,
        "external_id": customer.external_id,
        "email": customer.email,
        "name": customer.name,
        "phone": customer.phone,
        "value_tier": customer.value_tier,
        "attributes": customer.attributes,
        "temperament": customer.temperament,
        "temperament_source": customer.temperament_source,
        "created_at": customer.created_at.isoformat(),
        "merged_into": customer.merged_into_id,
    }
