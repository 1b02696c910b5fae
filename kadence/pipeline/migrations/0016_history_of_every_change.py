"""Every change that matters is in the history (StageChange): the rows say whose the deal was and its
forecast category, and two new kinds record changes inside a stage (`updated`) and of owner
(`reassigned`). The next migration fills the rows written before."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_user_amount_unit"),
        ("pipeline", "0015_stall_summary"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="stagechange",
            name="forecast_category",
            field=models.CharField(blank=True, db_default="", max_length=20),
        ),
        migrations.AddField(
            model_name="stagechange",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="stagechange",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="core.orgunit",
            ),
        ),
        migrations.AlterField(
            model_name="stagechange",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("advanced", "Advanced"),
                    ("moved_back", "Moved back"),
                    ("won", "Closed won"),
                    ("lost", "Closed lost"),
                    ("reopened", "Reopened"),
                    ("updated", "Updated"),
                    ("reassigned", "Reassigned"),
                ],
                max_length=12,
                verbose_name="kind",
            ),
        ),
    ]
