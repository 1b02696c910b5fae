"""The moment each deal's stay in its (stage, level) began, and the stays counted (issue 11 §5): the
time-aware forecast reads them instead of the whole history (kadence.pipeline.stays)."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    # every deal's stay_began_at and the stay summary, from the history in set-based SQL
    from kadence.pipeline.stays import rebuild

    rebuild(apps.get_model)


class Migration(migrations.Migration):

    dependencies = [
        ('pipeline', '0028_teamflows_held_by_the_moment'),
    ]

    operations = [
        migrations.AddField(
            model_name='opportunity',
            name='stay_began_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.CreateModel(
            name='StaySummary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('outcome', models.PositiveSmallIntegerField()),
                ('began', models.IntegerField()),
                ('days', models.IntegerField()),
                ('to_stage_id', models.IntegerField(default=0)),
                ('to_level_id', models.IntegerField(default=0)),
                ('count', models.IntegerField(default=0)),
                ('level', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='pipeline.probabilitylevel')),
                ('stage', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='pipeline.stage')),
            ],
            options={
                'verbose_name': 'stay summary',
                'verbose_name_plural': 'stay summaries',
                'constraints': [models.UniqueConstraint(fields=('began', 'stage', 'level', 'outcome', 'days', 'to_stage_id', 'to_level_id'), name='stay_summary_key')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
