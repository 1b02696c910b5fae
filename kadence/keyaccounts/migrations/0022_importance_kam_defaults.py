"""The defaults of importance and KAM (seed 003): the nine criteria with their weights and bands, the
type-rule configuration, the five KAM stages with their focus and checklists, the CSI questions."""

from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    from kadence.keyaccounts.importance.defaults import criteria_rows
    from kadence.keyaccounts.kam.defaults import CSI_QUESTIONS, STAGES

    criterion = apps.get_model("keyaccounts", "ImportanceCriterion")
    for row in criteria_rows():
        criterion.objects.update_or_create(code=row["code"], defaults=row)
    apps.get_model("keyaccounts", "ImportanceConfig").objects.get_or_create(pk=1)
    stage_model = apps.get_model("keyaccounts", "KamStage")
    item_model = apps.get_model("keyaccounts", "KamChecklistItem")
    for n, stage in enumerate(STAGES, start=1):
        values = {k: v for k, v in stage.items() if k not in ("code", "items")}
        row, _ = stage_model.objects.update_or_create(code=stage["code"], defaults={**values, "order": n})
        if not item_model.objects.filter(stage=row).exists():
            item_model.objects.bulk_create(
                item_model(stage=row, order=i, text_zh=zh, text_en=en)
                for i, (zh, en) in enumerate(stage["items"], start=1)
            )
    question = apps.get_model("keyaccounts", "CsiQuestion")
    for n, (code, zh, en, weight) in enumerate(CSI_QUESTIONS, start=1):
        question.objects.get_or_create(
            code=code, defaults={"text_zh": zh, "text_en": en, "weight": Decimal(weight), "order": n}
        )


class Migration(migrations.Migration):
    dependencies = [("keyaccounts", "0021_importance_kam")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
