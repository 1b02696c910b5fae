"""Every change that matters is in the history (StageChange): the rows say whose the deal was and its
forecast category, and two new kinds record changes inside a stage (`updated`) and of owner
(`reassigned`).

The rows written before hold the deal's current owner and team (a reassignment's moment is only in the
audit trail as names) and the category their level gives by default (won: booked, lost: omitted).
A deal whose state today differs from its last row (a level, amount, close date or category changed
inside the stage) gets one `updated` row with its state, stamped with the later of its last change
(`updated_at`) and that row: from then on its history and its row agree."""

from django.db import migrations

FILL = """
UPDATE pipeline_stagechange
SET owner_id = o.owner_id,
    team_id = o.team_id,
    forecast_category = CASE pipeline_stagechange.status
        WHEN 'won' THEN 'booked' WHEN 'lost' THEN 'omitted' ELSE l.default_forecast_category END
FROM pipeline_opportunity o, pipeline_probabilitylevel l
WHERE o.id = pipeline_stagechange.opportunity_id AND l.id = pipeline_stagechange.to_level_id
"""

CATCH_UP = """
INSERT INTO pipeline_stagechange (
    opportunity_id, kind, from_stage_id, to_stage_id, from_stage_name, to_stage_name,
    from_stage_name_en, to_stage_name_en, from_level_id, to_level_id, probability, amount, currency,
    expected_close_date, status, days_in_from_stage, changed_by_id, changed_at, reason, overridden,
    overridden_criteria, owner_id, team_id, forecast_category
)
SELECT o.id, 'updated', o.stage_id, o.stage_id, s.name_zh, s.name_zh, s.name_en, s.name_en,
    sc.to_level_id, o.level_id, o.probability, o.amount, o.currency, o.expected_close_date, o.status,
    NULL, NULL,
    CASE WHEN o.updated_at > sc.changed_at THEN o.updated_at ELSE sc.changed_at END,
    '', FALSE, '[]', o.owner_id, o.team_id, o.forecast_category
FROM pipeline_opportunity o
JOIN (SELECT opportunity_id, MAX(id) AS last FROM pipeline_stagechange GROUP BY opportunity_id) m
    ON m.opportunity_id = o.id
JOIN pipeline_stagechange sc ON sc.id = m.last
JOIN pipeline_stage s ON s.id = o.stage_id
WHERE NOT (
    sc.to_stage_id = o.stage_id AND sc.to_level_id = o.level_id AND sc.probability = o.probability
    AND sc.amount = o.amount AND sc.expected_close_date = o.expected_close_date
    AND sc.status = o.status AND sc.forecast_category = o.forecast_category
)
ORDER BY o.id
"""


def fill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FILL)
        cursor.execute(CATCH_UP)


class Migration(migrations.Migration):
    # Its own migration (its own transaction): on PostgreSQL, filling the new foreign keys in the
    # migration that adds them leaves trigger events pending when their indexes are created.
    dependencies = [("pipeline", "0016_history_of_every_change")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
