"""The full-text index: an FTS5 table on SQLite, a GIN expression index on PostgreSQL."""

from django.db import migrations

from heedback.text import search


def create(apps, schema_editor):
    search.create_index(schema_editor.connection.vendor, schema_editor.execute)


def drop(apps, schema_editor):
    search.drop_index(schema_editor.connection.vendor, schema_editor.execute)


class Migration(migrations.Migration):
    dependencies = [("text", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
