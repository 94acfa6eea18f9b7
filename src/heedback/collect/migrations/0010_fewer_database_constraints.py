"""Drop the database constraints of Answer.response, Response.organisation and .version.

ADR 0003: each cost every stored row a trigger query at commit, together about half of
PostgreSQL's CPU for a response, and none guards anything another constraint or the way
rows are written does not: answers are written only with their response, and a
response's organisation and version are its survey's, whose constraint stays. The
columns, their indexes and Django's cascades stay. On SQLite the two tables are rebuilt,
once.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collect', '0009_index_link_and_staff_only_where_set'),
        ('orgs', '0002_api_key_survey'),
        ('surveys', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='answer',
            name='response',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='collect.response'),
        ),
        migrations.AlterField(
            model_name='response',
            name='organisation',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.organisation'),
        ),
        migrations.AlterField(
            model_name='response',
            name='version',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='surveys.surveyversion'),
        ),
    ]
