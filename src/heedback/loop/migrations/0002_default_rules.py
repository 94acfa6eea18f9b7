"""Give organisations that exist already what onboarding gives new ones, and start the watermark.

The rules act on feedback that arrives from now on: the evaluation watermark starts at
the newest response stored, so installing the loop never opens cases for old feedback.
The defaults are a frozen copy of ``heedback.loop.defaults`` as it was when this
migration was written (a migration must not change meaning when the code does).
"""

from django.db import migrations
from django.db.models import Max

RULES = [
    {
        "system_key": "detractor",
        "name": "Every detractor",
        "description": "Follow up every customer who would not recommend us (NPS 0–6).",
        "channels": [],
        "conditions": [{"kind": "nps_band", "band": "detractor"}],
        "case_priority": "normal",
        "case_due_hours": 48,
        "alert": ["owner"],
        "tags": [],
    },
    {
        "system_key": "public_complaint",
        "name": "Every public complaint",
        "description": (
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

CODES = {
    "resolution": [
        ("fixed", "Problem fixed"),
        ("explained", "Explained to the customer"),
        ("compensated", "Compensated"),
        ("apologised", "Apologised"),
        ("not_reached", "Could not reach the customer"),
        ("no_action", "No action possible"),
    ],
    "root_cause": [
        ("staff_behaviour", "Staff behaviour"),
        ("waiting_time", "Waiting time"),
        ("product_quality", "Product or service quality"),
        ("cleanliness", "Cleanliness"),
        ("billing", "Billing or price"),
        ("communication", "Communication"),
        ("process", "Process or policy"),
        ("facilities", "Facilities or equipment"),
        ("other", "Other"),
    ],
}


def add_defaults(apps, schema_editor):
    organisations = apps.get_model("orgs", "Organisation")
    rules = apps.get_model("loop", "Rule")
    codes = apps.get_model("loop", "CaseCode")
    loop_settings = apps.get_model("loop", "LoopSettings")
    for organisation in organisations.objects.all():
        loop_settings.objects.get_or_create(organisation=organisation)
        for spec in RULES:
            values = {key: value for key, value in spec.items() if key != "system_key"}
            rules.objects.get_or_create(
                organisation=organisation,
                system_key=spec["system_key"],
                defaults={**values, "is_enabled": True, "opens_case": True},
            )
        for kind, entries in CODES.items():
            for position, (key, label) in enumerate(entries):
                codes.objects.get_or_create(
                    organisation=organisation,
                    kind=kind,
                    key=key,
                    defaults={"label": label, "position": position},
                )
    responses = apps.get_model("collect", "Response")
    cursors = apps.get_model("loop", "EvaluationCursor")
    newest = responses.objects.aggregate(top=Max("pk"))["top"] or 0
    cursors.objects.update_or_create(pk=1, defaults={"position": newest})


class Migration(migrations.Migration):
    dependencies = [("loop", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
