"""Who uses the driver analysis, how often, on what: a small count per day, not a log.

The continuum's evidence asks whether drivers steer decisions ("driver analysis used"), so
the drivers page and ``GET /api/v1/drivers`` record each analysis through
``record_driver_analysis_use``: one row per organisation × day × analysed scope × member
(or API key) × surface, whose ``uses`` counter is raised with ``F()``. Two first uses at
the same instant may write two rows for one day; every read sums them, so the figures stay
exact and no lock is needed.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime

from django.db import models
from django.db.models import F, Sum

from heedback.orgs.models import Membership, Organisation, OrgOwned, Unit


class DriverUseSurface(models.TextChoices):
    PAGE = "page", "page"
    API = "api", "api"


class DriverAnalysisUse(OrgOwned):
    """How many times one member (None: an API key) analysed the drivers of a scope on a day.

    ``unit`` is the subtree analysed (None: the whole organisation); ``day`` is the local
    day in the organisation's time zone.
    """

    day = models.DateField()
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    surface = models.CharField(max_length=10, choices=DriverUseSurface)
    uses = models.PositiveIntegerField(default=1)

    class Meta:
        app_label = "insights"
        indexes = [models.Index(fields=["organisation", "day"], name="driver_use_org_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.surface} ×{self.uses}"


@dataclass(frozen=True)
class DriverAnalysisUseIn:
    """One analysis of the drivers: by whom (None: an API key), of which scope, when."""

    organisation: Organisation
    unit: Unit | None
    membership: Membership | None
    surface: str
    at: datetime


def record_driver_analysis_use(use: DriverAnalysisUseIn) -> None:
    """Count one analysis of the drivers in the day's row (created on the day's first use)."""
    zone = zoneinfo.ZoneInfo(use.organisation.time_zone)
    key = {
        "organisation": use.organisation,
        "day": use.at.astimezone(zone).date(),
        "unit": use.unit,
        "membership": use.membership,
        "surface": DriverUseSurface(use.surface),
    }
    rows = DriverAnalysisUse.objects.filter(**key)
    first = rows.order_by("pk").values("pk")[:1]
    if not DriverAnalysisUse.objects.filter(pk__in=first).update(uses=F("uses") + 1):
        DriverAnalysisUse.objects.create(**key)


@dataclass(frozen=True)
class DriverUseRow:
    """The uses of one day, scope (its unit path, "" for the whole organisation) and member."""

    day: date
    unit_path: str
    membership_id: int | None
    surface: str
    uses: int


def driver_analysis_uses(
    organisation: Organisation, *, start: date, end: date
) -> list[DriverUseRow]:
    """Return the organisation's uses of the driver analysis from ``start`` to ``end``, summed.

    One grouped query, however many rows a busy day wrote.
    """
    rows = (
        DriverAnalysisUse.objects.filter(organisation=organisation, day__gte=start, day__lte=end)
        .order_by()
        .values("day", "unit__path", "membership_id", "surface")
        .annotate(total=Sum("uses"))
    )
    return [
        DriverUseRow(
            row["day"], row["unit__path"] or "", row["membership_id"], row["surface"], row["total"]
        )
        for row in rows
    ]
