"""Index Response.link and Response.staff only where set.

API batches and imports name neither, so a full index holds an entry for every NULL and
every insert pays for it. Lookups (``link_id = …``, ``staff_id IN (…)``, and the
``SET NULL`` when a link or a person is deleted) imply NOT NULL, so both databases use
the partial index for them. The old indexes are dropped by name, as in 0008, rather
than through ``AlterField`` (a table rebuild on SQLite, re-validated keys on PostgreSQL).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Django's names for the indexes ``db_index=True`` created (the same on every database).
LINK_INDEX = "collect_response_link_id_d4fd9c02"
STAFF_INDEX = "collect_response_staff_id_2b2451d5"


def _drop(name: str, column: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"',
        reverse_sql=f'CREATE INDEX "{name}" ON "collect_response" ("{column}")',
    )


class Migration(migrations.Migration):
    dependencies = [
        ("collect", "0008_drop_indexes_covered_by_composite_ones"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                condition=models.Q(("link__isnull", False)), fields=["link"], name="response_link"
            ),
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                condition=models.Q(("staff__isnull", False)),
                fields=["staff"],
                name="response_staff",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="response",
                    name="link",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="responses",
                        to="collect.surveylink",
                    ),
                ),
                migrations.AlterField(
                    model_name="response",
                    name="staff",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The staff member who served the customer.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="served_responses",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[_drop(LINK_INDEX, "link_id"), _drop(STAFF_INDEX, "staff_id")],
        ),
    ]
