"""Fill the deals' stall summaries (pipeline 0015 added the columns) from their activities, stall
actions and close-date audit trail, in one set-based UPDATE (kadence.insights.services.stall_summary)."""

from django.db import migrations


def fill(apps, schema_editor):
    from kadence.insights.services.stall_summary import rebuild

    rebuild(apps.get_model)


class Migration(migrations.Migration):

    dependencies = [
        ("pipeline", "0015_stall_summary"),
        ("activities", "0004_deal_team"),
        ("deals", "0006_expense_budget_version"),
        ("core", "0002_user_amount_unit"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
