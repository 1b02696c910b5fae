"""Load the shipped team sale: the deal-team roles each stage needs and its task list with completion
standards (METHODOLOGY §1c, §6), for the templates that exist."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kadence.pipeline.templates_data import stage_tasks

    stage_tasks.load(apps)


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0004_stage_tasks_roles_staging")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
