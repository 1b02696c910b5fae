"""On SQLite the summaries' weighted amounts were recomputed with an integer division whenever a deal's
amount and probability were whole numbers (1,234,567 × 25 ÷ 100 gave 308,641): recompute them with the
one weighted-amount expression. PostgreSQL computed them exactly; nothing to do there."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from kadence.pipeline.summary import rebuild

    rebuild(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0010_local_day_numbers")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
