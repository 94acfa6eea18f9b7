"""Drop the rollup tables, to recreate them keyed by their cell (0006).

Rollups are derived: the state is reset with them, so the worker's next refresh counts
every response again into the new tables.
"""

from django.db import migrations


def forget_what_was_counted(apps, schema_editor):
    for name in ("RollupState", "CountedResponse", "RollupRebuild"):
        apps.get_model("insights", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("insights", "0004_organisation_rollup")]

    operations = [
        migrations.RunPython(forget_what_was_counted, migrations.RunPython.noop),
        migrations.DeleteModel(name="AnswerRollup"),
        migrations.DeleteModel(name="OrganisationRollup"),
        migrations.DeleteModel(name="OptionRollup"),
    ]
