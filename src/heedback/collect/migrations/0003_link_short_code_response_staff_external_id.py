import secrets

from django.conf import settings
from django.db import migrations, models

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def fill_short_codes(apps, schema_editor):
    SurveyLink = apps.get_model("collect", "SurveyLink")
    used = set()
    for link in SurveyLink.objects.all():
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        while code in used:
            code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        used.add(code)
        link.short_code = code
        link.save(update_fields=["short_code"])


class Migration(migrations.Migration):
    dependencies = [
        ("collect", "0002_response_local_date"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="surveylink",
            name="short_code",
            field=models.CharField(max_length=16, null=True),
        ),
        migrations.RunPython(fill_short_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="surveylink",
            name="short_code",
            field=models.CharField(max_length=16, unique=True),
        ),
        migrations.AddField(
            model_name="response",
            name="staff",
            field=models.ForeignKey(
                blank=True,
                help_text="The staff member who served the customer.",
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="served_responses",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="response",
            name="external_id",
            field=models.CharField(
                blank=True,
                help_text="The id of this response in the system it came from (import, connector).",
                max_length=200,
                verbose_name="external id",
            ),
        ),
    ]
