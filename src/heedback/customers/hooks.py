"""How each app plugs its own tables into a customer's timeline, merge, export and erasure.

The customers app sits below collect, insights and loop (they point at customers; it may
not import them), yet a customer's page shows their responses and cases, a merge must move
them, and an erasure must reach them. So every app that keeps data about a customer
*declares* a module on its AppConfig, as apps declare their periodic jobs::

    class CollectConfig(AppConfig):
        customer_data = "heedback.collect.customer_data"

The module may define any of these functions (a missing one is skipped):

``timeline_entries(customer, window) -> Iterable[TimelineEntry]``
    The app's events of ``customer`` older than ``window.before`` (all when ``None``),
    newest first, at most ``window.limit`` of them. One or two queries, never one per row.
``merge_customers(survivor, merged) -> int``
    Point the app's rows at ``survivor`` instead of ``merged``; return how many moved.
    Runs inside the merge's transaction, after both customers are locked.
``erase_customer(organisation, customer_ids) -> int``
    Remove or blank every name, email, phone, free text and identifier of these customers
    (the person's record and the records merged into it) in the app's tables, keeping
    anonymous scores and facts; return how many rows changed. Runs inside the erasure's
    transaction: raising aborts the whole erasure, so nothing is half-erased.
``erase_identifiers(organisation, identifiers) -> int``
    For tables that know no customer ids (the outbox): remove what concerns the person
    found by ``identifiers`` (an ``Identifiers``: their emails, names, phone numbers,
    read before any app blanked them). Runs in the erasure's transaction, after every
    ``erase_customer``.
``risk_signals(organisation, customers, now) -> dict[int, list[RiskSignal]]``
    Why customers of the queryset ``customers`` may be about to leave, by customer id
    (see ``at_risk.py``): at most ``at_risk.SIGNALS_PER_SOURCE`` customers, the most
    urgent first, in one or two set-based queries.
``export_customer(customer) -> object``
    The app's data of ``customer`` as JSON-serialisable values, for a subject access request.

and ``NAME``, the key under which its merge, erasure and export results are reported
(the app label when absent). The customers app declares its own module the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from django.apps import apps
from django.utils.module_loading import import_module


@dataclass(frozen=True)
class Identifiers:
    """What identifies a person outside the tables that hold their customer id."""

    emails: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provider:
    """One app's customer-data module, with the functions it defines."""

    name: str
    module: ModuleType

    def function(self, name: str) -> Callable | None:
        """Return the module's function ``name``, or None when the app does not define it."""
        return getattr(self.module, name, None)


@cache
def providers() -> tuple[Provider, ...]:
    """Return the providers of the installed apps, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        path = getattr(config, "customer_data", None)
        if path:
            module = import_module(path)
            found.append(Provider(getattr(module, "NAME", config.label), module))
    return tuple(found)


def providers_with(function_name: str) -> list[tuple[Provider, Callable]]:
    """Return (provider, function) for every provider defining ``function_name``."""
    pairs = []
    for provider in providers():
        function = provider.function(function_name)
        if function is not None:
            pairs.append((provider, function))
    return pairs
