"""The stage history's two per-deal and per-moment indexes cover what the reads at a past date and the start
of a stay look up, so PostgreSQL answers those lookups from the index alone (rebuilt: about half a minute
at a million deals)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_scheduled_jobs'),
        ('pipeline', '0026_pastfunnel_snapshot_totals'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='stagechange',
            name='stagechange_opp_at',
        ),
        migrations.RemoveIndex(
            model_name='stagechange',
            name='stagechange_at',
        ),
        migrations.AddIndex(
            model_name='stagechange',
            index=models.Index(fields=['opportunity', 'changed_at', 'id'], include=('kind', 'from_level', 'to_level'), name='stagechange_opp_at'),
        ),
        migrations.AddIndex(
            model_name='stagechange',
            index=models.Index(fields=['changed_at'], include=('opportunity',), name='stagechange_at'),
        ),
    ]
