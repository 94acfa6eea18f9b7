"""Writes of the service plan: a plan with its targets, a target added or removed.

The page, the API and the admin all go through these functions, which check every target
(metric, range, unit, channel, segment, the survey it needs) and report each problem on its
field (``targets.2.target``) before anything is stored: a plan is saved whole or not at all.

A target's segment is a customers' value tier. One spelled like a tier in use but for case
and spaces ("Gold " for "gold") is stored in the tier's own spelling, since the figures
match tiers exactly and the target would otherwise never have data. A tier no customer has
yet is accepted, because a plan may be set before the customers are tagged; the plan's
page, API, PDF and digest flag it (``plan_report``) until a customer has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from heedback.collect.choices import Channel
from heedback.continuum.models import ServicePlan, ServiceTarget
from heedback.continuum.plan import RULES, PlanMetric
from heedback.core.errors import Conflict, InvalidInput
from heedback.customers.selectors import value_tiers
from heedback.insights.metrics import METRICS
from heedback.insights.selectors import survey_questions
from heedback.orgs.models import Organisation, Unit
from heedback.orgs.services import record_audit
from heedback.surveys.choices import SurveyKind
from heedback.surveys.models import Survey

#: A plan fits on one page of PDF for the business plan.
MAX_TARGETS = 30
#: A plan covers at most a year and a quarter (a financial year with its run-in).
MAX_PERIOD_DAYS = 458
#: As long as a customer's value tier may be.
SEGMENT_LENGTH = 40


@dataclass(frozen=True)
class TargetInput:
    metric: str
    target: float
    unit: Unit | None = None
    channel: str = ""
    segment: str = ""


@dataclass(frozen=True)
class PlanInput:
    organisation: Organisation
    name: str
    starts_on: date
    ends_on: date
    survey: Survey | None = None
    targets: Sequence[TargetInput] = field(default_factory=tuple)


def with_known_segment(item: TargetInput, tiers: Sequence[str]) -> TargetInput:
    """Return the target with its segment's spaces tidied and in the spelling of a tier in use.

    An exact tier wins; otherwise the one tier equal but for case. Two tiers equal but for
    case ("Gold" and "gold") leave the input as typed: the reader meant one of them.
    """
    segment = " ".join(item.segment.split())
    if segment and segment not in tiers:
        alike = [tier for tier in tiers if tier.casefold() == segment.casefold()]
        if len(alike) == 1:
            segment = alike[0]
    return replace(item, segment=segment)


def check_target(item: TargetInput, survey: Survey | None, prefix: str = "") -> list[tuple]:
    """Return (path, message) for every problem of one target (an empty list if none)."""
    errors = []
    try:
        metric = PlanMetric(item.metric)
    except ValueError:
        choices = ", ".join(metric.value for metric in PlanMetric)
        return [(f"{prefix}metric", _("Choose one of: %s.") % choices)]
    rule = RULES[metric]
    if not rule.lowest <= item.target <= rule.highest:
        errors.append(
            (
                f"{prefix}target",
                _("Choose a target from %(low)g to %(high)g.")
                % {"low": rule.lowest, "high": rule.highest},
            )
        )
    if item.channel and item.channel not in Channel.values:
        errors.append((f"{prefix}channel", _("Choose one of: %s.") % ", ".join(Channel.values)))
    if len(item.segment) > SEGMENT_LENGTH:
        errors.append(
            (f"{prefix}segment", _("Name the segment in at most %d characters.") % SEGMENT_LENGTH)
        )
    if rule.reads_responses:
        if survey is None:
            errors.append((f"{prefix}metric", _("NPS and CSAT targets need the plan's survey.")))
        elif not any(
            question.type in METRICS[metric.value].question_types
            for question in survey_questions(survey)
        ):
            errors.append((f"{prefix}metric", _("The plan's survey has no question for this.")))
    return errors


def _check_plan(data: PlanInput) -> tuple[str, list[tuple]]:
    """Return the tidied name and every problem of the plan (``data.targets`` as tidied)."""
    name = " ".join(data.name.split())
    errors = []
    if not name or len(name) > 200:
        errors.append(("name", _("Name the plan in 1 to 200 characters.")))
    if data.ends_on < data.starts_on:
        errors.append(("ends_on", _("The last day comes before the first.")))
    elif (data.ends_on - data.starts_on).days >= MAX_PERIOD_DAYS:
        errors.append(("ends_on", _("A plan covers at most %d days.") % MAX_PERIOD_DAYS))
    if data.survey is not None and data.survey.kind != SurveyKind.CUSTOMER:
        errors.append(("survey", _("Choose a customer survey.")))
    if len(data.targets) > MAX_TARGETS:
        errors.append(("targets", _("A plan has at most %d targets.") % MAX_TARGETS))
    seen = set()
    survey = (
        data.survey if data.survey is not None and data.survey.kind == SurveyKind.CUSTOMER else None
    )
    for index, item in enumerate(data.targets):
        prefix = f"targets.{index}."
        errors.extend(check_target(item, survey, prefix))
        key = (item.unit.pk if item.unit else None, item.channel, item.segment, item.metric)
        if key in seen:
            errors.append((f"{prefix}metric", _("The plan already has this target.")))
        seen.add(key)
    return name, errors


@transaction.atomic
def create_plan(data: PlanInput, *, actor: AbstractBaseUser | None = None) -> ServicePlan:
    """Store a plan with its targets, or raise InvalidInput naming every bad field."""
    tiers = value_tiers(data.organisation) if any(t.segment for t in data.targets) else []
    data = replace(data, targets=[with_known_segment(item, tiers) for item in data.targets])
    name, errors = _check_plan(data)
    if errors:
        raise InvalidInput.from_pairs(_("The plan is not valid."), errors)
    plan = ServicePlan.objects.create(
        organisation=data.organisation,
        name=name,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        survey=data.survey,
        created_by=actor if actor is not None and actor.pk else None,
    )
    ServiceTarget.objects.bulk_create(
        ServiceTarget(
            organisation=data.organisation,
            plan=plan,
            unit=item.unit,
            channel=item.channel,
            segment=item.segment,
            metric=item.metric,
            target=item.target,
        )
        for item in data.targets
    )
    record_audit(data.organisation, actor, "continuum.plan_create", name, plan=plan.pk)
    return plan


@transaction.atomic
def add_target(
    plan: ServicePlan, item: TargetInput, *, actor: AbstractBaseUser | None = None
) -> ServiceTarget:
    """Add one target to a plan; a second target for the same cell is a conflict."""
    plan = ServicePlan.objects.select_for_update().get(pk=plan.pk)
    if item.segment:
        item = with_known_segment(item, value_tiers(plan.organisation))
    errors = check_target(item, plan.survey)
    if errors:
        raise InvalidInput.from_pairs(_("The target is not valid."), errors)
    targets = plan.targets.all()
    if targets.count() >= MAX_TARGETS:
        raise Conflict(_("A plan has at most %d targets.") % MAX_TARGETS)
    same_cell = targets.filter(
        unit=item.unit, channel=item.channel, segment=item.segment, metric=item.metric
    )
    if same_cell.exists():
        taken = _("The plan already has this target.")
        raise Conflict(taken, errors={"metric": [taken]})
    target = ServiceTarget.objects.create(
        organisation=plan.organisation,
        plan=plan,
        unit=item.unit,
        channel=item.channel,
        segment=item.segment,
        metric=item.metric,
        target=item.target,
    )
    record_audit(plan.organisation, actor, "continuum.target_add", plan.name, target_id=target.pk)
    return target


@transaction.atomic
def remove_target(target: ServiceTarget, *, actor: AbstractBaseUser | None = None) -> None:
    """Remove one target from its plan."""
    record_audit(
        target.organisation, actor, "continuum.target_remove", target.metric, target_id=target.pk
    )
    target.delete()
