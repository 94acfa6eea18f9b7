"""A customer's timeline: typed entries from every app, merged newest first.

Each app contributes entries through its ``timeline_entries`` hook (see ``hooks.py``); this
module only merges them. An entry is plain data, so the page, an export and a future API
render the same list. To add a source: write ``timeline_entries(customer, window)`` in the
app's ``customer_data`` module returning ``TimelineEntry`` values, newest first, at most
``window.limit``, older than ``window.before``; name a ``template`` if the generic row
(title, detail, badge) does not say enough.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from heedback.customers.hooks import providers_with

if TYPE_CHECKING:
    from heedback.customers.models import Customer

#: Entries per page of the timeline.
PAGE_SIZE = 50


@dataclass(frozen=True)
class TimelineEntry:
    """One event in a customer's history.

    ``kind`` names the source ("interaction", "merge", and later "response", "invitation",
    "case"); ``key`` is unique across sources ("interaction:12"). ``badge`` is a short
    status or amount and ``badge_class`` its CSS class. ``template``, when set, is a
    partial rendered for the entry with ``entry`` in its context; ``data`` carries what it
    needs.
    """

    at: datetime
    kind: str
    key: str
    title: str
    detail: str = ""
    unit: str = ""
    staff: str = ""
    url: str = ""
    badge: str = ""
    badge_class: str = ""
    template: str = ""
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class TimelineWindow:
    """Which part of the timeline to read: entries strictly older than ``before``."""

    before: datetime | None = None
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_before: datetime | None  # pass as ``before`` for the next page; None at the end


def assemble(customer: Customer, window: TimelineWindow) -> TimelinePage:
    """Return one page of the customer's timeline from every app's entries.

    A page never ends between two entries at the same instant, so the cursor (the last
    instant shown) neither skips nor repeats an entry.
    """
    # Each source is asked for one entry more than a page: if any has more, the merged list
    # is longer than a page, which is how the page knows there is an older one.
    asked = TimelineWindow(before=window.before, limit=window.limit + 1)
    entries: list[TimelineEntry] = []
    for _provider, function in providers_with("timeline_entries"):
        entries.extend(function(customer, asked))
    entries.sort(key=lambda entry: (entry.at, entry.kind, entry.key), reverse=True)
    if len(entries) <= window.limit:
        return TimelinePage(entries, None)
    cut = window.limit
    while cut < len(entries) and entries[cut].at == entries[cut - 1].at:
        cut += 1
    return TimelinePage(entries[:cut], entries[cut - 1].at)
