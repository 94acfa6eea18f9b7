"""The evidence placement over time: measured once a day, kept as one record per month.

Evidence is measured as of a moment (``selectors.evidence_for``); measuring twelve past
months on every page view would cost twelve times the evidence's queries, so a periodic
job measures every scope of an organisation once a day, from the same fixed number of
queries for any number of units, and keeps the last measurement of each month. The
placement page then reads one row per month.
"""

from __future__ import annotations

import time
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from heedback.continuum.instrument import Factor, Level
from heedback.continuum.models import EvidenceRecord
from heedback.continuum.selectors import evidence_for
from heedback.orgs.models import Organisation, Unit

#: How long one run of the periodic job may spend before leaving the rest to the next run.
TIME_BUDGET_SECONDS = 5.0


def local_day(organisation: Organisation, moment: datetime) -> date:
    return moment.astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()


def record_evidence(organisation: Organisation, *, now: datetime | None = None) -> int:
    """Measure the evidence of the organisation and of every unit; keep it as this month's.

    Return how many scopes were recorded. A second run on the same day replaces the
    day's records with the same values, so two workers doing it at once do no harm.
    """
    now = now or timezone.now()
    today = local_day(organisation, now)
    month = today.replace(day=1)
    units: list[Unit | None] = [None, *Unit.objects.for_org(organisation).order_by("path")]
    placements = evidence_for(organisation, units, as_of=now)
    with transaction.atomic():
        for unit, placement in zip(units, placements, strict=True):
            levels = {str(item.factor): item.level for item in placement.factors}
            EvidenceRecord.objects.update_or_create(
                organisation=organisation,
                unit=unit,
                month=month,
                defaults={
                    "overall": placement.overall.level,
                    "measured_on": today,
                    **{str(factor): levels.get(str(factor)) for factor in Factor},
                },
            )
    return len(units)


def record_evidence_history(*, time_budget: float = TIME_BUDGET_SECONDS) -> int:
    """Record today's evidence of each organisation not yet measured today; return how many.

    A periodic job: the work is done once a day per organisation, and two cheap queries
    the rest of the time.
    """
    deadline = time.monotonic() + time_budget
    now = timezone.now()
    measured = set(
        # Every local day is within a day of the UTC one.
        EvidenceRecord.objects.filter(
            unit__isnull=True, measured_on__gte=now.date() - timedelta(days=1)
        )
        .values_list("organisation_id", "measured_on")
        .order_by()
    )
    recorded = 0
    for organisation in Organisation.objects.order_by("pk"):
        if (organisation.pk, local_day(organisation, now)) in measured:
            continue
        if time.monotonic() > deadline:
            break
        record_evidence(organisation, now=now)
        recorded += 1
    return recorded


@dataclass(frozen=True)
class EvidencePoint:
    """The evidence placement of one month: overall and per factor (None: not placed)."""

    month: date
    levels: dict[str, Level | None]


def evidence_history(organisation: Organisation, unit: Unit | None) -> list[EvidencePoint]:
    """Return the scope's recorded evidence placement per month, oldest first (one query)."""
    records = EvidenceRecord.objects.for_org(organisation).filter(unit=unit).order_by("month")
    points = []
    for record in records:
        levels = {str(factor): _level(getattr(record, str(factor))) for factor in Factor}
        levels["overall"] = _level(record.overall)
        points.append(EvidencePoint(record.month, levels))
    return points


def _level(value: int | None) -> Level | None:
    return Level(value) if value is not None else None
