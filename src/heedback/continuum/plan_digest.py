"""The service plan in the loop's digest: each running plan's targets against actuals.

Declared on ``ContinuumConfig.digest_sections``; the loop's digest calls it without
importing the continuum. The figures are ``plan_report.running_plans``, the ones the plan's
page and the dashboards show, as of the moment the digest is written.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from heedback.continuum.plan_report import running_plans, segment_note
from heedback.loop.digest_schedule import DigestPeriod
from heedback.loop.digests import DigestSection
from heedback.orgs.models import Membership
from heedback.orgs.permissions import Permission


def service_plan_sections(
    membership: Membership, period: DigestPeriod, *, now: datetime
) -> list[DigestSection]:
    """Return a section per running plan with targets the member may see (their subtree)."""
    if not membership.has(Permission.VIEW):
        return []
    visible = (membership.unit.path,) if membership.is_unit_scoped else None
    organisation = membership.organisation
    sections = []
    for plan in running_plans(organisation, visible_unit_paths=visible, now=now):
        summary = plan["summary"]
        title = _("Service plan: %(name)s (figures up to %(day)s)") % {
            "name": plan["name"],
            "day": plan["judged_to"].isoformat(),
        }
        note = _("%(on_track)d on track, %(at_risk)d at risk, %(missed)d missed.") % summary
        if plan["more"]:
            note += " " + ngettext(
                "And %(count)d more target on the plan's page.",
                "And %(count)d more targets on the plan's page.",
                plan["more"],
            ) % {"count": plan["more"]}
        sections.append(
            DigestSection(
                title=title,
                header=(
                    _("Unit (channel, segment)"),
                    _("Measure"),
                    _("Target"),
                    _("Actual"),
                    _("Standing"),
                ),
                rows=[_row(line) for line in plan["targets"]],
                url=settings.BASE_URL
                + reverse("continuum-plan", args=[organisation.slug, plan["id"]]),
                link_text=_("Open the plan"),
                note=note,
            )
        )
    return sections


def _row(line: dict) -> tuple[str, ...]:
    unit = line["scope_name"]
    if not line["segment_known"]:
        unit = f"{unit} – {segment_note(line['segment'])}"
    actual = line["actual_display"]
    if line["interval_display"]:
        actual = f"{actual} [{line['interval_display']}]"
    return (
        str(unit),
        line["metric_name"],
        line["target_display"],
        actual,
        line["standing_name"],
    )
