"""Re-derive the level of every open deal after the gate rules changed (migration 0023: the level a
stage grants is earned by leaving it, METHODOLOGY §1d, issue 11 §1b).

The verdicts come from the stage gates (kadence.pipeline.gates.verdicts, deal control's evaluation of
the evidence: the rule stays written once), read in batches of deals in a fixed number of queries
each. The writes are set-based: the deals that change go to a temporary table, then one INSERT …
SELECT writes an `updated` history row for each deal whose level changed (stamped `at`, with
`reason`), one UPDATE sets the deals' level, probability and staging flag, and the open pipeline's
summary is rebuilt from scratch (kadence.pipeline.summary.rebuild_pipeline_totals; an `updated` row is
not a transition, so the stage flows and won totals do not move). The past month-ends are left alone:
the history rows written here are later than all of them. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kadence.pipeline import gates, stays, summary
from kadence.pipeline.models import Opportunity

FIX = "kadence_relevel"

HISTORY = f"""
INSERT INTO pipeline_stagechange (
    opportunity_id, kind, from_stage_id, to_stage_id, from_stage_name, to_stage_name,
    from_stage_name_en, to_stage_name_en, from_level_id, to_level_id, probability, amount, currency,
    expected_close_date, status, days_in_from_stage, changed_by_id, changed_at, reason, overridden,
    overridden_criteria, owner_id, team_id, forecast_category
)
SELECT o.id, 'updated', o.stage_id, o.stage_id, s.name_zh, s.name_zh, s.name_en, s.name_en,
    o.level_id, f.level_id, f.probability, o.amount, o.currency, o.expected_close_date, o.status,
    NULL, NULL, %s, %s, FALSE, '[]', o.owner_id, o.team_id, o.forecast_category
FROM {FIX} f
JOIN pipeline_opportunity o ON o.id = f.opportunity_id
JOIN pipeline_stage s ON s.id = o.stage_id
WHERE o.level_id <> f.level_id OR o.probability <> f.probability
ORDER BY o.id
"""

UPDATE = f"""
UPDATE pipeline_opportunity AS o
SET level_id = f.level_id, probability = f.probability, staging_flag = f.staging_flag
FROM {FIX} f
WHERE o.id = f.opportunity_id
"""


@transaction.atomic
def _has_stays(get_model: Callable[[str, str], Any] | None) -> bool:
    if get_model is None:
        return True
    try:
        get_model("pipeline", "StaySummary")
    except LookupError:
        return False
    return True


def relevel_open(
    reason: str,
    *,
    at: datetime | None = None,
    batch: int = 2000,
    get_model: Callable[[str, str], Any] | None = None,
) -> int:
    """Set every open deal's level, probability and staging flag to what its checkpoints verify now;
    returns how many deals changed (level, probability or flag). A changed level writes an `updated`
    history row at `at` (default: now) with `reason`; the open pipeline's summary and the stays are then rebuilt
    (`get_model`: a migration's apps.get_model, see summary.rebuild)."""
    at = at or timezone.now()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(FIX)}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {quote(FIX)} (opportunity_id bigint PRIMARY KEY, "
            "level_id bigint NOT NULL, probability decimal(5, 2) NOT NULL, staging_flag varchar(5) NOT NULL)"
        )
        last, changed = 0, 0
        while True:
            chunk = list(
                Opportunity.objects.filter(status=Opportunity.Status.OPEN, pk__gt=last)
                .only("id", "status", "template_id", "stage_id", "level_id", "probability", "staging_flag")
                .order_by("pk")[:batch]
            )
            if not chunk:
                break
            last = chunk[-1].pk
            found = gates.verdicts(chunk)
            rows = [
                (opp.pk, v.level.pk, v.level.probability, v.staging)
                for opp in chunk
                if (v := found[opp.pk]).level.pk != opp.level_id
                or v.level.probability != opp.probability
                or v.staging != opp.staging_flag
            ]
            if rows:
                cursor.executemany(f"INSERT INTO {quote(FIX)} VALUES (%s, %s, %s, %s)", rows)
                changed += len(rows)
        if changed:
            cursor.execute(HISTORY, [at, reason[:500]])
            cursor.execute(UPDATE)
        cursor.execute(f"DROP TABLE {quote(FIX)}")
    if changed:
        summary.rebuild_pipeline_totals(get_model)
        if _has_stays(get_model):  # the stays the new rows begin (an older migration: 0028 fills them)
            stays.rebuild(get_model)
    return changed
