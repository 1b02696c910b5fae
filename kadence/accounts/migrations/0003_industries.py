"""Load the seven industries of seed 004."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kadence.accounts import defaults

    defaults.load_industries(apps)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
