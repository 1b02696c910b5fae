"""Load the shipped methodology: probability ladder, four process templates, deal roles, loss reasons."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kadence.pipeline.templates_data import methodology

    methodology.load(apps)


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
