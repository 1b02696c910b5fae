"""KPI scorecards (issue 14 §4): the KPI definitions and their versions, the grade bands, the manual
inputs, the scorecards and their lines; the shipped defaults loaded."""

import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from kadence.performance.kpi.defaults import load


def seed(apps, schema_editor):
    load(apps.get_model)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_scheduled_jobs'),
        ('performance', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='GradeBand',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name_zh', models.CharField(max_length=200, verbose_name='name (Chinese)')),
                ('name_en', models.CharField(max_length=200, verbose_name='name (English)')),
                ('code', models.SlugField(max_length=20, unique=True, verbose_name='code')),
                ('min_score', models.DecimalField(decimal_places=2, max_digits=5, verbose_name='minimum score')),
            ],
            options={
                'verbose_name': 'grade band',
                'verbose_name_plural': 'grade bands',
                'ordering': ['-min_score'],
            },
        ),
        migrations.CreateModel(
            name='KpiDefinition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name_zh', models.CharField(max_length=200, verbose_name='name (Chinese)')),
                ('name_en', models.CharField(max_length=200, verbose_name='name (English)')),
                ('role', models.CharField(choices=[('rep', 'Sales rep'), ('inside', 'Inside sales'), ('manager', 'Sales manager'), ('director', 'Director'), ('admin', 'Admin')], max_length=10, verbose_name='role')),
                ('code', models.SlugField(max_length=40, verbose_name='code')),
                ('metric', models.CharField(choices=[('revenue', 'Revenue vs target'), ('growth', 'Revenue growth'), ('new_customers', 'New customers vs quota'), ('new_old_ratio', 'New / old customer ratio'), ('effective_visits', 'Effective visits vs quota'), ('forecast_accuracy', 'Forecast accuracy'), ('expense_ratio', 'Expense ratio'), ('gate_compliance', 'Stage-gate compliance'), ('satisfaction', 'Customer satisfaction'), ('manual', 'Entered by the manager')], max_length=20, verbose_name='metric')),
                ('weight', models.DecimalField(decimal_places=2, max_digits=6, verbose_name='weight')),
                ('target', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='target')),
                ('curve', models.CharField(choices=[('linear', 'Linear (actual ÷ target, at most 100)'), ('threshold', 'Threshold (100 when met, else 0)'), ('floor', 'Linear above a floor (0 below the floor % of target)')], default='linear', max_length=10, verbose_name='scoring curve')),
                ('floor', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=5, verbose_name='floor %')),
                ('sort_order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('version', models.PositiveIntegerField(default=1)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'KPI',
                'verbose_name_plural': 'KPIs',
                'ordering': ['role', 'sort_order', 'id'],
                'constraints': [models.UniqueConstraint(fields=('role', 'code'), name='kpi_definition_role_code')],
            },
        ),
        migrations.CreateModel(
            name='Scorecard',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('rep', 'Sales rep'), ('inside', 'Inside sales'), ('manager', 'Sales manager'), ('director', 'Director'), ('admin', 'Admin')], max_length=10, verbose_name='role')),
                ('period_kind', models.CharField(choices=[('month', 'Month'), ('quarter', 'Quarter')], max_length=7, verbose_name='period')),
                ('period_start', models.DateField(verbose_name='period start')),
                ('period_end', models.DateField(verbose_name='period end')),
                ('total', models.DecimalField(decimal_places=2, max_digits=6, null=True, verbose_name='score')),
                ('grade', models.CharField(blank=True, max_length=20, verbose_name='grade')),
                ('bands', models.JSONField(default=list)),
                ('computed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('version', models.PositiveIntegerField(default=1)),
                ('computed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('unit', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='core.orgunit')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='seller')),
            ],
            options={
                'verbose_name': 'scorecard',
                'verbose_name_plural': 'scorecards',
                'ordering': ['-period_start', 'user_id'],
            },
        ),
        migrations.CreateModel(
            name='ScorecardLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('definition_version', models.PositiveIntegerField()),
                ('code', models.SlugField(max_length=40)),
                ('name_zh', models.CharField(max_length=200)),
                ('name_en', models.CharField(max_length=200)),
                ('metric', models.CharField(choices=[('revenue', 'Revenue vs target'), ('growth', 'Revenue growth'), ('new_customers', 'New customers vs quota'), ('new_old_ratio', 'New / old customer ratio'), ('effective_visits', 'Effective visits vs quota'), ('forecast_accuracy', 'Forecast accuracy'), ('expense_ratio', 'Expense ratio'), ('gate_compliance', 'Stage-gate compliance'), ('satisfaction', 'Customer satisfaction'), ('manual', 'Entered by the manager')], max_length=20)),
                ('weight', models.DecimalField(decimal_places=2, max_digits=6)),
                ('target', models.DecimalField(decimal_places=2, max_digits=12)),
                ('curve', models.CharField(choices=[('linear', 'Linear (actual ÷ target, at most 100)'), ('threshold', 'Threshold (100 when met, else 0)'), ('floor', 'Linear above a floor (0 below the floor % of target)')], max_length=10)),
                ('floor', models.DecimalField(decimal_places=2, max_digits=5)),
                ('lower_is_better', models.BooleanField(default=False)),
                ('actual', models.DecimalField(decimal_places=2, max_digits=16, null=True)),
                ('inputs', models.JSONField(default=dict)),
                ('score', models.DecimalField(decimal_places=2, max_digits=6, null=True)),
                ('points', models.DecimalField(decimal_places=2, max_digits=6, null=True)),
                ('sort_order', models.PositiveSmallIntegerField(default=0)),
                ('definition', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='performance.kpidefinition')),
                ('scorecard', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='performance.scorecard')),
            ],
            options={
                'ordering': ['scorecard_id', 'sort_order', 'id'],
            },
        ),
        migrations.CreateModel(
            name='KpiDefinitionVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField()),
                ('values', models.JSONField(default=dict)),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('definition', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='performance.kpidefinition')),
            ],
            options={
                'verbose_name': 'KPI version',
                'verbose_name_plural': 'KPI versions',
                'ordering': ['definition_id', 'version'],
                'constraints': [models.UniqueConstraint(fields=('definition', 'version'), name='kpi_definition_version_once')],
            },
        ),
        migrations.CreateModel(
            name='KpiManualInput',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period_kind', models.CharField(choices=[('month', 'Month'), ('quarter', 'Quarter')], max_length=7, verbose_name='period')),
                ('period_start', models.DateField(verbose_name='period start')),
                ('value', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='value')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='note')),
                ('entered_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('version', models.PositiveIntegerField(default=1)),
                ('definition', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='performance.kpidefinition', verbose_name='KPI')),
                ('entered_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='seller')),
            ],
            options={
                'verbose_name': 'KPI input',
                'verbose_name_plural': 'KPI inputs',
                'constraints': [models.UniqueConstraint(fields=('user', 'definition', 'period_kind', 'period_start'), name='kpi_input_once')],
            },
        ),
        migrations.AddIndex(
            model_name='scorecard',
            index=models.Index(fields=['period_kind', 'period_start', 'unit'], name='scorecard_period_unit'),
        ),
        migrations.AddConstraint(
            model_name='scorecard',
            constraint=models.UniqueConstraint(fields=('user', 'period_kind', 'period_start'), name='scorecard_once'),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
