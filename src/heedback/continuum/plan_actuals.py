"""The actuals a service plan compares with its targets, for one unit subtree, channel, period.

NPS and CSAT are read through the insights metric engine (``compute_metric``), so a
plan's figure is the one the results page shows, with its 95 % interval. Response time and
closure in time come from cases (``case_actuals``).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from heedback.continuum.plan import Actual, PlanMetric, median_with_interval
from heedback.core.errors import InvalidInput
from heedback.insights.metrics import wilson_interval
from heedback.insights.selectors import MetricQuery, compute_metric
from heedback.loop.choices import OPEN_STATUSES
from heedback.loop.models import Case
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.models import Survey


@dataclass(frozen=True)
class CaseActuals:
    """Response time and closure in time of the cases opened in a period."""

    response_hours: Actual
    closed_in_time: Actual
    opened: int
    not_acted_on: int


def case_actuals(
    organisation: Organisation,
    *,
    unit: Unit | None,
    channel: str,
    date_from: date,
    date_to: date,
    now: datetime,
) -> CaseActuals:
    """Return response time and closure in time of the cases opened in the period.

    *Response time* is the median of hours from opening to the first action (a call, a
    note, a reply), over the cases acted on; cases not acted on yet are counted apart.
    *Closed in time* is the share of *decided* cases resolved by their deadline: a case is
    decided once resolved or closed, or once its deadline has passed while still open.
    A case's channel is that of the response it came from.

    This reads the loop's models directly, one query, as a stop-gap: it is to be switched
    to the loop's own metrics (``heedback.loop.metrics``) when they land, so that the plan
    and the loop's dashboards count cases one way.
    """
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    start = datetime.combine(date_from, time.min, zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, zone)
    cases = Case.objects.for_org(organisation).filter(opened_at__gte=start, opened_at__lt=end)
    if unit is not None:
        cases = cases.filter(unit__path__startswith=unit.path)
    if channel:
        cases = cases.filter(response__channel=channel)
    rows = cases.order_by().values_list(
        "status", "opened_at", "first_action_at", "due_at", "resolved_at", "closed_at"
    )
    hours, in_time, decided, opened, not_acted_on = [], 0, 0, 0, 0
    for status, opened_at, first_action_at, due_at, resolved_at, closed_at in rows:
        opened += 1
        if first_action_at is None:
            not_acted_on += 1
        else:
            hours.append((first_action_at - opened_at).total_seconds() / 3600)
        done_at = None if status in OPEN_STATUSES else (resolved_at or closed_at)
        if done_at is not None:
            decided += 1
            in_time += done_at <= due_at
        elif due_at < now:
            decided += 1
    return CaseActuals(
        response_hours=median_with_interval(hours),
        closed_in_time=_share(in_time, decided),
        opened=opened,
        not_acted_on=not_acted_on,
    )


def _share(successes: int, n: int) -> Actual:
    if n == 0:
        return Actual(None, 0)
    low, high = wilson_interval(successes, n)
    return Actual(100.0 * successes / n, n, 100.0 * low, 100.0 * high)


def score_actual(
    organisation: Organisation,
    survey: Survey | None,
    metric: PlanMetric,
    *,
    unit: Unit | None,
    channel: str,
    date_from: date,
    date_to: date,
) -> Actual:
    """Return the survey's NPS or CSAT for the unit subtree and channel, with its interval."""
    if survey is None:
        return Actual(None, 0, note=_("The plan names no customer survey."))
    query = MetricQuery(
        organisation=organisation,
        survey=survey,
        metric=str(metric),
        group_by="channel" if channel else "none",
        unit=unit,
        date_from=date_from,
        date_to=date_to,
    )
    try:
        result = compute_metric(query)
    except InvalidInput:
        return Actual(None, 0, note=_("The survey has no question for this metric."))
    row = next((row for row in result.rows if (row.group or "") == channel), None)
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
    """Return the actual of one ``ServiceTarget``; ``cases`` memoises case reads per segment."""
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
        )
    cases = {} if cases is None else cases
    key = (target.unit_id, target.channel)
    if key not in cases:
        cases[key] = case_actuals(
            organisation,
            unit=target.unit,
            channel=target.channel,
            date_from=date_from,
            date_to=date_to,
            now=now,
        )
    found = cases[key]
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
