"""A stand-in for another app's customer data, declared the way collect or loop will declare
theirs, to test the hooks without them."""

from __future__ import annotations

from heedback.customers.timeline import TimelineEntry

NAME = "notes"
#: customer id -> list of (when, text), the "table" of this fake app.
NOTES: dict[int, list] = {}
FAIL_ON_ERASE = {"enabled": False}


def timeline_entries(customer, window):
    rows = sorted(NOTES.get(customer.pk, []), reverse=True)
    if window.before is not None:
        rows = [row for row in rows if row[0] < window.before]
    return [
        TimelineEntry(at=when, kind="note", key=f"note:{customer.pk}:{index}", title=text)
        for index, (when, text) in enumerate(rows[: window.limit])
    ]


def merge_customers(survivor, merged):
    moved = NOTES.pop(merged.pk, [])
    NOTES.setdefault(survivor.pk, []).extend(moved)
    return len(moved)


def erase_customer(organisation, customer_ids):
    if FAIL_ON_ERASE["enabled"]:
        raise RuntimeError("the notes app cannot erase right now")
    changed = 0
    for customer_id in customer_ids:
        rows = NOTES.get(customer_id, [])
        NOTES[customer_id] = [(when, "[erased]") for when, _text in rows]
        changed += len(rows)
    return changed


def export_customer(customer):
    return [text for _when, text in sorted(NOTES.get(customer.pk, []))]
