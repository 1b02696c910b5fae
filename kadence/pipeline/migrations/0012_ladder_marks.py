"""The rules find the ladder's C, Q and D rungs by a mark on the rung, not by their codes: mark the shipped
rungs (pipeline.templates_data.methodology.LADDER_MARKS), where a rung with that code exists and no rung
carries the mark yet."""

from django.db import migrations, models


def mark_shipped_rungs(apps, schema_editor):
    from kadence.pipeline.templates_data.methodology import LADDER_MARKS

    Level = apps.get_model("pipeline", "ProbabilityLevel")  # noqa: N806
    for code, mark in LADDER_MARKS.items():
        if not Level.objects.filter(mark=mark).exists():
            Level.objects.filter(code=code, mark="").update(mark=mark)


class Migration(migrations.Migration):

    dependencies = [
        ('pipeline', '0011_weighted_without_integer_division'),
    ]

    operations = [
        migrations.AddField(
            model_name='probabilitylevel',
            name='mark',
            field=models.CharField(blank=True, choices=[('contacted', 'C: contacted (meeting the C139 rule here or below is under-staged)'), ('qualified', 'Q: qualified (deals here or above count as qualified)'), ('developed', 'D: developed (here or above needs the C139 rule)')], default='', max_length=10, verbose_name='mark'),
        ),
        migrations.AddConstraint(
            model_name='probabilitylevel',
            constraint=models.UniqueConstraint(condition=models.Q(('mark', ''), _negated=True), fields=('mark',), name='level_mark_once'),
        ),
        migrations.RunPython(mark_shipped_rungs, migrations.RunPython.noop),
    ]
