"""Summaries count days in the local calendar (settings.TIME_ZONE), not UTC: recompute them."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kadence.pipeline.summary import rebuild

    rebuild(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0009_fill_summaries")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
