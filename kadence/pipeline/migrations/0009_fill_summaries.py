"""Fill the report summaries of an existing database (created empty by 0006 and 0008)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kadence.pipeline.summary import rebuild

    rebuild(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0008_won_totals")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
