"""Writes of rules: create, change, switch on and off, and the defaults every organisation gets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.collect.choices import Channel
from heedback.core.errors import InvalidInput
from heedback.loop.choices import AlertTarget, CasePriority
from heedback.loop.conditions import (
    Condition,
    Scope,
    ThemeCondition,
    UnitCondition,
    conditions_as_json,
    parse_conditions,
)
from heedback.loop.defaults import DEFAULT_CODES, DEFAULT_RULES
from heedback.loop.models import CaseCode, LoopSettings, Rule
from heedback.loop.services.cases import MAX_DUE_HOURS
from heedback.loop.services.common import Actor
from heedback.orgs.models import Organisation, Unit
from heedback.orgs.services import record_audit
from heedback.surveys.models import Survey
from heedback.text.models import Theme

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_TAGS = 10
MAX_ALERTS = 20


@dataclass(frozen=True)
class RuleInput:
    """A rule as a person or an integration describes it; ``conditions`` is raw JSON.

    ``errors`` carries what the adapter found while reading its input (an unknown unit or
    survey id), reported together with the service's own findings.
    """

    name: str
    conditions: object = field(default_factory=list)
    channels: Sequence[str] = ()
    unit: Unit | None = None
    survey: Survey | None = None
    opens_case: bool = True
    case_priority: str = CasePriority.NORMAL
    case_due_hours: int = 48
    alert: Sequence[str] = ()
    tags: Sequence[str] = ()
    calls_webhooks: bool = False
    description: str = ""
    is_enabled: bool = False
    errors: list[tuple[str, str]] = field(default_factory=list)


def create_rule(organisation: Organisation, rule_input: RuleInput, *, actor: Actor) -> Rule:
    """Create a rule (switched off unless asked: try it first)."""
    values = clean_rule(organisation, rule_input)
    with transaction.atomic():
        rule = Rule.objects.create(organisation=organisation, **values)
        record_audit(organisation, actor.user, "rule.create", rule.name, rule_id=rule.pk)
    return rule


def update_rule(rule: Rule, rule_input: RuleInput, *, actor: Actor) -> Rule:
    """Change a rule; it acts differently on responses from now on, never on older ones."""
    values = clean_rule(rule.organisation, rule_input)
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        for name, value in values.items():
            setattr(rule, name, value)
        rule.updated_at = timezone.now()
        rule.save()
        record_audit(rule.organisation, actor.user, "rule.update", rule.name, rule_id=rule.pk)
    return rule


def set_rule_enabled(rule: Rule, is_enabled: bool, *, actor: Actor) -> Rule:
    """Switch a rule on or off."""
    with transaction.atomic():
        changed = Rule.objects.filter(pk=rule.pk).exclude(is_enabled=is_enabled)
        if changed.update(is_enabled=is_enabled, updated_at=timezone.now()):
            action = "rule.enable" if is_enabled else "rule.disable"
            record_audit(rule.organisation, actor.user, action, rule.name, rule_id=rule.pk)
    rule.refresh_from_db()
    return rule


def draft_rule(organisation: Organisation, rule_input: RuleInput) -> Rule:
    """Return an unsaved, validated rule from input: to try it before saving it."""
    return Rule(organisation=organisation, **clean_rule(organisation, rule_input))


def clean_rule(organisation: Organisation, rule_input: RuleInput) -> dict:
    """Validate a rule's input; return the model's field values or raise InvalidInput."""
    errors = list(rule_input.errors)
    name = rule_input.name.strip()
    if not name or len(name) > 200:
        errors.append(("name", _("Give the rule a name of 1–200 characters.")))
    if len(rule_input.description) > 500:
        errors.append(("description", _("At most 500 characters.")))
    conditions, problems = parse_conditions(rule_input.conditions)
    errors.extend((f"conditions.{p.path}" if p.path else "conditions", p.message) for p in problems)
    errors.extend(_reference_errors(organisation, conditions))
    errors.extend(_scope_errors(organisation, rule_input))
    errors.extend(_action_errors(rule_input))
    if errors:
        raise InvalidInput.from_pairs(_("The rule is not valid."), errors)
    return {
        "name": name,
        "description": rule_input.description.strip(),
        "is_enabled": rule_input.is_enabled,
        "conditions": conditions_as_json(conditions),
        "channels": sorted(set(rule_input.channels)),
        "unit": rule_input.unit,
        "survey": rule_input.survey,
        "opens_case": rule_input.opens_case,
        "case_priority": rule_input.case_priority,
        "case_due_hours": rule_input.case_due_hours,
        "alert": _unique([_normal_recipient(item) for item in rule_input.alert]),
        "tags": _unique([tag.strip().lower() for tag in rule_input.tags]),
        "calls_webhooks": rule_input.calls_webhooks,
    }


def _scope_errors(organisation: Organisation, rule_input: RuleInput) -> list[tuple[str, str]]:
    errors = []
    unknown = [channel for channel in rule_input.channels if channel not in Channel.values]
    if unknown:
        errors.append(("channels", _("Choose from: %s.") % ", ".join(Channel.values)))
    if rule_input.unit is not None and rule_input.unit.organisation_id != organisation.pk:
        errors.append(("unit", _("The unit does not exist.")))
    if rule_input.survey is not None and rule_input.survey.organisation_id != organisation.pk:
        errors.append(("survey", _("The survey does not exist.")))
    return errors


def _reference_errors(
    organisation: Organisation, conditions: Sequence[Condition]
) -> list[tuple[str, str]]:
    """Return an error for each theme or unit a condition names outside the organisation."""
    themes = {c.theme for c in conditions if isinstance(c, ThemeCondition)}
    units = {unit for c in conditions if isinstance(c, UnitCondition) for unit in c.units}
    known_themes = set(
        Theme.objects.for_org(organisation).filter(pk__in=themes).values_list("pk", flat=True)
    )
    known_units = set(
        Unit.objects.for_org(organisation).filter(pk__in=units).values_list("pk", flat=True)
    )
    errors = []
    for index, condition in enumerate(conditions):
        if isinstance(condition, ThemeCondition) and condition.theme not in known_themes:
            errors.append((f"conditions.{index}.theme", _("The theme does not exist.")))
        if isinstance(condition, UnitCondition):
            for position, unit in enumerate(condition.units):
                if unit not in known_units:
                    errors.append(
                        (f"conditions.{index}.units.{position}", _("The unit does not exist."))
                    )
    return errors


def _action_errors(rule_input: RuleInput) -> list[tuple[str, str]]:
    errors = []
    if rule_input.case_priority not in CasePriority.values:
        errors.append(("case_priority", _("Choose one of: %s.") % ", ".join(CasePriority.values)))
    if not 1 <= rule_input.case_due_hours <= MAX_DUE_HOURS:
        errors.append(("case_due_hours", _("Give 1 to %d hours.") % MAX_DUE_HOURS))
    if len(rule_input.alert) > MAX_ALERTS:
        errors.append(("alert", _("At most %d recipients.") % MAX_ALERTS))
    for index, recipient in enumerate(rule_input.alert):
        if _normal_recipient(recipient) in AlertTarget.values:
            continue
        try:
            validate_email(recipient.strip())
        except ValidationError:
            errors.append((f"alert.{index}", _("Give owner, managers or an email address.")))
    if len(rule_input.tags) > MAX_TAGS:
        errors.append(("tags", _("At most %d tags.") % MAX_TAGS))
    for index, tag in enumerate(rule_input.tags):
        if not TAG_PATTERN.match(tag.strip().lower()):
            errors.append((f"tags.{index}", _("Use letters, digits, - and _ (at most 50).")))
    if not (
        rule_input.opens_case or rule_input.alert or rule_input.tags or rule_input.calls_webhooks
    ):
        errors.append(
            ("__all__", _("A rule must open a case, alert someone, add a tag or call webhooks."))
        )
    return errors


def _normal_recipient(recipient: str) -> str:
    cleaned = recipient.strip()
    return cleaned.lower() if cleaned.lower() in AlertTarget.values else cleaned


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def rule_scope(rule: Rule) -> Scope:
    """Return where a stored rule applies."""
    return Scope(
        channels=frozenset(rule.channels or ()),
        unit_path=rule.unit.path if rule.unit_id else None,
        survey_id=rule.survey_id,
    )


def rule_conditions(rule: Rule) -> list[Condition]:
    """Return a stored rule's conditions, parsed (they were validated when saved)."""
    cached = getattr(rule, "_parsed_conditions", None)
    if cached is None:
        cached, _problems = parse_conditions(rule.conditions)
        rule._parsed_conditions = cached
    return cached


# --- what every organisation gets -----------------------------------------------------------


def seed_loop_defaults(organisation: Organisation) -> None:
    """Give an organisation the default rules, settings and lists; keep what it already has.

    The default rules are switched on: every detractor and every public complaint is
    followed up from the first day, which is the point of the product.
    """
    LoopSettings.objects.get_or_create(organisation=organisation)
    for spec in DEFAULT_RULES:
        Rule.objects.get_or_create(
            organisation=organisation,
            system_key=spec["system_key"],
            defaults={
                "name": _(spec["name"]),
                "description": _(spec["description"]),
                "is_enabled": True,
                "channels": spec["channels"],
                "conditions": spec["conditions"],
                "opens_case": True,
                "case_priority": spec["case_priority"],
                "case_due_hours": spec["case_due_hours"],
                "alert": spec["alert"],
                "tags": spec["tags"],
            },
        )
    for kind, codes in DEFAULT_CODES.items():
        for position, (key, label) in enumerate(codes):
            CaseCode.objects.get_or_create(
                organisation=organisation,
                kind=kind,
                key=key,
                defaults={"label": _(label), "position": position},
            )
