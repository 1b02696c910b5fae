"""Build the month-end pipeline for every month that has ended since the first stage-history row
(kadence.pipeline.month_ends.rebuild): later months are built by the first report that reads them."""

from django.db import migrations


def fill(apps, schema_editor):
    from kadence.pipeline.month_ends import rebuild

    rebuild(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0018_month_end_pipeline")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
