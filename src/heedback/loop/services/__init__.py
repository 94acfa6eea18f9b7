"""Writes of the loop app: rules, their evaluation, cases, their follow-up and escalation.

One module per concern; everything callers need is importable from here, and the
worker's periodic jobs are named by their path in this package.
"""

from heedback.loop.services.cases import (
    CaseOpening,
    FollowUp,
    Resolution,
    add_event,
    alert,
    assign_case,
    change_priority,
    change_status,
    mark_seen,
    open_case,
    record_resurvey_answer,
    reopen_case,
    resolve_case,
)
from heedback.loop.services.common import SYSTEM, Actor, default_owner, schedule_for, settings_of
from heedback.loop.services.deliveries import retry_delivery
from heedback.loop.services.digests import (
    DigestPreference,
    digest_zone,
    send_due_digests,
    set_digest_preference,
    subscription_of,
)
from heedback.loop.services.escalation import escalate_case, escalate_overdue
from heedback.loop.services.evaluation import (
    TrialResult,
    act_on,
    evaluate_new_responses,
    evaluate_response,
    facts_of,
    score_summary,
    try_rule,
)
from heedback.loop.services.rules import (
    RuleInput,
    create_rule,
    draft_rule,
    seed_loop_defaults,
    set_rule_enabled,
    update_rule,
)

__all__ = [
    "SYSTEM",
    "Actor",
    "CaseOpening",
    "DigestPreference",
    "FollowUp",
    "Resolution",
    "RuleInput",
    "TrialResult",
    "act_on",
    "add_event",
    "alert",
    "assign_case",
    "change_priority",
    "change_status",
    "create_rule",
    "default_owner",
    "digest_zone",
    "draft_rule",
    "escalate_case",
    "escalate_overdue",
    "evaluate_new_responses",
    "evaluate_response",
    "facts_of",
    "mark_seen",
    "open_case",
    "record_resurvey_answer",
    "reopen_case",
    "resolve_case",
    "retry_delivery",
    "schedule_for",
    "score_summary",
    "seed_loop_defaults",
    "send_due_digests",
    "set_digest_preference",
    "set_rule_enabled",
    "settings_of",
    "subscription_of",
    "try_rule",
    "update_rule",
]
