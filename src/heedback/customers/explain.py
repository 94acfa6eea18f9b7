"""Turn the lapse module's reasons into sentences a member of staff can act on."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from heedback.customers import lapse


def days(value: float) -> str:
    """Return a number of days as people say it: one decimal under ten, whole above."""
    if value < 10:
        return formats.number_format(round(value, 1), decimal_pos=1, use_l10n=True)
    return formats.number_format(round(value), use_l10n=True)


def percent(share: float) -> str:
    return formats.number_format(round(share * 100), use_l10n=True)


def explain(reason: lapse.Reason, rule: lapse.LapseRule) -> str:
    """Return the reason as one translated sentence."""
    values = reason.values
    if reason.code == "too_few_visits":
        visits = int(values["visits"])
        return ngettext(
            "%(visits)d visit so far; a rhythm needs at least %(minimum)d.",
            "%(visits)d visits so far; a rhythm needs at least %(minimum)d.",
            visits,
        ) % {"visits": visits, "minimum": rule.minimum_visits}
    numbers = {
        "absent": days(float(values["absent_days"])),
        "typical": days(float(values["typical_days"])),
        "at_risk": days(float(values["at_risk_days"])),
        "lapse": days(float(values["lapse_days"])),
        "lapse_share": percent(rule.lapse_quantile),
        "risk_share": percent(rule.at_risk_quantile),
        "gaps": values["gaps"],
        "fallback": days(rule.fallback_gap_days),
    }
    if reason.code == "lapsed" and values["basis"] == lapse.Basis.OWN:
        return (
            _(
                "No visit for %(absent)s days: %(lapse_share)s%% of their own gaps were "
                "shorter than %(lapse)s days."
            )
            % numbers
        )
    if reason.code == "lapsed":
        return _("No visit for %(absent)s days, past the %(lapse)s days that count for them.") % (
            numbers
        )
    if reason.code == "short_history":
        return (
            _(
                "Only %(gaps)s gaps between visits on record, so the organisation's fallback "
                "of %(fallback)s days is the least that counts as a lapse."
            )
            % numbers
        )
    if reason.code == "overdue":
        return (
            _(
                "No visit for %(absent)s days: longer than %(risk_share)s%% of their gaps "
                "(%(at_risk)s days). Lapsed after %(lapse)s days."
            )
            % numbers
        )
    return _("Last visit %(absent)s days ago; usually back within %(typical)s days.") % numbers


def explain_status(status: lapse.LapseStatus, rule: lapse.LapseRule) -> list[dict[str, str]]:
    """Return the status's reasons as ``{"code", "message"}`` pairs (the API's shape)."""
    return [{"code": reason.code, "message": explain(reason, rule)} for reason in status.reasons]


def describe_rule(rule: lapse.LapseRule) -> list[str]:
    """Return the rule in sentences, as the settings and customer pages show it."""
    return [
        _(
            "A customer has a rhythm from %(minimum)d visits on; interactions less than "
            "12 hours apart are one visit."
        )
        % {"minimum": rule.minimum_visits},
        _("Lapsed: absent longer than %(share)s%% of their own gaps between visits.")
        % {"share": percent(rule.lapse_quantile)},
        _("At risk: absent longer than %(share)s%% of their gaps, and not yet lapsed.")
        % {"share": percent(rule.at_risk_quantile)},
        _(
            "With fewer than %(gaps)d gaps on record, a lapse needs at least %(days)s days "
            "of absence (the organisation's fallback)."
        )
        % {"gaps": rule.own_history_gaps, "days": days(rule.fallback_gap_days)},
    ]
