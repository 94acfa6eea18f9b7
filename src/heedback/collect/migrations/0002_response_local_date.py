import zoneinfo

from django.db import migrations, models


def fill_local_dates(apps, schema_editor):
    """Give every existing response its day in its organisation's time zone."""
    Response = apps.get_model("collect", "Response")
    Organisation = apps.get_model("orgs", "Organisation")
    zones = {org.pk: zoneinfo.ZoneInfo(org.time_zone) for org in Organisation.objects.all()}
    batch = []
    for response in Response.objects.only("pk", "organisation_id", "submitted_at").iterator(chunk_size=2000):
        response.local_date = response.submitted_at.astimezone(zones[response.organisation_id]).date()
        batch.append(response)
        if len(batch) >= 2000:
            Response.objects.bulk_update(batch, ["local_date"])
            batch = []
    Response.objects.bulk_update(batch, ["local_date"])


class Migration(migrations.Migration):
    dependencies = [("collect", "0001_initial"), ("orgs", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="response",
            name="local_date",
            field=models.DateField(null=True, verbose_name="local date"),
        ),
        migrations.RunPython(fill_local_dates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="response",
            name="local_date",
            field=models.DateField(verbose_name="local date"),
        ),
    ]
