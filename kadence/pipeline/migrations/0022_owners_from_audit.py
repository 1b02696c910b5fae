"""Whose a deal was, from the audit trail (issue 11 §1: "a data migration fills what it can from the
audit rows").

Rows written before the history recorded owners (migration 0016) were filled by 0017 with the deal's
owner and team *of that day*: a deal reassigned in the past counted, at every date before its
reassignment, under its new owner. Each reassignment left an audit entry (field `owner`, the old and new
login, its moment), so the owner at any earlier moment is known: the old owner of the first
reassignment after it. This migration puts that owner, and that person's team, on the rows written
before 0016 (rows written since carry the owner of their moment already), and records each such
reassignment as a `reassigned` row only where that keeps the history in order (see below).

What it cannot recover, and leaves: the team a past owner sat in then (the audit names people, not
teams: their current team is used, or the row's own when the person is gone), and the moments of changes
made inside a stage before 0016 (an amount or a close date edited between two transitions): the rows
before and after such an edit are right, the history only does not say on which day it happened. A
`reassigned` row is only inserted when the reassignment came after the deal's last row: the deal at a
moment is its row with the highest id written before then, so a row slipped between older rows would
shadow the later ones. Earlier reassignments are still visible through the corrected owners of the rows
around them.
"""

from django.db import migrations

ENTITY = "pipeline.opportunity"


def fill(apps, schema_editor):
    from django.db.migrations.recorder import MigrationRecorder

    AuditEntry = apps.get_model("core", "AuditEntry")
    StageChange = apps.get_model("pipeline", "StageChange")
    User = apps.get_model("core", "User")

    applied = (
        MigrationRecorder(schema_editor.connection)
        .migration_qs.filter(app="pipeline", name="0016_history_of_every_change")
        .values_list("applied", flat=True)
        .first()
    )
    if applied is None:  # not recorded (cannot happen through migrate): nothing is known to be old
        return
    moves: dict[int, list[tuple[object, str, str, int | None, str]]] = {}
    for entity_id, at, old, new, actor_id, reason in (
        AuditEntry.objects.filter(entity=ENTITY, field="owner")
        .order_by("entity_id", "at", "id")
        .values_list("entity_id", "at", "old_value", "new_value", "actor_id", "reason")
        .iterator()
    ):
        moves.setdefault(entity_id, []).append((at, old, new, actor_id, reason))
    if not moves:
        return
    logins = {name for entries in moves.values() for _at, old, new, _a, _r in entries for name in (old, new)}
    people = dict(User.objects.filter(username__in=logins).values_list("username", "pk"))
    teams = dict(User.objects.filter(username__in=logins).values_list("pk", "org_unit_id"))

    for opp_id, entries in moves.items():
        rows = list(StageChange.objects.filter(opportunity_id=opp_id).order_by("changed_at", "id"))
        for row in rows:
            if row.changed_at >= applied:
                continue  # written with the owner of its moment
            after = next((entry for entry in entries if entry[0] > row.changed_at), None)
            if after is None:
                continue  # no reassignment since: the deal's owner then is its owner now (0017 says so)
            owner_id = people.get(after[1])
            if owner_id is None:
                continue  # the person is gone: keep what the row says
            team_id = teams.get(owner_id) or row.team_id
            if (row.owner_id, row.team_id) != (owner_id, team_id):
                StageChange.objects.filter(pk=row.pk).update(owner_id=owner_id, team_id=team_id)
        if not rows:
            continue
        last = rows[-1]
        for at, old, new, actor_id, reason in entries:
            if at >= applied or at <= last.changed_at:
                continue  # recorded since 0016, or in the middle of the history (see the docstring)
            new_id = people.get(new)
            if new_id is None or (last.owner_id == new_id and last.kind == "reassigned"):
                continue
            last.pk = None  # a copy of the deal's last state, with the new owner, at the audit's moment
            last.id = None
            last.kind = "reassigned"
            last.from_stage_id = last.to_stage_id
            last.from_stage_name, last.from_stage_name_en = last.to_stage_name, last.to_stage_name_en
            last.from_level_id = last.to_level_id
            last.days_in_from_stage = None
            last.owner_id, last.team_id = new_id, teams.get(new_id) or last.team_id
            last.changed_at, last.changed_by_id = at, actor_id
            last.reason = (reason or "")[:500]
            last.overridden, last.overridden_criteria = False, []
            last.save(force_insert=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_user_amount_unit"),
        ("pipeline", "0021_capacity_indexes"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
