"""Load the deal-control defaults: the policy row, the 13 C139 items, the expense categories."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kadence.deals import defaults

    defaults.load(apps)


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_deal_control")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
