"""Drop the single-column indexes on Response.survey and Answer.response.

The (survey, submitted_at) and unique (survey, idempotency_key) indexes lead with the
survey, and the unique (response, question_key) index leads with the response, so these
two only cost every insert. Dropped by name instead of through ``AlterField``, which
would rebuild both tables on SQLite and drop and re-validate the foreign keys on
PostgreSQL (a scan of every row) for what is only a ``DROP INDEX``.
"""

import django.db.models.deletion
from django.db import migrations, models

# Django's names for the indexes ``db_index=True`` created (the same on every database).
SURVEY_INDEX = "collect_response_survey_id_b5101a1f"
RESPONSE_INDEX = "collect_answer_response_id_ff87e5ad"


class Migration(migrations.Migration):
    dependencies = [
        ("collect", "0007_mentions_and_invitation_policy_defaults"),
        ("surveys", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="answer",
                    name="response",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                        to="collect.response",
                    ),
                ),
                migrations.AlterField(
                    model_name="response",
                    name="survey",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="responses",
                        to="surveys.survey",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{RESPONSE_INDEX}"',
                    reverse_sql=f'CREATE INDEX "{RESPONSE_INDEX}" ON "collect_answer" ("response_id")',
                ),
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{SURVEY_INDEX}"',
                    reverse_sql=f'CREATE INDEX "{SURVEY_INDEX}" ON "collect_response" ("survey_id")',
                ),
            ],
        ),
    ]
