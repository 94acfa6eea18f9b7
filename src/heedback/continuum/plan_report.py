"""Reads of the service plan: its targets with their actuals and standing, shaped once.

``plan_out`` is what the plan page, ``GET /api/v1/continuum/plans/{id}`` and the PDF show,
so the three cannot disagree. Actuals are computed on every read, for the plan's period
up to today (a running plan is judged on the data so far). A target whose segment no
customer has is flagged (``segment_known``, and a note), since it can have no data until
customers are tagged with it, or its spelling is corrected.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.collect.choices import Channel
from heedback.continuum.choices import PlanMetricChoice, StandingChoice
from heedback.continuum.models import ServicePlan, ServiceTarget
from heedback.continuum.plan import Actual, PlanMetric, Standing, judge
from heedback.continuum.plan_actuals import actual_for
from heedback.customers.selectors import value_tiers
from heedback.insights.metrics import METRICS, format_value
from heedback.orgs.models import Organisation


@dataclass(frozen=True)
class TargetLine:
    target: ServiceTarget
    actual: Actual
    standing: Standing
    segment_known: bool = True  # False: no customer has the target's segment (yet)


@dataclass(frozen=True)
class PlanReport:
    plan: ServicePlan
    lines: list[TargetLine]
    judged_to: date  # the last day with data: the plan's last day, or today while it runs
    as_of: datetime
    more: int = 0  # targets left out by a limit (the dashboards and digests show a few)

    @property
    def is_running(self) -> bool:
        return self.judged_to < self.plan.ends_on


def plans_of(organisation: Organisation) -> QuerySet[ServicePlan]:
    return ServicePlan.objects.for_org(organisation).select_related("survey")


def plan_report(
    plan: ServicePlan,
    *,
    visible_unit_paths: tuple[str, ...] | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> PlanReport:
    """Return every target a reader may see (the first ``limit``) with actual and standing.

    A manager (``visible_unit_paths``) sees the targets of units in their subtree only:
    another unit's actual would be a figure they may not read elsewhere either. A unit's
    page passes its own subtree the same way.
    """
    now = now or timezone.now()
    organisation = plan.organisation
    today = now.astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
    judged_to = min(plan.ends_on, today)
    targets = plan.targets.select_related("unit")
    if visible_unit_paths is not None:
        visible = Q(pk__in=[])
        for path in visible_unit_paths:
            visible |= Q(unit__path__startswith=path)
        targets = targets.filter(visible)
    targets = list(targets)
    shown = targets if limit is None else targets[:limit]
    tiers = set(value_tiers(organisation)) if any(t.segment for t in shown) else set()
    lines, cases = [], {}
    for target in shown:
        if plan.starts_on > today:
            actual = Actual(None, 0, note=_("The plan has not started yet."))
        else:
            actual = actual_for(
                target,
                organisation=organisation,
                survey=plan.survey,
                date_from=plan.starts_on,
                date_to=judged_to,
                now=now,
                cases=cases,
            )
        standing = judge(PlanMetric(target.metric), target.target, actual)
        known = not target.segment or target.segment in tiers
        lines.append(TargetLine(target, actual, standing, known))
    return PlanReport(plan, lines, judged_to, now, more=len(targets) - len(shown))


#: What a dashboard or a digest shows of the service plans: the running ones, a few targets.
SUMMARY_PLANS = 2
SUMMARY_TARGETS = 8


def running_plans(
    organisation: Organisation,
    *,
    visible_unit_paths: tuple[str, ...] | None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Return the plans running today that have targets in view, shaped like ``plan_out``.

    For the dashboards and the digest: at most ``SUMMARY_PLANS`` plans (latest start
    first), each with its first ``SUMMARY_TARGETS`` targets in view and how many more the
    plan's page has. One query when no plan runs.
    """
    now = now or timezone.now()
    today = now.astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
    running = plans_of(organisation).filter(starts_on__lte=today, ends_on__gte=today)
    summaries = []
    for plan in running.order_by("-starts_on", "-pk")[:SUMMARY_PLANS]:
        report = plan_report(
            plan, visible_unit_paths=visible_unit_paths, now=now, limit=SUMMARY_TARGETS
        )
        if report.lines:
            summaries.append(plan_out(report))
    return summaries


def _format(metric: PlanMetric, value: float | None) -> str:
    if value is None:
        return "–"
    if metric == PlanMetric.NPS:
        return format_value(METRICS["nps"], value)
    if metric == PlanMetric.RESPONSE_HOURS:
        return _("%(hours)s h") % {"hours": f"{value:.1f}"}
    return format_value(METRICS["csat"], value)


def segment_note(segment: str) -> str:
    """Say why a target of a segment nobody has shows no data (page, API, PDF and digest)."""
    return _("No customer is in the segment “%s” yet.") % segment


def line_out(line: TargetLine) -> dict[str, Any]:
    target, actual = line.target, line.actual
    notes = [] if line.segment_known else [segment_note(target.segment)]
    notes += [actual.note] if actual.note else []
    metric = PlanMetric(target.metric)
    interval = (
        (_format(metric, actual.low), _format(metric, actual.high))
        if actual.low is not None and actual.high is not None
        else None
    )
    unit_name = target.unit.name if target.unit is not None else str(_("Whole organisation"))
    channel_name = str(Channel(target.channel).label) if target.channel else ""
    cut = ", ".join(part for part in (channel_name, target.segment) if part)
    return {
        "id": target.pk,
        "unit": target.unit_id,
        "unit_name": unit_name,
        # The unit with the channel and segment the target narrows to, for one-column lists.
        "scope_name": f"{unit_name} ({cut})" if cut else unit_name,
        "channel": target.channel,
        "channel_name": channel_name or _("All"),
        "segment": target.segment,
        "segment_name": target.segment or _("All customers"),
        "segment_known": line.segment_known,
        "metric": target.metric,
        "metric_name": str(PlanMetricChoice(target.metric).label),
        "target": target.target,
        "target_display": _format(metric, target.target),
        "actual": actual.value,
        "actual_display": _format(metric, actual.value),
        "n": actual.n,
        "ci_low": actual.low,
        "ci_high": actual.high,
        "interval_display": f"{interval[0]} – {interval[1]}" if interval else "",
        "note": " ".join(notes),
        "standing": line.standing.value,
        "standing_name": str(StandingChoice(line.standing.value).label),
    }


def plan_out(report: PlanReport) -> dict[str, Any]:
    """Return the plan, its period, and each target with actual, interval and standing."""
    plan = report.plan
    lines = [line_out(line) for line in report.lines]
    counts = {standing.value: 0 for standing in Standing}
    for line in report.lines:
        counts[line.standing.value] += 1
    return {
        "id": plan.pk,
        "name": plan.name,
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "judged_to": report.judged_to,
        "is_running": report.is_running,
        "survey": plan.survey_id,
        "survey_name": plan.survey.name if plan.survey is not None else "",
        "summary": counts,
        "targets": lines,
        "more": report.more,
    }
