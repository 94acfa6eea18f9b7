"""Whom to call this week and why: customers who may be about to leave, with reasons.

The reasons come from several apps — an overdue visit from this app's lapse rule, a
falling score from the answers (insights), an unresolved case (loop) — and this app may
not import the apps above it. So each app offers its own *risk signals* through its
``customer_data`` module (``risk_signals``, see ``hooks.py``), as it offers its timeline
entries, and this module only ranks their union. Every signal has a weight; a customer's
rank is the sum of the weights of their reasons (a case past its deadline outweighs a
visit a little overdue), then the most recent reason first.

Each source offers at most ``SIGNALS_PER_SOURCE`` customers, its most urgent first, in one
or two set-based queries over the customers the reader may see; the list is their union.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from heedback.customers import explain, lapse
from heedback.customers.hooks import providers_with
from heedback.customers.lapse_store import rule_of
from heedback.customers.models import Customer
from heedback.orgs.models import Organisation

#: How many customers each source offers at most.
SIGNALS_PER_SOURCE = 500
#: How many customers the list shows at most.
LIST_LIMIT = 200

WEIGHT_OVERDUE_CASE = 40
WEIGHT_OPEN_CASE = 30
WEIGHT_DECLINING_SCORE = 20
WEIGHT_OVERDUE_VISIT = 10


@dataclass(frozen=True)
class RiskSignal:
    """One reason to call a customer: a code, a sentence, a weight and when it arose."""

    code: str
    message: str
    weight: int
    since: datetime | None = None


@dataclass(frozen=True)
class AtRiskCustomer:
    customer: Customer
    signals: tuple[RiskSignal, ...]

    @property
    def score(self) -> int:
        return sum(signal.weight for signal in self.signals)

    @property
    def latest(self) -> datetime | None:
        moments = [signal.since for signal in self.signals if signal.since is not None]
        return max(moments) if moments else None


def overdue_visits(
    customers: QuerySet[Customer], now: datetime, *, limit: int = SIGNALS_PER_SOURCE
) -> dict[int, list[RiskSignal]]:
    """Return the customers past their at-risk point and not yet lapsed, closest to lapse first."""
    overdue = (
        customers.filter(at_risk_at__lt=now, lapse_at__gte=now)
        .order_by("lapse_at", "id")
        .only(*RHYTHM_FIELDS)[:limit]
    )
    signals: dict[int, list[RiskSignal]] = {}
    rules: dict[int, lapse.LapseRule] = {}
    for customer in overdue:
        if customer.organisation_id not in rules:
            rules[customer.organisation_id] = rule_of(customer.organisation_id)
        rule = rules[customer.organisation_id]
        status = lapse.status_at(customer.rhythm(), now)
        reasons = [r for r in status.reasons if r.code == "overdue"]
        message = explain.explain(reasons[0], rule) if reasons else _("Overdue for a visit.")
        signals[customer.pk] = [
            RiskSignal("overdue_visit", message, WEIGHT_OVERDUE_VISIT, customer.at_risk_at)
        ]
    return signals


RHYTHM_FIELDS = (
    "organisation_id",
    "visit_count",
    "gap_count",
    "first_interaction_at",
    "last_interaction_at",
    "lapse_basis",
    "typical_gap_seconds",
    "at_risk_gap_seconds",
    "lapse_gap_seconds",
    "at_risk_at",
    "lapse_at",
)


def collect_signals(
    organisation: Organisation, customers: QuerySet[Customer], now: datetime
) -> dict[int, list[RiskSignal]]:
    """Return every source's signals for ``customers``, by customer id."""
    combined = overdue_visits(customers, now)
    for _provider, function in providers_with("risk_signals"):
        for customer_id, signals in function(organisation, customers, now).items():
            combined.setdefault(customer_id, []).extend(signals)
    return combined


def at_risk_list(
    organisation: Organisation,
    customers: QuerySet[Customer],
    now: datetime,
    *,
    limit: int = LIST_LIMIT,
) -> list[AtRiskCustomer]:
    """Return the customers to call, most urgent first, each with their reasons.

    ``customers`` is what the reader may see (``selectors.visible_customers``, narrowed to
    a unit subtree if they chose one): every source looks only among them.
    """
    signals = collect_signals(organisation, customers, now)
    found = customers.order_by().in_bulk(list(signals))
    ranked = [
        AtRiskCustomer(
            found[pk], tuple(sorted(items, key=lambda signal: (-signal.weight, signal.code)))
        )
        for pk, items in signals.items()
        if pk in found
    ]
    ranked.sort(key=lambda item: (-item.score, -_timestamp(item.latest), item.customer.pk))
    return ranked[:limit]


def signals_of(customer: Customer, now: datetime) -> list[RiskSignal]:
    """Return one customer's reasons from the other apps (the lapse ones are the caller's)."""
    customers = Customer.objects.filter(pk=customer.pk)
    found: list[RiskSignal] = []
    for _provider, function in providers_with("risk_signals"):
        found.extend(function(customer.organisation, customers, now).get(customer.pk, []))
    return sorted(found, key=lambda signal: (-signal.weight, signal.code))


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0
