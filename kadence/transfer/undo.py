"""Undoing an import: what it created is removed, what it updated gets back the values it had before —
unless any of those records changed since the import (its version moved, it was deleted, or work was
recorded on a deal it created), in which case nothing is undone and the changed records are listed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from django.db.models import Min, Model, ProtectedError, QuerySet, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts import services as account_services
from kadence.accounts.models import Account, Contact
from kadence.activities.models import Activity
from kadence.activities.stall import refresh_last_activity
from kadence.core.errors import Conflict
from kadence.core.models import OrgUnit, User
from kadence.pipeline import month_ends, snapshots, stays, summary
from kadence.pipeline import services as opportunity_services
from kadence.pipeline.models import Opportunity
from kadence.pipeline.stall import lock
from kadence.transfer import activity_kind, cascade, history_kind
from kadence.transfer.importer import refresh_summaries
from kadence.transfer.models import ImportedRecord, ImportJob

MODELS: dict[str, type[Model]] = {
    "activities.activity": Activity,  # kadence.transfer.activity_kind
    "pipeline.history": Opportunity,  # a deal whose history was replaced (kadence.transfer.history_kind)
    "pipeline.opportunity": Opportunity,
    "accounts.contact": Contact,
    "accounts.account": Account,
    "core.user": User,  # the org import (kadence.transfer.org_kind)
    "core.orgunit": OrgUnit,
}
# Removed in this order: what refers to a record goes before it (people before their units, teams
# before their regions).
ORDER = [
    "activities.activity",
    "pipeline.history",
    "pipeline.opportunity",
    "accounts.contact",
    "accounts.account",
    "core.user",
    "core.orgunit",
]


@dataclass(frozen=True)
class Undoable:
    """What an import kind of an app above this one writes, and how its undo goes through that app's
    services: `restore` puts back an updated record's `before` (409 when it changed since), `remove` takes
    out the records the import created (a list of ids, all or nothing)."""

    model: type[Model]
    restore: Callable[[User, ImportedRecord], Any]
    remove: Callable[[User, list[int]], Any]


REGISTERED: dict[str, Undoable] = {}


def register(entity: str, undoable: Undoable, *, before: str) -> None:
    """Make `entity`'s records undoable, removed before those of `before` (what they refer to)."""
    MODELS[entity] = undoable.model
    REGISTERED[entity] = undoable
    if entity not in ORDER:
        ORDER.insert(ORDER.index(before), entity)


BATCH = 2_000
SHOWN = 20


def _created_deals(job: ImportJob) -> QuerySet:
    """The ids of the deals `job` created, as a subquery."""
    return ImportedRecord.objects.filter(
        job=job, entity="pipeline.opportunity", action=ImportedRecord.Action.CREATED
    ).values("object_id")


def _guarded(remove: Callable[[], Any]) -> None:
    """Run `remove`; what a PROTECT or RESTRICT refuses becomes a Conflict naming the records."""
    try:
        remove()
    except (ProtectedError, RestrictedError) as exc:
        found = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        blocked = sorted({f"{type(o)._meta.verbose_name} #{o.pk}" for o in list(found)[:SHOWN]})
        raise Conflict(
            _("Records were added to what the import created, so nothing was undone: %(records)s")
            % {"records": ", ".join(blocked)}
        ) from None


def _remove(model: Any, ids: list[int]) -> None:
    cascade.delete(model._base_manager.filter(pk__in=ids))


def _batches(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


def _changed(records: dict[str, list[ImportedRecord]]) -> list[str]:
    """The records changed since the import, locked while we look (so they stay as seen)."""
    changed: list[str] = []
    for entity, rows in records.items():
        model = MODELS[entity]
        expected = {r.object_id: r.version for r in rows}
        # people and units have no version: they changed when deleted (or, people, logged in since)
        versioned = any(f.name == "version" for f in model._meta.concrete_fields)
        for ids in _batches(list(expected)):
            qs = model._default_manager.select_for_update().filter(pk__in=ids)
            if model is User:  # a person the import created who has logged in since is theirs now
                made = [r.object_id for r in rows if r.action == ImportedRecord.Action.CREATED]
                qs = qs.exclude(pk__in=made, last_login__isnull=False)
            if versioned:
                current = dict(qs.values_list("pk", "version"))
            else:
                current = {pk: expected[pk] for pk in qs.values_list("pk", flat=True)}
            for pk in ids:
                if current.get(pk) != expected[pk]:
                    changed.append(f"{model._meta.verbose_name} #{pk}")
    created_deals = [r.object_id for r in records.get("pipeline.opportunity", []) if r.action == "created"]
    for ids in _batches(created_deals):
        worked = (
            Activity.objects.filter(opportunity_id__in=ids)
            .values_list("opportunity_id", flat=True)
            .distinct()
        )
        changed.extend(f"{Opportunity._meta.verbose_name} #{pk}" for pk in worked)
    return changed


def _restore(user: User, record: ImportedRecord) -> None:
    before: dict[str, Any] = dict(record.before)
    reason = _("Undo of import #%(id)s") % {"id": record.job_id}
    if record.entity in REGISTERED:
        REGISTERED[record.entity].restore(user, record)
    elif record.entity == "pipeline.opportunity":
        if "expected_close_date" in before:
            before["expected_close_date"] = date.fromisoformat(before["expected_close_date"])
        opportunity_services.opportunity_update(
            user, record.object_id, version=record.version, reason=reason, **before
        )
    elif record.entity == "accounts.account":
        credit_code = before.pop("credit_code", None)
        owner_id = before.pop("owner_id", None)
        for key in ("industry", "region"):
            if key in before:
                before[f"{key}_id"] = before.pop(key)
        account_services.account_update(
            user, record.object_id, version=record.version, owner_id=owner_id, reason=reason, **before
        )
        if credit_code is not None:
            Account.objects.filter(pk=record.object_id).update(credit_code=credit_code)
    elif record.entity == "accounts.contact":
        account_services.contact_update(user, record.object_id, version=record.version, **before)
    elif record.entity == "activities.activity":
        activity_kind.restore(user, record)
    elif record.entity == "core.user":  # a manager the org import gave a team to
        User.objects.get(pk=record.object_id).managed_units.set(before.get("managed_units", []))


def undo_records(
    job: ImportJob, user: User, report: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Undo `job` inside the caller's transaction; Conflict (nothing changed) when records changed since."""
    grouped: dict[str, list[ImportedRecord]] = defaultdict(list)
    for record in ImportedRecord.objects.filter(job=job).order_by("pk"):
        grouped[record.entity].append(record)
    total = sum(len(rows) for rows in grouped.values())
    changed = _changed(grouped)
    if changed:
        shown = ", ".join(changed[:SHOWN]) + (" …" if len(changed) > SHOWN else "")
        raise Conflict(
            _("%(count)s record(s) changed since the import, so nothing was undone: %(records)s")
            % {"count": len(changed), "records": shown},
            changed=changed[:1000],
        )
    done = 0
    counts: dict[str, int] = defaultdict(int)
    deals = grouped.get("pipeline.opportunity", [])
    deal_ids = [r.object_id for r in deals]
    since = None
    if deal_ids:
        first = Opportunity.objects.filter(pk__in=deal_ids).aggregate(m=Min("created_at"))["m"]
        since = timezone.localtime(first).date() if first else None
    # The deals the import created leave the summaries before they go, set-based (the inverse of
    # importer.imported_deals_added): the cost follows the import, not the database. The deals it
    # updated are restored through the deal service, which keeps the summaries itself. Only an
    # undone history import (its rows replaced deals' histories) still rebuilds them.
    created_deals = any(r.action == ImportedRecord.Action.CREATED for r in deals)
    subtracted = created_deals and not grouped.get("pipeline.history")
    if subtracted:
        imported_deals_removed(job, since)
    for entity in ORDER:
        rows = grouped.get(entity, [])
        if entity == "pipeline.history":  # set-based, batch by batch
            day = history_kind.restore(rows)
            since = min((d for d in (since, day) if d is not None), default=None)
            counts["restored"] += len(rows)
            done += len(rows)
            rows = []
        for record in (r for r in rows if r.action == ImportedRecord.Action.UPDATED):
            _restore(user, record)
            counts["restored"] += 1
            done += 1
        created = [r.object_id for r in rows if r.action == ImportedRecord.Action.CREATED]
        if entity == "core.orgunit":  # the deepest units first
            depth = dict(OrgUnit.objects.filter(pk__in=created).values_list("pk", "path"))
            created.sort(key=lambda pk: -depth.get(pk, "").count("/"))
        if entity == "activities.activity":  # their deals' last customer activity follows
            touched = lock(
                Activity.objects.filter(pk__in=created).values_list("opportunity_id", flat=True).distinct()
            )
        if entity == "pipeline.opportunity" and created:
            # set-based: one DELETE per dependent table over the import's deals (kadence.transfer.cascade)
            # instead of Django's collector loading every related row, batch by batch
            _guarded(lambda: cascade.delete(Opportunity._base_manager.filter(pk__in=_created_deals(job))))
            counts["removed"] += len(created)
            done += len(created)
            if report is not None:
                report("undoing", done, total)
            created = []
        for ids in _batches(created) if entity != "core.orgunit" else [[pk] for pk in created]:
            # accounts, contacts, activities: set-based too (kadence.transfer.cascade), batch by batch;
            # units one at a time, the deepest first (their tree paths)
            registered = REGISTERED.get(entity)
            if registered is not None:
                _guarded(partial(registered.remove, user, ids))
            else:
                _guarded(partial(_remove, MODELS[entity], ids))
            counts["removed"] += len(ids)
            done += len(ids)
            if report is not None:
                report("undoing", done, total)
        if entity == "activities.activity" and created:
            refresh_last_activity(touched)
    if subtracted:
        month_ends.trim()
        if since is not None:
            snapshots.trim(since)
    if grouped.get("pipeline.history"):
        refresh_summaries(since)
    return dict(counts)


def imported_deals_removed(job: ImportJob, since: date | None) -> None:
    """Before the deals `job` created are deleted (their history still there): what they contribute
    taken out of the report summaries, the stays, the month-ends built, the snapshots from `since` on
    and the daily flows, set-based: what rebuilding them all once the deals are gone would give."""
    deals = _created_deals(job)
    summary.subtract_deals(deals)
    stays.subtract_deals(deals)
    month_ends.subtract_deals(deals)
    if since is not None:
        snapshots.subtract_deals(deals, since)
