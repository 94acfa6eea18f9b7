"""The actuals a service plan compares with its targets: a unit subtree, channel, segment, period.

NPS and CSAT are read through the insights metric engine (``compute_metric``, the customer
segment as its ``customer.value_tier`` filter), so a plan's figure is the one the results
page shows for the same cut, with its 95 % interval. Response time and closure in time
come from cases: the loop's own counts (``loop.metrics.counts_by``), read once per channel
and segment for every target of a plan and summed per unit subtree, so the plan and the
loop's dashboard count cases one way. A case is in a segment when the customer of the
response that opened it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import DurationField, ExpressionWrapper, F
from django.utils.translation import gettext as _

from heedback.continuum.plan import Actual, PlanMetric, median_with_interval
from heedback.core.errors import InvalidInput
from heedback.insights.metrics import wilson_interval
from heedback.insights.selectors import MetricQuery, compute_metric
from heedback.loop.metrics import FIGURES_BY_KEY, LoopCounts, cases_opened, counts_by
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.models import Survey


@dataclass(frozen=True)
class CaseActuals:
    """Response time and closure in time of the cases opened in a period."""

    response_hours: Actual
    closed_in_time: Actual
    opened: int
    not_acted_on: int


#: The customer filter of the metric engine a plan's segment is.
SEGMENT_FILTER = "customer.value_tier"


@dataclass(frozen=True)
class ChannelCases:
    """The loop's counts per unit path of one channel's (and segment's) cases, and each wait."""

    counts: dict[str, LoopCounts]
    first_action_hours: list[tuple[str, float]]  # (unit path, hours from opening to first action)


def channel_cases(
    organisation: Organisation,
    channel: str,
    *,
    date_from: date,
    date_to: date,
    now: datetime,
    segment: str = "",
) -> ChannelCases:
    """Read the period's cases of one channel and segment ("" : all) once for a plan's units.

    The counts are the loop's own (``loop.metrics.counts_by``, grouped by unit path), and
    the waits come from the same cases (``cases_opened``) with the loop's definition of a
    first action, because a median needs each value, which additive counts cannot give.
    """
    per_path = counts_by(
        organisation,
        date_from,
        date_to,
        now=now,
        group="unit__path",
        channel=channel,
        segment=segment,
    )
    waits = (
        cases_opened(organisation, date_from, date_to, channel=channel, segment=segment)
        .filter(first_action_at__isnull=False)
        .annotate(wait=ExpressionWrapper(F("first_action_at") - F("opened_at"), DurationField()))
        .values_list("unit__path", "wait")
    )
    return ChannelCases(
        counts={path or "": counts for path, counts in per_path.items()},
        first_action_hours=[(path or "", wait.total_seconds() / 3600) for path, wait in waits],
    )


def case_actuals(read: ChannelCases, unit: Unit | None) -> CaseActuals:
    """Return response time and closure in time of the cases opened in the unit's subtree.

    *Response time* is the median of hours from opening to the first action (a call, a
    note, a reply), over the cases acted on; cases not acted on yet are counted apart.
    *Closed in time* is the loop's "closed within deadline": the share of *decided* cases
    (resolved or closed, or past their deadline while open) resolved by their deadline.
    """
    path = unit.path if unit is not None else ""
    counts = sum(
        (found for unit_path, found in read.counts.items() if unit_path.startswith(path)),
        LoopCounts(),
    )
    hours = [wait for unit_path, wait in read.first_action_hours if unit_path.startswith(path)]
    within = FIGURES_BY_KEY["within_deadline_share"]
    return CaseActuals(
        response_hours=median_with_interval(hours),
        closed_in_time=_share(within.value(counts), counts.within_deadline, within.sample(counts)),
        opened=counts.cases,
        not_acted_on=counts.cases - counts.acted,
    )


def _share(value: float | None, successes: int, n: int) -> Actual:
    if value is None or n == 0:
        return Actual(None, 0)
    low, high = wilson_interval(successes, n)
    return Actual(value, n, 100.0 * low, 100.0 * high)


def score_actual(
    organisation: Organisation,
    survey: Survey | None,
    metric: PlanMetric,
    *,
    unit: Unit | None,
    channel: str,
    date_from: date,
    date_to: date,
    segment: str = "",
) -> Actual:
    """Return the survey's NPS or CSAT for the unit subtree, channel and customer segment."""
    if survey is None:
        return Actual(None, 0, note=_("The plan names no customer survey."))
    filters = (("channel", channel),) if channel else ()
    if segment:
        filters += ((SEGMENT_FILTER, segment),)
    query = MetricQuery(
        organisation=organisation,
        survey=survey,
        metric=str(metric),
        unit=unit,
        date_from=date_from,
        date_to=date_to,
        filters=filters,
    )
    try:
        result = compute_metric(query)
    except InvalidInput as refused:
        # No question for the metric, or a segment's raw read over its time limit: say which.
        return Actual(None, 0, note=str(refused.message))
    row = result.rows[0] if result.rows else None
    if row is None or row.value is None:
        return Actual(None, 0)
    return Actual(row.value, row.n, row.ci_low, row.ci_high)


def actual_for(
    target,
    *,
    organisation: Organisation,
    survey: Survey | None,
    date_from: date,
    date_to: date,
    now: datetime,
    cases: dict | None = None,
) -> Actual:
    """Return the actual of one ``ServiceTarget``; ``cases`` memoises case reads per cut."""
    metric = PlanMetric(target.metric)
    if metric in (PlanMetric.NPS, PlanMetric.CSAT):
        return score_actual(
            organisation,
            survey,
            metric,
            unit=target.unit,
            channel=target.channel,
            date_from=date_from,
            date_to=date_to,
            segment=target.segment,
        )
    cases = {} if cases is None else cases
    cut = (target.channel, target.segment)
    if cut not in cases:
        cases[cut] = channel_cases(
            organisation,
            target.channel,
            date_from=date_from,
            date_to=date_to,
            now=now,
            segment=target.segment,
        )
    found = case_actuals(cases[cut], target.unit)
    if metric == PlanMetric.RESPONSE_HOURS:
        note = ""
        if found.not_acted_on:
            note = _("%(count)d of %(opened)d cases not acted on yet.") % {
                "count": found.not_acted_on,
                "opened": found.opened,
            }
        actual = found.response_hours
        return Actual(actual.value, actual.n, actual.low, actual.high, note)
    return found.closed_in_time
