"""What every organisation starts with: two rules and the lists of resolutions and root causes.

Plain data, so that onboarding and the data migration for existing organisations give
exactly the same thing (the migration keeps its own frozen copy, as migrations must).
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as _noop

DEFAULT_RULES: list[dict] = [
    {
        "system_key": "detractor",
        "name": _noop("Every detractor"),
        "description": _noop("Follow up every customer who would not recommend us (NPS 0–6)."),
        "channels": [],
        "conditions": [{"kind": "nps_band", "band": "detractor"}],
        "case_priority": "normal",
        "case_due_hours": 48,
        "alert": ["owner"],
        "tags": [],
    },
    {
        "system_key": "public_complaint",
        "name": _noop("Every public complaint"),
        "description": _noop(
            "A low score posted on a review site or social media: unhappy customers tell "
            "many others, so answer within hours."
        ),
        "channels": ["review", "social"],
        "conditions": [{"kind": "low_score"}],
        "case_priority": "high",
        "case_due_hours": 4,
        "alert": ["owner", "managers"],
        "tags": ["public"],
    },
]

DEFAULT_CODES: dict[str, list[tuple[str, str]]] = {
    "resolution": [
        ("fixed", _noop("Problem fixed")),
        ("explained", _noop("Explained to the customer")),
        ("compensated", _noop("Compensated")),
        ("apologised", _noop("Apologised")),
        ("not_reached", _noop("Could not reach the customer")),
        ("no_action", _noop("No action possible")),
    ],
    "root_cause": [
        ("staff_behaviour", _noop("Staff behaviour")),
        ("waiting_time", _noop("Waiting time")),
        ("product_quality", _noop("Product or service quality")),
        ("cleanliness", _noop("Cleanliness")),
        ("billing", _noop("Billing or price")),
        ("communication", _noop("Communication")),
        ("process", _noop("Process or policy")),
        ("facilities", _noop("Facilities or equipment")),
        ("other", _noop("Other")),
    ],
}
