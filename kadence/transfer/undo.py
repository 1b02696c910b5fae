"""Undoing an import: what it created is removed, what it updated gets back the values it had before —
unless any of those records changed since the import (its version moved, it was deleted, or work was
recorded on a deal it created), in which case nothing is undone and the changed records are listed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from django.db.models import Count, Max, Min, Model, ProtectedError, QuerySet, RestrictedError
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
    out the records the import created (a list of ids, all or nothing); each returns what it touched (keys
    of the app's choosing), and `settle` gets them all once the entity is undone (to refresh what follows
    from them)."""

    model: type[Model]
    restore: Callable[[User, ImportedRecord], Iterable[Any]]
    remove: Callable[[User, list[int]], Iterable[Any]]
    settle: Callable[[User, set[Any]], Any] | None = None


REGISTERED: dict[str, Undoable] = {}


def register(entity: str, undoable: Undoable, *, before: str) -> None:
    """Make `entity`'s records undoable, removed before those of `before` (what they refer to)."""
    MODELS[entity] = undoable.model
    REGISTERED[entity] = undoable
    if entity not in ORDER:
        ORDER.insert(ORDER.index(before), entity)


BATCH = 2_000
SHOWN = 20
SHOWN_CHANGED = 1_000  # the changed records a refused undo lists (it counts them all)


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


def _guarded_result(call: Callable[[], Iterable[Any] | None]) -> Iterable[Any]:
    """_guarded for a registered undo, keeping what it returns."""
    out: list[Any] = []
    _guarded(lambda: out.extend(call() or ()))
    return out


def _remove(model: Any, ids: list[int]) -> None:
    cascade.delete(model._base_manager.filter(pk__in=ids))


def _record_batches(job: ImportJob, entity: str, action: str | None = None) -> Iterator[list[ImportedRecord]]:
    """The job's records of `entity` (of `action`), BATCH ids at a time in id order: an undo holds one batch
    of records, not the import's million (each batch is a range of the primary key)."""
    qs = ImportedRecord.objects.filter(job=job, entity=entity)
    if action is not None:
        qs = qs.filter(action=action)
    bounds = qs.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return
    for start in range(bounds["lo"], bounds["hi"] + 1, BATCH):
        batch = list(qs.filter(pk__gte=start, pk__lt=start + BATCH).order_by("pk"))
        if batch:
            yield batch


def _changed(job: ImportJob, entities: Iterable[str]) -> tuple[int, list[str]]:
    """The records changed since the import (their number, and the first SHOWN_CHANGED of them), locked
    while we look (so they stay as seen)."""
    count, changed = 0, list[str]()

    def found(labels: Iterable[str]) -> None:
        nonlocal count
        for label in labels:
            count += 1
            if len(changed) < SHOWN_CHANGED:
                changed.append(label)

    for entity in entities:
        model = MODELS[entity]
        # people and units have no version: they changed when deleted (or, people, logged in since)
        versioned = any(f.name == "version" for f in model._meta.concrete_fields)
        for rows in _record_batches(job, entity):
            expected = {r.object_id: r.version for r in rows}
            ids = list(expected)
            qs = model._default_manager.select_for_update().filter(pk__in=ids)
            if model is User:  # a person the import created who has logged in since is theirs now
                made = [r.object_id for r in rows if r.action == ImportedRecord.Action.CREATED]
                qs = qs.exclude(pk__in=made, last_login__isnull=False)
            if versioned:
                current = dict(qs.values_list("pk", "version"))
            else:
                current = {pk: expected[pk] for pk in qs.values_list("pk", flat=True)}
            found(f"{model._meta.verbose_name} #{pk}" for pk in ids if current.get(pk) != expected[pk])
    if "pipeline.opportunity" in entities:
        worked = (
            Activity.objects.filter(opportunity_id__in=_created_deals(job))
            .values_list("opportunity_id", flat=True)
            .distinct()
            .order_by("opportunity_id")
        )
        found(f"{Opportunity._meta.verbose_name} #{pk}" for pk in worked.iterator())
    return count, changed


def _restore(user: User, record: ImportedRecord) -> None:
    before: dict[str, Any] = dict(record.before)
    reason = _("Undo of import #%(id)s") % {"id": record.job_id}
    if record.entity == "pipeline.opportunity":
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
    """Undo `job` inside the caller's transaction; Conflict (nothing changed) when records changed since.
    The records are read a batch at a time (memory follows a batch, not the import)."""
    tally: dict[tuple[str, str], int] = {
        (entity, action): n
        for entity, action, n in ImportedRecord.objects.filter(job=job)
        .order_by()
        .values_list("entity", "action")
        .annotate(n=Count("pk"))
    }
    entities = [e for e in ORDER if any(k[0] == e for k in tally)]
    total = sum(tally.values())
    count, changed = _changed(job, entities)
    if count:
        shown = ", ".join(changed[:SHOWN]) + (" …" if count > SHOWN else "")
        raise Conflict(
            _("%(count)s record(s) changed since the import, so nothing was undone: %(records)s")
            % {"count": count, "records": shown},
            changed=changed,
        )
    done = 0
    counts: dict[str, int] = {"removed": 0, "restored": 0}

    def progressed(n: int, key: str) -> None:
        nonlocal done
        counts[key] += n
        done += n
        if report is not None:
            report("undoing", done, total)

    since = None
    if "pipeline.opportunity" in entities:
        deals = ImportedRecord.objects.filter(job=job, entity="pipeline.opportunity").values("object_id")
        first = Opportunity.objects.filter(pk__in=deals).aggregate(m=Min("created_at"))["m"]
        since = timezone.localtime(first).date() if first else None
    # The deals the import created leave the summaries before they go, set-based (the inverse of
    # importer.imported_deals_added): the cost follows the import, not the database. The deals it
    # updated are restored through the deal service, which keeps the summaries itself. Only an
    # undone history import (its rows replaced deals' histories) still rebuilds them.
    created_deals = tally.get(("pipeline.opportunity", ImportedRecord.Action.CREATED), 0)
    subtracted = bool(created_deals) and "pipeline.history" not in entities
    if subtracted:
        imported_deals_removed(job, since)
    for entity in entities:
        if entity == "pipeline.history":  # set-based, batch by batch
            for rows in _record_batches(job, entity):
                day = history_kind.restore(rows)
                since = min((d for d in (since, day) if d is not None), default=None)
                progressed(len(rows), "restored")
            continue
        registered = REGISTERED.get(entity)
        touched_keys: set[Any] = set()
        for rows in _record_batches(job, entity, ImportedRecord.Action.UPDATED):
            for record in rows:
                if registered is not None:
                    touched_keys.update(_guarded_result(partial(registered.restore, user, record)))
                else:
                    _restore(user, record)
            progressed(len(rows), "restored")
        created = tally.get((entity, ImportedRecord.Action.CREATED), 0)
        if not created:
            if registered is not None and registered.settle is not None:
                registered.settle(user, touched_keys)
            continue
        made = ImportedRecord.objects.filter(
            job=job, entity=entity, action=ImportedRecord.Action.CREATED
        ).values("object_id")
        if entity == "pipeline.opportunity":
            # set-based: one DELETE per dependent table over the import's deals (kadence.transfer.cascade)
            # instead of Django's collector loading every related row, batch by batch
            _guarded(lambda: cascade.delete(Opportunity._base_manager.filter(pk__in=_created_deals(job))))
            progressed(created, "removed")
            continue
        if entity == "core.orgunit":  # one at a time, the deepest first (their tree paths)
            depth = dict(OrgUnit.objects.filter(pk__in=made).values_list("pk", "path"))
            for pk in sorted(depth, key=lambda pk: -depth[pk].count("/")):
                _guarded(partial(_remove, OrgUnit, [pk]))
            progressed(created, "removed")
            continue
        if entity == "activities.activity":  # their deals' last customer activity follows
            touched = lock(
                Activity.objects.filter(pk__in=made).values_list("opportunity_id", flat=True).distinct()
            )
        for rows in _record_batches(job, entity, ImportedRecord.Action.CREATED):
            # accounts, contacts, activities: set-based too (kadence.transfer.cascade), batch by batch
            ids = [r.object_id for r in rows]
            if registered is not None:
                touched_keys.update(_guarded_result(partial(registered.remove, user, ids)))
            else:
                _guarded(partial(_remove, MODELS[entity], ids))
            progressed(len(ids), "removed")
        if registered is not None and registered.settle is not None:
            registered.settle(user, touched_keys)
        if entity == "activities.activity":
            refresh_last_activity(touched)
    if subtracted:
        month_ends.trim()
        if since is not None:
            snapshots.trim(since)
    if "pipeline.history" in entities:
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
