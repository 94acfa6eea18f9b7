"""A person's digest: their cases, what is about to breach, their unit's scores and comments.

``build_digest`` reads (a fixed number of queries per person: the inbox, the loop
figures, the NPS of at most ``SURVEYS`` surveys, the comments, and the sections other
apps add, such as the service plan's targets against actuals); ``digest_email`` writes
the email: HTML with the NPS trend as inline SVG *and* the same numbers as a table (many
email clients show no SVG), and a plain-text part.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from heedback.collect.models import Response
from heedback.core.errors import InvalidInput
from heedback.insights import charts
from heedback.insights.selectors import MetricQuery, compute_metric
from heedback.loop import selectors
from heedback.loop.digest_schedule import DAILY, DigestPeriod
from heedback.loop.metrics import FIGURES_BY_KEY, MetricsQuery, loop_metrics
from heedback.loop.models import Case
from heedback.notify.services import Email
from heedback.orgs.models import Membership
from heedback.surveys.choices import SurveyKind, SurveyStatus
from heedback.surveys.models import Survey

SURVEYS = 2
COMMENTS = 10
TREND_DAYS = 14
TREND_WEEKS = 8
DIGEST_FIGURES = ("cases", "within_deadline_share", "detractors_followed_share", "front_line_hours")


@dataclass(frozen=True)
class ScoreTrend:
    survey: Survey
    rows: list  # insights MetricRow, oldest first
    svg: str


@dataclass(frozen=True)
class DigestSection:
    """A part of the digest that another app adds: a title, a small table and a link.

    An app declares its sections on its AppConfig, as it declares continuum indicators::

        class ContinuumConfig(AppConfig):
            digest_sections = ["heedback.continuum.plan_digest.service_plan_sections"]

    each path naming a function ``(membership, period, *, now) -> list[DigestSection]``,
    so the loop's digest shows what apps above it know without importing them.
    """

    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    url: str = ""
    link_text: str = ""
    note: str = ""


def contributed_sections(
    membership: Membership, period: DigestPeriod, *, now: datetime
) -> list[DigestSection]:
    """Return the sections every installed app adds to this person's digest, in app order."""
    sections: list[DigestSection] = []
    for config in apps.get_app_configs():
        for path in getattr(config, "digest_sections", ()):
            sections.extend(import_string(path)(membership, period, now=now))
    return sections


@dataclass
class Digest:
    membership: Membership
    period: DigestPeriod
    frequency: str
    cases: list[Case]
    breaching: list[Case]
    figures: list[tuple[str, str]]
    trends: list[ScoreTrend] = field(default_factory=list)
    comments: list[Response] = field(default_factory=list)
    comment_count: int = 0
    now: datetime | None = None
    sections: list[DigestSection] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Tell whether there is nothing to say (then no email is sent).

        Other apps' sections accompany a digest but do not make one on their own: a plan's
        standing, say, repeats every week and is not news by itself.
        """
        has_scores = any(row.n for trend in self.trends for row in trend.rows)
        return not (self.cases or self.breaching or self.comments or has_scores)


def build_digest(
    membership: Membership, period: DigestPeriod, *, frequency: str, now: datetime
) -> Digest:
    """Return what ``membership``'s digest for ``period`` says, as of ``now``."""
    organisation = membership.organisation
    box = selectors.inbox_for(membership, now=now)
    scope = membership.unit if membership.is_unit_scoped else None
    result = loop_metrics(
        MetricsQuery(organisation, period.start, period.end, unit=scope, group_by="unit"), now=now
    )
    figures = [
        (str(FIGURES_BY_KEY[key].label), FIGURES_BY_KEY[key].display(result.total))
        for key in DIGEST_FIGURES
    ]
    comments = Response.objects.filter(
        organisation=organisation, local_date__gte=period.start, local_date__lte=period.end
    ).exclude(comment="")
    if scope is not None:
        comments = comments.filter(unit__path__startswith=scope.path)
    return Digest(
        membership=membership,
        period=period,
        frequency=frequency,
        cases=box.mine,
        breaching=box.breaching,
        figures=figures,
        trends=_trends(membership, period, frequency),
        comments=list(comments.select_related("unit").order_by("-submitted_at", "-pk")[:COMMENTS]),
        comment_count=comments.count(),
        now=now,
        sections=contributed_sections(membership, period, now=now),
    )


def _trends(membership: Membership, period: DigestPeriod, frequency: str) -> list[ScoreTrend]:
    """Return the NPS per day (daily digests) or week (weekly) of the scope's customer surveys."""
    organisation = membership.organisation
    surveys = Survey.objects.for_org(organisation).filter(
        kind=SurveyKind.CUSTOMER, status=SurveyStatus.PUBLISHED
    )
    scope = membership.unit if membership.is_unit_scoped else None
    days = TREND_DAYS if frequency == DAILY else 7 * TREND_WEEKS
    start = period.end - timedelta(days=days - 1)
    trends = []
    for survey in surveys.order_by("pk")[:SURVEYS]:
        try:
            result = compute_metric(
                MetricQuery(
                    organisation=organisation,
                    survey=survey,
                    metric="nps",
                    group_by="day" if frequency == DAILY else "week",
                    unit=scope,
                    date_from=start,
                    date_to=period.end,
                )
            )
        except InvalidInput:  # a survey without a recommend question has no NPS
            continue
        rows = [row for row in result.rows if row.n]
        if not rows:
            continue
        minimum = organisation.minimum_sample
        points = [
            charts.Point(row.label, row.value, row.ci_low, row.ci_high, row.n < minimum)
            for row in rows
        ]
        title = _("NPS of %(survey)s") % {"survey": survey.name}
        svg = charts.trend(points, title=title, lowest=-100, highest=100)
        trends.append(ScoreTrend(survey, rows, svg))
    return trends


def _url(name: str, *args: object) -> str:
    return f"{settings.BASE_URL}{reverse(name, args=args)}"


def digest_email(digest: Digest) -> Email:
    """Return the digest as an email: HTML (inline SVG and a table) and plain text."""
    membership = digest.membership
    organisation = membership.organisation
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    context = {
        "digest": digest,
        "organisation": organisation,
        "zone": zone,
        "inbox_url": _url("inbox", organisation.slug),
        "cases_url": _url("case-list", organisation.slug),
        "settings_url": _url("digest-settings", organisation.slug),
        "cases": [(case, _url("case-detail", organisation.slug, case.pk)) for case in digest.cases],
        "breaching": [
            (case, _url("case-detail", organisation.slug, case.pk)) for case in digest.breaching
        ],
    }
    if digest.frequency == DAILY:
        subject = _("Your Heedback digest for %(day)s") % {"day": digest.period.start.isoformat()}
    else:
        subject = _("Your Heedback digest for the week of %(day)s") % {
            "day": digest.period.start.isoformat()
        }
    return Email(
        to=[membership.user.email],
        subject=subject,
        body=render_to_string("loop/email/digest.txt", context),
        html=render_to_string("loop/email/digest.html", context),
    )
