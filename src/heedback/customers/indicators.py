"""Continuum evidence the customers app can measure: whether lapsed customers are tracked.

Declared on ``CustomersConfig.continuum_indicators`` and found by the continuum's registry,
this replaces the continuum's "not measured yet" placeholder for ``lapse_tracked``. It
imports only the continuum's *contract* (``continuum.evidence`` and ``continuum.instrument``,
pure modules without models), never the continuum app itself, so the customers app still
sits below every app that reads responses (``tests/customers/test_layers.py``).

"Responses per customer interaction" needs responses, which the customers app may not
read; the continuum measures it itself (``continuum/indicators.py``).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from heedback.continuum.evidence import EvidenceRequest, Indicator, Measurement, Status
from heedback.continuum.instrument import Factor, Level
from heedback.customers.choices import LapseBasis
from heedback.customers.selectors import live_customers


def lapse_counts(organisation) -> tuple[int, int, int]:
    """Return live customers, those with a rhythm, and those lapse detection has judged.

    One aggregate query. A customer *has a rhythm* from the rule's minimum visits (their
    basis is their own gaps or the organisation's fallback); lapse detection is *switched
    on* for them once the worker (or ``heedback recompute-lapse``) has judged them.
    """
    rhythm = ~Q(lapse_basis=LapseBasis.TOO_FEW)
    counts = live_customers(organisation).aggregate(
        customers=Count("pk"),
        with_rhythm=Count("pk", filter=rhythm),
        tracked=Count("pk", filter=rhythm & Q(lapse_computed_at__isnull=False)),
    )
    return counts["customers"], counts["with_rhythm"], counts["tracked"]


def measure_lapse_tracked(request: EvidenceRequest) -> list[Measurement]:
    """Whether customers with a rhythm of visits are watched for lapses (organisation-wide).

    The lapse rule is the organisation's, not a unit's, and a customer may be served by
    many units, so every scope gets the organisation's figure (one query for all scopes).
    Tracking lapses is a centric practice ("churn causes steer investment"): with customers
    tracked the indicator sets no limit; with customers on record but none tracked it holds
    the factor at focused; with no customers on record there is nothing to measure yet.
    """
    customers, with_rhythm, tracked = lapse_counts(request.organisation)
    if customers == 0:
        detail = _("No customer records yet: import customers and their visits or orders.")
        measurement = Measurement(Status.NO_DATA, detail=detail, n=0)
    elif tracked == 0:
        if with_rhythm:
            detail = _(
                "%(rhythm)d customers have a rhythm of visits, but lapse detection has not "
                "judged them yet: run the worker."
            ) % {"rhythm": with_rhythm}
        else:
            detail = ngettext(
                "None of the %(customers)d customer on record has visited often enough "
                "for a rhythm.",
                "None of the %(customers)d customers on record has visited often enough "
                "for a rhythm.",
                customers,
            ) % {"customers": customers}
        measurement = Measurement(Status.MEASURED, 0.0, _("no"), Level.FOCUSED, detail, customers)
    else:
        share = 100.0 * tracked / customers
        detail = _(
            "%(tracked)d of %(customers)d customers (%(share).0f%%) have a rhythm of visits "
            "and are watched for lapses, organisation-wide."
        ) % {"tracked": tracked, "customers": customers, "share": share}
        measurement = Measurement(
            Status.MEASURED, float(tracked), _("yes"), Level.CENTRIC, detail, tracked
        )
    return [measurement] * len(request.scopes)


INDICATORS = [
    Indicator(
        key="lapse_tracked",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Lapsed customers tracked"),
        description=gettext_lazy("Customers with a rhythm of visits watched for lapses."),
        step=gettext_lazy(
            "Import customers' visits or orders so that Heedback spots the ones who stop coming."
        ),
        feature="lapse_detection",
        measure=measure_lapse_tracked,
        provided_by="customers",
        order=90,
    )
]
