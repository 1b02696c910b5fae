"""Stage flows and month-end pipelines count each transition, and each deal open at a month-end, under the
owner and team its history row names (who held the deal at that moment), no longer under the deal's
current owner and team (issue 11 §2): recompute both summaries with the new keys
(kadence.pipeline.summary.rebuild_stage_flows, kadence.pipeline.month_ends.rebuild)."""

from django.db import migrations


def refill(apps, schema_editor):
    from kadence.pipeline.month_ends import rebuild
    from kadence.pipeline.summary import rebuild_stage_flows

    rebuild_stage_flows(apps.get_model)
    rebuild(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0027_pastfunnel_history_indexes")]

    operations = [migrations.RunPython(refill, migrations.RunPython.noop)]
