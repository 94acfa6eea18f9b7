"""The sentences the placement page and the API say about a placement, in one place.

Translated at the moment they are built, in the language of the request.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedback.continuum.choices import FactorChoice, LevelChoice
from heedback.continuum.evidence import Comparison, FactorEvidence, Status
from heedback.continuum.instrument import Factor, Level
from heedback.continuum.scoring import FactorResult, Reason


def level_name(level: Level | int | None) -> str:
    """Return a level's display name in lower case ("focused"), or an en dash for none."""
    if level is None:
        return "\u2013"
    return str(LevelChoice(int(level)).label).lower()


def factor_name(factor: Factor | str) -> str:
    return str(FactorChoice(str(factor)).label)


def comparison_message(
    factor: Factor | None,
    comparison: Comparison,
    self_level: Level | None,
    evidence: FactorEvidence | None,
    evidence_level: Level | None,
) -> str:
    """Say plainly how the self-assessment and the data relate, naming what holds it back.

    ``factor`` None speaks of the organisation overall.
    """
    subject = factor_name(factor).lower() if factor is not None else _("organisation")
    names = {
        "subject": subject,
        "self": level_name(self_level),
        "evidence": level_name(evidence_level),
    }
    if comparison == Comparison.SELF_HIGHER:
        text = _("You rate your %(subject)s %(self)s; your data says %(evidence)s") % names
        if factor is None:
            return f"{text}. " + _("The factors below show what holds it back.")
        reason = _limiting_reason(evidence)
        return f"{text}: {reason}" if reason else f"{text}."
    if comparison == Comparison.SELF_LOWER:
        return (
            _(
                "You rate your %(subject)s %(self)s; your data would allow %(evidence)s. The "
                "data does not hold you back here: the practices in your answers do."
            )
            % names
        )
    if comparison == Comparison.AGREE:
        return _("Your answers and your data agree: %(self)s.") % names
    if comparison == Comparison.NO_SELF:
        return _("Your data says %(evidence)s. Take the assessment to compare.") % names
    if comparison == Comparison.NO_EVIDENCE:
        return _(
            "You rate your %(subject)s %(self)s; there is not enough data to check it yet."
        ) % (names)
    return _("Not placed yet: take the assessment, and collect feedback to add evidence.")


def _limiting_reason(evidence: FactorEvidence | None) -> str:
    if evidence is None or not evidence.limiting:
        return ""
    measurement = evidence.limiting[0].measurement
    label = str(evidence.limiting[0].indicator.label)
    text = f"{label} {measurement.display}".strip()
    return f"{text} \u2013 {measurement.detail}" if measurement.detail else f"{text}."


def reason_message(result: FactorResult) -> str:
    """Say in one sentence why a factor sits at its self-assessed level."""
    names = {"level": level_name(result.level)}
    if result.reason == Reason.TOO_FEW_ANSWERS:
        return _(
            "Not placed: %(answered)d of %(total)d statements answered; at least half are needed."
        ) % {"answered": result.answered, "total": result.total}
    if result.reason == Reason.HOSTILE_SHORTCOMINGS:
        return _("Held at hostile by the hostile practices the answers agree with.")
    if result.reason == Reason.AWARE_SHORTCOMINGS:
        return _("Held at aware by the aware practices the answers agree with.")
    if result.reason == Reason.NO_PRACTICES:
        return _(
            "Aware: no hostile or aware practice is admitted, but the friendly practices are "
            "not yet agreed with."
        )
    return _("Reached %(level)s: the answers agree with its practices and those below it.") % names


_PROVIDERS = {
    "loop": gettext_lazy("cases and follow-up"),
    "customers": gettext_lazy("customer records and interactions"),
    "insights": gettext_lazy("driver analysis"),
}


def status_label(status: Status) -> str:
    """Return the short note shown in place of (or beside) an indicator's value."""
    labels = {
        Status.SMALL_SAMPLE: _("small sample"),
        Status.NO_DATA: _("no data yet"),
        Status.WITHHELD: _("fewer than 5 respondents"),
        Status.NOT_MEASURED: _("not measured yet"),
        Status.NOT_AVAILABLE: _("not available yet"),
    }
    return labels.get(status, "")


def pending_detail(provided_by: str) -> str:
    """Say what an indicator that is not measured yet is waiting for."""
    return _("Not measured by Heedback yet; it will come from %(feature)s.") % {
        "feature": _PROVIDERS.get(provided_by, provided_by)
    }
