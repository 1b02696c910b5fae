"""The level a stage grants is earned by leaving it (METHODOLOGY §1d, issue 11 §1b): a deal holds the
default level of the last stage whose exit criteria it met, no longer its current stage's as soon as
it enters it. Every open deal's level, probability and staging flag is re-derived from its
checkpoints (kadence.pipeline.relevel); each deal whose level changes gets an `updated` history row
stamped now with the reason, and the open pipeline's summary is rebuilt. Closed deals keep their history."""

from django.db import migrations

REASON = (
    "级别在完成阶段出口标准后获得，已按检查点重新计算 / Levels are earned by leaving a stage: "
    "re-derived from the checkpoints"
)


def relevel(apps, schema_editor):
    from kadence.pipeline.relevel import relevel_open

    relevel_open(REASON, get_model=apps.get_model)


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0022_owners_from_audit"),
        ("deals", "0006_expense_budget_version"),  # the checkpoints' tables, read by the gates
    ]

    operations = [migrations.RunPython(relevel, migrations.RunPython.noop)]
