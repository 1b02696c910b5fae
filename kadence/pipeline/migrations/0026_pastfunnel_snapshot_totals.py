"""SnapshotTotal: each pipeline snapshot's deals summed per team × stage × level, filled for the
snapshots already written (one grouped INSERT … SELECT). DailyFlow: the company's transitions per day,
written by the next `kadence pipeline-snapshot` (SnapshotPolicy.flows_through)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, Sum

from kadence.pipeline.expressions import WeightedAmount

KEY = ("snapshot_id", "team_id", "stage_id", "level_id")


def fill(apps, schema_editor):
    snapshot_deal = apps.get_model("pipeline", "SnapshotDeal")
    grouped = (
        snapshot_deal.objects.using(schema_editor.connection.alias)
        .order_by()
        .values(*KEY)
        .annotate(n=Count("id"), amount_sum=Sum("amount"), w=Sum(WeightedAmount()), days=Sum("entered_day"))
    )
    sql, params = grouped.query.sql_with_params()
    quote = schema_editor.connection.ops.quote_name
    columns = ", ".join(quote(c) for c in (*KEY, "count", "amount", "weighted", "entered_days"))
    picked = ", ".join(f"t.{quote(c)}" for c in (*KEY, "n", "amount_sum", "w", "days"))
    schema_editor.execute(
        f"INSERT INTO pipeline_snapshottotal ({columns}) SELECT {picked} FROM ({sql}) t", params
    )


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_scheduled_jobs'),
        ('pipeline', '0025_import_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='snapshotpolicy',
            name='flows_through',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.CreateModel(
            name='DailyFlow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('kind', models.CharField(max_length=12)),
                ('count', models.IntegerField(default=0)),
                ('amount', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
                ('cycle_days', models.BigIntegerField(default=0)),
                ('from_stage', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pipeline.stage')),
                ('to_stage', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pipeline.stage')),
            ],
            options={
                'verbose_name': 'daily flow',
                'verbose_name_plural': 'daily flows',
                'constraints': [models.UniqueConstraint(fields=('day', 'kind', 'from_stage', 'to_stage'), name='daily_flow_key')],
            },
        ),
        migrations.CreateModel(
            name='SnapshotTotal',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('count', models.IntegerField()),
                ('amount', models.DecimalField(decimal_places=2, max_digits=20)),
                ('weighted', models.DecimalField(decimal_places=6, max_digits=26)),
                ('entered_days', models.BigIntegerField()),
                ('level', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pipeline.probabilitylevel')),
                ('snapshot', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='pipeline.pipelinesnapshot')),
                ('stage', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pipeline.stage')),
                ('team', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.orgunit')),
            ],
            options={
                'verbose_name': 'snapshot total',
                'verbose_name_plural': 'snapshot totals',
                'indexes': [models.Index(fields=['snapshot', 'team', 'stage', 'level'], name='snapshottotal_key')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
