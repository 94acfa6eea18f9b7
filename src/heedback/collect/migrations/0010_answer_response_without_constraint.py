"""Drop the database constraint of Answer.response (ADR 0003).

Answers are written only with their response and deleted only through its cascade, so
the check could not fail; on PostgreSQL it cost each stored response two deferred
trigger queries (about a third of the database's CPU for it). The column, its unique
index and Django's cascade stay. On SQLite the table is rebuilt, once.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collect', '0009_index_link_and_staff_only_where_set'),
    ]

    operations = [
        migrations.AlterField(
            model_name='answer',
            name='response',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='collect.response'),
        ),
    ]
