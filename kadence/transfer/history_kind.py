"""Importing stage history (issue 12 §1: "stage-history rows when the file has them"): each row says a deal
(by the external id a deals import gave it) entered a stage — or was won, or lost — on a date, with
optionally its amount and expected close date at that moment.

- The rows of one deal, in date order (rows of the same day in file order), **replace the history the
  import synthesised** for it (kadence.domain.imports): the first row is its creation (an open stage),
  a higher stage is an advance, a lower one a move back, the same stage again a change inside the
  stage, won / lost close it, and an open stage after a close reopens it.
- The history must end where the deal is: the last row is the deal's stage (open deal), won (won
  deal), or lost from the deal's stage (lost deal), on the deal's closed date for a closed deal; a
  last row's amount or close date, when given, is the deal's. Otherwise the row has a problem.
- A row without an amount or close date takes the next row's that has one (the deal's own for the
  last rows): what the deal ended up with is the best guess of what it had.
- The deal's creation moment becomes the first row's, and the moment it entered its stage the last
  transition's; nothing else of the deal changes. Its version moves on (an edit form open on it is
  stale).
- **Only a deal as an import left it** may get its history replaced: created by a deals import (or
  given its history by an earlier history import) and not changed since — its version is the one the
  import recorded. A deal worked on in Kadence has its own history, which an import does not rewrite.
  A manager replaces only the histories of their units' deals.
- A problem in any row of a deal leaves the whole deal's history as it is (its other rows say so).

The report summaries are rebuilt afterwards (kadence.transfer.importer.refresh_summaries), so win rate,
cycle, conversion and the funnel at past dates read the new history. An undo puts back the rows the
import replaced (kept, whole, in ImportedRecord.before, with their ids), the deal's creation and
stage-entry moments and its version.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Min, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.core.errors import Conflict, ValidationFailed
from kadence.core.visibility import in_scope
from kadence.domain.forecast import BOOKED, OMITTED
from kadence.pipeline.ladder import lowest_open_level, stage_entry_levels
from kadence.pipeline.models import Opportunity, ProbabilityLevel, Stage, StageChange
from kadence.transfer.fields import AMOUNT, DATE, FIELDS, REF, TEXT, Field
from kadence.transfer.importer import AMBIGUOUS, KINDS, Kind, Row, refresh_summaries
from kadence.transfer.models import ImportedRecord, ImportJob

ENTITY = "pipeline.history"  # an ImportedRecord of a deal whose history an import replaced
BATCH = 500
MOMENTS = [
    "created_at",
    "stage_entered_at",
    "updated_at",
    "version",
]  # what a history import changes on a deal

HISTORY_FIELDS = (
    Field(
        "external_id",
        gettext_lazy("External id"),
        TEXT,
        ("商机编号", "项目编号", "编号", "外部编号", "opportunity id", "deal id", "id"),
        required=True,
        max_length=100,
        help=gettext_lazy("The deal's external id, as its deals import had it."),
    ),
    Field(
        "stage",
        gettext_lazy("Stage"),
        REF,
        ("阶段", "销售阶段", "商机阶段", "进入阶段", "stage", "deal stage", "to stage"),
        required=True,
        ref="stage",
        help=gettext_lazy("The stage the deal entered, or won / lost."),
    ),
    Field(
        "date",
        gettext_lazy("Date entered"),
        DATE,
        (
            "日期",
            "进入日期",
            "进入阶段日期",
            "变更日期",
            "变更时间",
            "date",
            "date entered",
            "changed at",
            "entered on",
        ),
        required=True,
    ),
    Field("amount", gettext_lazy("Amount"), AMOUNT, ("金额", "商机金额", "amount", "value")),
    Field(
        "expected_close_date",
        gettext_lazy("Expected close date"),
        DATE,
        ("预计成交日期", "预计签约日期", "expected close date", "expected close"),
    ),
)


@dataclass(frozen=True)
class Entry:
    """One good row of a deal's history as read: its row number, the stage entered (a Stage, or
    "won" / "lost"), the day, and the amount and close date when the row gives them."""

    number: int
    target: Any
    day: date
    amount: Decimal | None
    close: date | None


@dataclass(frozen=True)
class Step:
    entry: Entry
    kind: str
    stage: Stage
    status: str


class HistoryImport(Kind):
    entity = ENTITY

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        template = self.lookups.template
        if template is None:
            raise ValidationFailed(_("There is no active default process template; an admin must set one."))
        stages = list(template.stages.select_related("default_level").order_by("order"))
        won_stage = next((s for s in stages if s.is_won), None)
        won_level = ProbabilityLevel.objects.filter(is_won=True).first()
        lost_level = ProbabilityLevel.objects.filter(is_lost=True).first()
        if won_stage is None or won_level is None or lost_level is None:
            raise ValidationFailed(
                _("The process or the probability ladder is incomplete; an admin must fix it.")
            )
        self.won_stage, self.won_level, self.lost_level = won_stage, won_level, lost_level
        self.entry_levels = stage_entry_levels(stages)
        self.floor = lowest_open_level()
        self.levels = {level.pk: level for level in ProbabilityLevel.objects.all()}
        self.reason = _("Import #%(id)s") % {"id": self.job.pk}
        self.deals: dict[str, Any] = {}  # external id → the deal, AMBIGUOUS, or a message why not
        self.entries: dict[int, list[Entry]] = defaultdict(list)  # deal id → its good rows
        self.tainted: dict[int, int] = {}  # deal id → its first row with a problem
        self.by_pk: dict[int, Opportunity] = {}
        self.plans: dict[int, list[Step]] = {}

    def read(self, row: Row) -> None:
        super().read(row)
        day = row.values.get("date")
        if day is not None and day > self.today:
            row.problem("date", _("A history row cannot be after today."), day)

    # --- matching --------------------------------------------------------------------------------

    def _load(self, ids: set[str]) -> None:
        new = ids - set(self.deals)
        if not new:
            return
        found: dict[str, Any] = {}
        for opp in Opportunity.objects.filter(external_id__in=new).select_related("stage", "level"):
            found[opp.external_id] = AMBIGUOUS if opp.external_id in found else opp
        deals = [d for d in found.values() if d is not AMBIGUOUS]
        last: dict[int, ImportedRecord] = {}
        for recorded in ImportedRecord.objects.filter(
            object_id__in=[d.pk for d in deals],
            entity__in=("pipeline.opportunity", ENTITY),
            job__status=ImportJob.Status.DONE,
        ).order_by("pk"):
            last[recorded.object_id] = recorded
        for key in new:
            deal = found.get(key)
            if deal is None:
                self.deals[key] = _("No deal has the external id “%(id)s”: import the deals first.") % {
                    "id": key
                }
            elif deal is AMBIGUOUS:
                self.deals[key] = _("Several deals have this external id.")
            elif not (deal.owner_id == self.user.pk or in_scope(self.user, deal.team_id)):
                self.deals[key] = _("This deal exists and is not in your units.")
            elif (record := last.get(deal.pk)) is None:
                self.deals[key] = _(
                    "This deal was not created by an import: its history is its own and is not replaced."
                )
            elif (
                record.entity == "pipeline.opportunity" and record.action != ImportedRecord.Action.CREATED
            ) or record.version != deal.version:
                self.deals[key] = _(
                    "This deal changed since it was imported: its history is its own now and is not replaced."
                )
            else:
                self.deals[key] = deal
                self.by_pk[deal.pk] = deal

    def match(self, rows: list[Row]) -> None:
        self._load({r.values["external_id"] for r in rows if r.values.get("external_id")})
        for row in rows:
            key = row.values.get("external_id")
            if not key:
                continue
            deal = self.deals[key]
            if isinstance(deal, str):
                row.problem("external_id", deal)
                continue
            if deal is AMBIGUOUS:
                row.problem("external_id", _("Several deals have this external id."))
                continue
            if row.problems:
                self.tainted.setdefault(deal.pk, row.number)
                continue
            row.action = "update"
            v = row.values
            self.entries[deal.pk].append(
                Entry(row.number, v["stage"], v["date"], v.get("amount"), v.get("expected_close_date"))
            )

    # --- the deal's rows together ------------------------------------------------------------------

    def _plan(self, deal: Opportunity, entries: list[Entry]) -> list[Step] | tuple[Entry, str, str, Any]:
        """The deal's history as transitions, or the first problem: (entry, field, message, value)."""
        steps: list[Step] = []
        for e in entries:
            previous = steps[-1] if steps else None
            if previous is None:
                if not isinstance(e.target, Stage):
                    return (
                        e,
                        "stage",
                        _("A deal's first row is the stage it was created at, not won or lost."),
                        None,
                    )
                steps.append(Step(e, StageChange.Kind.CREATED, e.target, "open"))
            elif e.target in ("won", "lost"):
                if previous.status != "open":
                    return e, "stage", _("A closed deal is reopened at a stage before it closes again."), None
                stage = self.won_stage if e.target == "won" else previous.stage
                kind = StageChange.Kind.WON if e.target == "won" else StageChange.Kind.LOST
                steps.append(Step(e, kind, stage, e.target))
            else:
                stage = e.target
                if previous.status != "open":
                    kind = StageChange.Kind.REOPENED
                elif stage.order > previous.stage.order:
                    kind = StageChange.Kind.ADVANCED
                elif stage.order < previous.stage.order:
                    kind = StageChange.Kind.MOVED_BACK
                else:
                    kind = StageChange.Kind.UPDATED
                steps.append(Step(e, kind, stage, "open"))
        last = steps[-1]
        if deal.status != last.status:
            return (
                last.entry,
                "stage",
                _("The deal is %(status)s now: its last row must say so.")
                % {"status": deal.get_status_display()},
                None,
            )
        if deal.status != Opportunity.Status.WON and last.stage.pk != deal.stage_id:
            return (
                last.entry,
                "stage",
                _("The deal is at the stage “%(stage)s”: its last row must end there.")
                % {"stage": deal.stage.name},
                None,
            )
        if deal.status != Opportunity.Status.OPEN and last.entry.day != deal.closed_on:
            return (
                last.entry,
                "date",
                _("The deal closed on %(day)s: its last row must have that date.") % {"day": deal.closed_on},
                last.entry.day,
            )
        if last.entry.amount is not None and last.entry.amount != deal.amount:
            return (
                last.entry,
                "amount",
                _("The last row's amount must be the deal's (%(amount)s).") % {"amount": deal.amount},
                last.entry.amount,
            )
        if last.entry.close is not None and last.entry.close != deal.expected_close_date:
            return (
                last.entry,
                "expected_close_date",
                _("The last row's expected close date must be the deal's (%(day)s).")
                % {"day": deal.expected_close_date},
                last.entry.close,
            )
        return steps

    def settle(self) -> list[Row]:
        late: list[Row] = []
        for pk, entries in self.entries.items():
            entries.sort(key=lambda e: (e.day, e.number))
            deal = self.by_pk[pk]
            outcome: Any = self.tainted.get(pk)
            if outcome is None:
                outcome = self._plan(deal, entries)
                if isinstance(outcome, list):
                    self.plans[pk] = outcome
                    continue
            culprit = outcome[0].number if isinstance(outcome, tuple) else outcome
            for e in entries:
                row = Row(e.number, {})
                row.action = "update"
                if isinstance(outcome, tuple) and e.number == culprit:
                    _e, key, message, value = outcome
                    row.problem(key, message, value)
                else:
                    row.problem(
                        "external_id",
                        _("Row %(row)s of this deal has a problem: its history is left as it is.")
                        % {"row": culprit},
                        deal.external_id,
                    )
                late.append(row)
        self.entries.clear()
        return sorted(late, key=lambda r: r.number)

    # --- writing ---------------------------------------------------------------------------------

    def write(self, rows: list[Row]) -> None:
        """Nothing yet: a deal's rows may be anywhere in the file (they are written in finish)."""

    def _moment(self, day: date, step: int) -> datetime:
        """9:00 on the row's day (local time), a second apart within a deal (as a deals import)."""
        return timezone.make_aware(datetime.combine(day, time(9, 0))) + timedelta(seconds=step)

    def finish(self) -> None:
        pks = sorted(self.plans)
        since: date | None = None
        now = timezone.now()
        for start in range(0, len(pks), BATCH):
            batch = pks[start : start + BATCH]
            deals = {
                d.pk: d for d in Opportunity.objects.select_for_update().filter(pk__in=batch).order_by("pk")
            }
            old: dict[int, list[StageChange]] = defaultdict(list)
            for change in StageChange.objects.filter(opportunity_id__in=batch).order_by("changed_at", "id"):
                old[change.opportunity_id].append(change)
            StageChange.objects.filter(opportunity_id__in=batch).delete()
            new: list[StageChange] = []
            for pk in batch:
                deal = deals[pk]
                if deal.version != self.by_pk[pk].version:  # changed since it was read, before the lock
                    raise Conflict(
                        _("Deal %(id)s changed while the import ran; nothing was imported. Run it again.")
                        % {"id": deal.external_id}
                    )
                changes = self._changes(deal, self.plans[pk])
                new.extend(changes)
                before = {
                    "changes": [dump(c) for c in old[pk]],
                    "created_at": deal.created_at.isoformat(),
                    "stage_entered_at": deal.stage_entered_at.isoformat(),
                    "updated_at": deal.updated_at.isoformat(),
                    "version": deal.version,
                }
                transitions = [c for c in changes if c.kind != StageChange.Kind.UPDATED]
                entered = (
                    transitions[-1]
                    if deal.status != Opportunity.Status.LOST
                    else [c for c in transitions if c.status == "open"][-1]
                )
                deal.created_at, deal.stage_entered_at = changes[0].changed_at, entered.changed_at
                deal.updated_at, deal.version = now, deal.version + 1
                self.record(deal, ImportedRecord.Action.UPDATED, before)
                self.counts["replaced"] += len(old[pk])
                days = [timezone.localtime(c.changed_at).date() for c in (*old[pk][:1], changes[0])]
                since = min([*days, *([since] if since else [])])
            Opportunity.objects.bulk_update(deals.values(), MOMENTS)
            StageChange.objects.bulk_create(new, batch_size=5000)
            self.counts["rows"] += len(new)
            self.flush_records()
        if pks:
            refresh_summaries(since)

    def _changes(self, deal: Opportunity, steps: list[Step]) -> list[StageChange]:
        amounts: list[Decimal] = []
        closes: list[date] = []
        amount, close = deal.amount, deal.expected_close_date
        for step in reversed(steps):  # an empty cell takes the next row's value: what the deal ended with
            amount = step.entry.amount if step.entry.amount is not None else amount
            close = step.entry.close if step.entry.close is not None else close
            amounts.append(amount)
            closes.append(close)
        amounts.reverse()
        closes.reverse()
        out: list[StageChange] = []
        previous: tuple[Stage, ProbabilityLevel] | None = None
        for i, step in enumerate(steps):
            if i == len(steps) - 1:  # the deal as it stands
                level, probability, category = (
                    self.levels[deal.level_id],
                    deal.probability,
                    deal.forecast_category,
                )
            elif step.status == "won":
                level, probability, category = self.won_level, self.won_level.probability, BOOKED
            elif step.status == "lost":
                level, probability, category = self.lost_level, self.lost_level.probability, OMITTED
            else:
                level = self.entry_levels.get(step.stage.pk, self.floor)
                probability, category = level.probability, level.default_forecast_category
            out.append(
                StageChange(
                    opportunity_id=deal.pk,
                    kind=step.kind,
                    from_stage=previous[0] if previous else None,
                    to_stage=step.stage,
                    from_stage_name=previous[0].name_zh if previous else "",
                    to_stage_name=step.stage.name_zh,
                    from_stage_name_en=previous[0].name_en if previous else "",
                    to_stage_name_en=step.stage.name_en,
                    from_level=previous[1] if previous else None,
                    to_level=level,
                    probability=probability,
                    amount=amounts[i],
                    currency=deal.currency,
                    expected_close_date=closes[i],
                    status=step.status,
                    days_in_from_stage=(step.entry.day - steps[i - 1].entry.day).days if i else None,
                    changed_by_id=self.user.pk,
                    changed_at=self._moment(step.entry.day, i),
                    reason=self.reason,
                    owner_id=deal.owner_id,
                    team_id=deal.team_id,
                    forecast_category=category,
                )
            )
            previous = (step.stage, level)
        return out


# --- undo ---------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def dump(row: Model) -> dict[str, Any]:
    """A history row as JSON, every column (so that it comes back exactly, with its id)."""
    return {f.attname: _plain(getattr(row, f.attname)) for f in row._meta.concrete_fields}


def load(data: dict[str, Any]) -> StageChange:
    fields = {f.attname: f for f in StageChange._meta.concrete_fields}
    return StageChange(**{k: fields[k].to_python(v) for k, v in data.items() if k in fields})


def restore(records: list[ImportedRecord]) -> date | None:
    """Undo of history replacements: the deals' rows (with their ids), moments and versions as they
    were before; returns the first day the summaries must be rebuilt from. The caller holds the deals'
    row locks."""
    since: date | None = None
    parse = datetime.fromisoformat
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        ids = [r.object_id for r in batch]
        first = StageChange.objects.filter(opportunity_id__in=ids).aggregate(m=Min("changed_at"))["m"]
        StageChange.objects.filter(opportunity_id__in=ids).delete()
        rows = [load(data) for r in batch for data in r.before["changes"]]
        StageChange.objects.bulk_create(rows, batch_size=5000)
        deals = []
        for r in batch:
            before = r.before
            entered = before["stage_entered_at"]
            deals.append(
                Opportunity(
                    pk=r.object_id,
                    created_at=parse(before["created_at"]),
                    stage_entered_at=parse(entered),
                    updated_at=parse(before["updated_at"]),
                    version=before["version"],
                )
            )
        Opportunity.objects.bulk_update(deals, MOMENTS)
        moments = [m for m in (first, min((row.changed_at for row in rows), default=None)) if m is not None]
        days = [timezone.localtime(m).date() for m in moments]
        if days:
            since = min([*days, *([since] if since else [])])
    return since


# Registered here rather than in the literal tables (see kadence.transfer.org_kind).
FIELDS["history"] = HISTORY_FIELDS
KINDS["history"] = HistoryImport
