"""The insights app's part of the at-risk list: customers whose scores are falling.

Declared on ``InsightsConfig.customer_data`` (see ``customers/hooks.py``); it only offers
``risk_signals``: the responses themselves are collect's to show, move and erase.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Avg, F, FloatField, IntegerField, OuterRef, QuerySet, Subquery
from django.utils import formats
from django.utils.translation import gettext as _

from heedback.collect.models import Answer
from heedback.customers.at_risk import SIGNALS_PER_SOURCE, WEIGHT_DECLINING_SCORE, RiskSignal
from heedback.customers.models import Customer
from heedback.insights.churn import nps_answers
from heedback.orgs.models import Organisation

#: How far (in NPS points) the last answer must fall below the mean of the earlier ones.
DECLINE_POINTS = 2


def risk_signals(
    organisation: Organisation, customers: QuerySet[Customer], now: datetime
) -> dict[int, list[RiskSignal]]:
    """Return customers whose last NPS answer fell below their earlier ones, steepest first.

    "Declining" compares the last answer with the mean of every earlier answer of the
    customer: at least ``DECLINE_POINTS`` lower, so that one passive after a run of
    promoters is noticed and the noise of 9 after 10 is not. One statement.
    """
    nps = nps_answers(organisation)
    last = Answer.objects.filter(
        nps, response__customer=OuterRef("pk"), response__submitted_at__lte=now
    ).order_by("-response__submitted_at", "-response_id")
    earlier = (
        Answer.objects.filter(
            nps,
            response__customer=OuterRef("pk"),
            response__submitted_at__lt=OuterRef("last_at"),
        )
        .order_by()
        .values("response__customer")
        .annotate(mean=Avg("number"))
        .values("mean")
    )
    rows = (
        customers.order_by()
        .annotate(
            last_score=Subquery(last.values("number")[:1], output_field=IntegerField()),
            last_at=Subquery(last.values("response__submitted_at")[:1]),
        )
        .annotate(earlier_mean=Subquery(earlier, output_field=FloatField()))
        .filter(earlier_mean__gte=F("last_score") + DECLINE_POINTS)
        .annotate(drop=F("earlier_mean") - F("last_score"))
        .order_by("-drop", "-last_at", "pk")
        .values_list("pk", "last_score", "earlier_mean", "last_at")[:SIGNALS_PER_SOURCE]
    )
    return {
        pk: [
            RiskSignal(
                "declining_score",
                _("Their last score was %(last)s, down from %(earlier)s on average before.")
                % {
                    "last": last_score,
                    "earlier": formats.number_format(round(earlier_mean, 1), decimal_pos=1),
                },
                WEIGHT_DECLINING_SCORE,
                last_at,
            )
        ]
        for pk, last_score, earlier_mean, last_at in rows
    }
