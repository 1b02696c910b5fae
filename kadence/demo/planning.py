"""Targets, forecast submissions, weekly snapshots, order forecasts and calibration for the demo deals
just written, by walking their history week by week (`PlanningGenerator`).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from kadence.core.models import OrgUnit, User
from kadence.demo.catalogues import HISTORY_DAYS
from kadence.demo.world import BOOKED, LOST, OMITTED, OPEN, WON, Org, stream
from kadence.domain import forecast as fc
from kadence.domain.periods import (
    Period,
    PeriodKind,
    add_months,
    next_week_starts,
    period_containing,
    week_start,
)
from kadence.pipeline.expressions import WEIGHTED
from kadence.pipeline.ladder import stage_entry_levels
from kadence.pipeline.models import (
    Opportunity,
    Stage,
    StageChange,
)
from kadence.planning.models import ForecastSnapshot, ForecastSubmission, OrderForecast, Target
from kadence.planning.selectors.forecast import deals_behind, period_groups
from kadence.planning.services.calibration import calibration_recompute
from kadence.planning.services.forecast import forecast_snapshot_take

# --- planning: targets, forecasts, order forecasts, calibration ------------------------------------------

# Targets are stretched above what a seller booked over the year before (per seller and year), never below
# half their average quarter nor TARGET_MIN; a quarter's months get these shares (the last month the rest).
TARGET_STRETCH = (1.05, 1.3)
TARGET_FLOOR = Decimal("0.5")
TARGET_MIN = Decimal(300_000)  # a quarter's target at least (a seller new to the history)
MONTH_SHARES = (Decimal("0.30"), Decimal("0.33"))
WAN = Decimal(10_000)  # targets and calls are set in 万 (ten thousands)
# Forecast calls: most sellers submit for the next quarter in its last working days before it starts;
# some update mid-quarter; a manager adjusts some.
SUBMIT_SHARE = 0.9
UPDATE_SHARE = 0.3
ADJUST_SHARE = 0.2
UPDATE_AFTER_DAYS = 42
# `kadence forecast_snapshot --period-kind …` as a site would schedule it: the quarter (the default) every
# week, the month in its first week, the year in its first week.
SNAPSHOT_KINDS: tuple[PeriodKind, ...] = ("quarter", "month", "year")
SNAPSHOT_HOUR = 6  # the cron line of the forecast_snapshot command runs at 06:00
ORDER_FORECAST_WEEKS = 30  # weeks of rolling order forecasts kept (the accuracy table looks back up to 26)
SUBMISSION_REASONS = [
    "",
    "",
    "按重点项目逐个评估",
    "含两个待签合同",
    "客户预算已落实，较有把握",
    "保守估计，部分项目可能推迟",
]
ADJUST_REASONS = [
    "历史预测偏乐观，按过往准确率下调",
    "两个项目决策推迟，下调",
    "重点项目已口头确认，上调",
    "竞争对手降价，赢率下调",
    "与销售逐单核对后调整",
]
STATE_FIELDS = ("status", "expected_close_date", "forecast_category", "closed_on", "amount", "probability")


class DealState(NamedTuple):
    """What the forecast reads of a deal at one moment (STATE_FIELDS, in that order)."""

    status: str
    expected_close_date: date
    forecast_category: str
    closed_on: date | None
    amount: Decimal
    probability: Decimal


class DealTimeline:
    """Each deal's forecast state over time, read back from the written stage history: the state a
    history row records holds from its `changed_at` on; the deal's current row holds from its
    `updated_at` (a close date fixed after the last move is in no history row). Before its first row
    a deal did not exist yet: it is shown as lost, which every forecast figure leaves out. Read
    forwards in time (`advance`), one pass over all the rows."""

    def __init__(self, events: list[tuple[datetime, int, DealState]], final: dict[int, DealState]):
        self.events = sorted(events, key=lambda row: row[0])  # stable: a current row stays after its history
        self.final = final
        self.cursor = 0
        first: dict[int, DealState] = {}
        for _moment, pk, state in self.events:
            first.setdefault(pk, state)
        self.before = {
            pk: state._replace(status=LOST, forecast_category=OMITTED, closed_on=None)
            for pk, state in first.items()
        }

    @classmethod
    def load(cls) -> DealTimeline:
        category = {  # of the level a deal holds while working in the stage (METHODOLOGY §1d)
            pk: level.default_forecast_category
            for pk, level in stage_entry_levels(Stage.objects.select_related("default_level")).items()
        }
        events: list[tuple[datetime, int, DealState]] = []
        for pk, moment, status, stage_id, close, amount, probability in StageChange.objects.order_by(
            "changed_at", "id"
        ).values_list(
            "opportunity_id",
            "changed_at",
            "status",
            "to_stage_id",
            "expected_close_date",
            "amount",
            "probability",
        ):
            closed_on = timezone.localdate(moment) if status != OPEN else None
            kind = {WON: BOOKED, LOST: OMITTED}.get(status) or category[stage_id]
            events.append((moment, pk, DealState(status, close, kind, closed_on, amount, probability)))
        final: dict[int, DealState] = {}
        for pk, updated_at, *values in Opportunity.objects.values_list("id", "updated_at", *STATE_FIELDS):
            final[pk] = DealState(*values)
            events.append((updated_at, pk, final[pk]))
        return cls(events, final)

    def advance(self, moment: datetime) -> dict[int, DealState]:
        """The states deals took since the previous call, up to just before `moment` (the latest per deal)."""
        changed: dict[int, DealState] = {}
        while self.cursor < len(self.events) and self.events[self.cursor][0] < moment:
            _moment, pk, state = self.events[self.cursor]
            changed[pk] = state
            self.cursor += 1
        return changed


def _share(rng: random.Random, low: float, high: float) -> Decimal:
    """A random factor in [low, high], to two decimals."""
    return Decimal(str(round(rng.uniform(low, high), 2)))


def _wan(value: Decimal) -> Decimal:
    """Rounded to 万, as people state targets and forecasts."""
    return (value / WAN).quantize(Decimal(1)) * WAN


class PlanningGenerator:
    """Targets, forecast submissions and adjustments, weekly forecast snapshots, rolling 4-week order
    forecasts and the calibration, consistent with the demo's deals and their history.

    Snapshots, submissions and order forecasts are made by walking the history week by week: before
    each day of the walk every deal is put back in the state it had at that day's start (DealTimeline),
    then the scheduled snapshot is taken by the service the `forecast_snapshot` command runs, and the
    figures behind submissions and order forecasts are read by the forecast selectors, as they would
    have been that day. The deals get their current state back at the end. Submissions are written as
    `forecast_submit` / `forecast_adjust` write them (those take today's date from the clock)."""

    def __init__(self, org: Org, today: date, seed: int):
        self.org, self.today, self.rng = org, today, stream(seed, "planning")
        people = [*org.reps, *(s for group in org.inside_by_region.values() for s in group)]
        self.sellers = {u.pk: u for u in User.objects.filter(pk__in=[s.id for s in people]).order_by("id")}
        self.team_of = {s.id: s.team_id for s in people}
        self.units = {u.pk: u for u in OrgUnit.objects.order_by("path")}
        self.admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("id").first()
        self.directors = dict(
            User.objects.filter(role=User.Role.DIRECTOR, is_active=True, org_unit__isnull=False)
            .order_by("id")
            .values_list("org_unit_id", "id")
        )
        self.history_start = today - timedelta(days=HISTORY_DAYS)
        self.applied: dict[int, DealState] = {}
        self.counts: dict[str, int] = defaultdict(int)
        meta, quote = Opportunity._meta, connection.ops.quote_name
        fields = [meta.get_field(name) for name in STATE_FIELDS]
        self.prep = [lambda v, f=f: f.get_db_prep_save(v, connection) for f in fields]
        columns = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        self.update_sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"

    def at(self, day: date, hour: float) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min)) + timedelta(hours=hour)

    # -- targets --------------------------------------------------------------------------------------------

    def targets(self) -> None:
        """Per seller (reps and inside sales) for every quarter from the one the history starts in to the
        end of this year, their months and (whole years only) the year; teams, regions and the company as
        the sums below them."""
        first = period_containing("quarter", self.history_start)
        last = period_containing("quarter", date(self.today.year, 12, 31))
        quarters = [first]
        while quarters[-1] != last:
            quarters.append(quarters[-1].shift(1))
        bookings: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
        won = Opportunity.objects.filter(status=WON, owner_id__in=list(self.sellers))
        for owner, closed_on, amount in won.values_list("owner_id", "closed_on", "amount"):
            bookings[owner].append((closed_on, amount))
        history_quarters = Decimal(max(1, sum(1 for q in quarters if q.start <= self.today)))
        per_user: dict[tuple[str, date], dict[int, Decimal]] = defaultdict(dict)
        stretch: dict[tuple[int, int], Decimal] = {}
        for seller in self.sellers:
            average = sum((a for _d, a in bookings[seller]), Decimal(0)) / history_quarters
            for quarter in quarters:
                year_end = min(quarter.end, self.today)
                trailing = sum(
                    (a for d, a in bookings[seller] if year_end - timedelta(days=365) < d <= year_end),
                    Decimal(0),
                )
                factor = stretch.setdefault((seller, quarter.start.year), _share(self.rng, *TARGET_STRETCH))
                amount = max(TARGET_MIN, _wan(max(trailing / 4, average * TARGET_FLOOR) * factor))
                per_user[("quarter", quarter.start)][seller] = amount
                months = [_wan(amount * share) for share in MONTH_SHARES]
                months.append(amount - sum(months))
                for offset, month_amount in enumerate(months):
                    per_user[("month", add_months(quarter.start, offset))][seller] = month_amount
        for year in sorted({q.start.year for q in quarters}):
            starts = [date(year, month, 1) for month in (1, 4, 7, 10)]
            if all(("quarter", s) in per_user for s in starts):
                for seller in self.sellers:
                    per_user[("year", starts[0])][seller] = sum(
                        (per_user[("quarter", s)][seller] for s in starts), Decimal(0)
                    )
        rows = []
        for (kind, start), amounts in sorted(per_user.items()):
            created = min(self.at(start - timedelta(days=7), 10), self.at(self.today - timedelta(days=1), 10))
            per_unit: dict[int, Decimal] = defaultdict(Decimal)
            for seller, amount in amounts.items():
                team = self.team_of[seller]
                rows.append(
                    Target(
                        user_id=seller,
                        period_kind=kind,
                        period_start=start,
                        amount=amount,
                        created_by_id=self._setter(team),
                        created_at=created,
                        updated_at=created,
                    )
                )
                for unit_id in self._chain(team):
                    per_unit[unit_id] += amount
            for unit_id, amount in sorted(per_unit.items()):
                rows.append(
                    Target(
                        unit_id=unit_id,
                        period_kind=kind,
                        period_start=start,
                        amount=amount,
                        created_by_id=self._setter(self.units[unit_id].parent_id),
                        created_at=created,
                        updated_at=created,
                    )
                )
        Target.objects.bulk_create(rows, batch_size=1000)
        self.counts["planning_target"] += len(rows)

    def _chain(self, unit_id: int) -> list[int]:
        return [int(part) for part in self.units[unit_id].path.strip("/").split("/") if part]

    def _setter(self, unit_id: int | None) -> int | None:
        """Who sets the targets under `unit_id`: its manager (a team), its director (a region), else the admin."""
        managers = self.org.managers_by_team.get(unit_id or 0)
        if managers:
            return managers[0].id
        return self.directors.get(unit_id or 0) or (self.admin.pk if self.admin else None)

    # -- the walk through the history -------------------------------------------------------------------

    def walk(self, timeline: DealTimeline) -> None:
        """Snapshots on every Monday of the history (and today's, if today is one), submissions in the
        last working day before each quarter, mid-quarter updates, order forecasts in the last weeks."""
        mondays = []
        day = week_start(self.history_start) + timedelta(weeks=1)
        while day <= self.today:
            mondays.append(day)
            day += timedelta(weeks=1)
        submit_days: dict[date, Period] = {}
        update_days: dict[date, Period] = {}
        quarter = period_containing("quarter", self.history_start)
        while quarter.start <= self.today:
            following = quarter.shift(1)
            eve = following.start - timedelta(days=1)
            while eve.weekday() >= 5:
                eve -= timedelta(days=1)
            if self.history_start < eve < self.today:
                submit_days[eve] = following
            update = week_start(quarter.start + timedelta(days=UPDATE_AFTER_DAYS))
            if self.history_start < update < self.today and update in mondays:
                update_days[update] = quarter
            quarter = following
        first_orders = week_start(self.today) - timedelta(weeks=ORDER_FORECAST_WEEKS)
        orders: list[OrderForecast] = []
        for day in sorted(set(mondays) | set(submit_days)):
            self._set_states(timeline, self.at(day, 0))
            if day in mondays:
                for kind in SNAPSHOT_KINDS:
                    week_before = day - timedelta(weeks=1)
                    if kind == "quarter" or period_containing(kind, day) != period_containing(
                        kind, week_before
                    ):
                        forecast_snapshot_take(taken_on=day, period_kind=kind)
                self.counts["planning_forecastsnapshot"] += ForecastSnapshot.objects.filter(
                    source=ForecastSnapshot.Source.SCHEDULED, taken_on=day
                ).update(taken_at=self.at(day, SNAPSHOT_HOUR))
            if day in submit_days:  # every seller has submitted for the quarter a newcomer sees first
                period = submit_days[day]
                self._submit(day, period, 1.0 if period.contains(self.today) else SUBMIT_SHARE, adjust=True)
            if day in update_days:
                self._submit(day, update_days[day], UPDATE_SHARE, adjust=False)
            if day in mondays and day >= first_orders:
                orders += self._order_forecasts(day)
        OrderForecast.objects.bulk_create(orders, batch_size=1000)
        self.counts["planning_orderforecast"] += len(orders)
        self._set_states(timeline, None)

    def _set_states(self, timeline: DealTimeline, moment: datetime | None) -> None:
        """Put every deal in its state just before `moment` (None: its current state). One UPDATE per
        changed deal through executemany: bulk_update's CASE expressions are 10× slower here."""
        if moment is None:
            states = timeline.final
        else:
            states = timeline.advance(moment)
            if not self.applied:  # the first day: every deal, most of them not created yet
                states = {**timeline.before, **states}
        changed = []
        for pk, state in states.items():
            if self.applied.get(pk) != state:
                self.applied[pk] = state
                values = (None if v is None else prep(v) for prep, v in zip(self.prep, state, strict=True))
                changed.append((*values, pk))
        if changed:
            with connection.cursor() as cursor:
                cursor.executemany(self.update_sql, changed)

    def _submit(self, day: date, period: Period, share: float, *, adjust: bool) -> None:
        """Forecast submissions of the sellers for `period` on `day` (and some managers' adjustments), as
        forecast_submit / forecast_adjust record them: the figures of the seller's deals that day, the
        deals behind the call, and a snapshot with each."""
        rng = self.rng
        totals: dict[int, fc.CategoryTotals] = defaultdict(fc.CategoryTotals)
        for group in period_groups(Opportunity.objects.filter(owner_id__in=list(self.sellers)), period, day):
            totals[group.owner_id] = totals[group.owner_id] + group.totals
        snapshots = []
        for seller_id, seller in self.sellers.items():
            if rng.random() >= share:
                continue
            figures = totals[seller_id]
            # A seller's call: what is booked and committed, part of the best case and a little of the pipeline.
            call = _wan(
                (
                    figures.commit_call
                    + figures.best_case.amount * _share(rng, 0.4, 0.8)
                    + figures.pipeline.amount * _share(rng, 0.15, 0.35)
                )
                * _share(rng, 0.9, 1.1)
            )
            submitted_at = self.at(day, rng.uniform(9, 17))
            values = {
                "user_id": seller_id,
                "unit_id": self.team_of[seller_id],
                "period_kind": period.kind,
                "period_start": period.start,
                **self._figures(figures),
            }
            submission = ForecastSubmission.objects.create(
                kind=ForecastSubmission.Kind.SUBMISSION,
                forecast=call,
                reason=rng.choice(SUBMISSION_REASONS),
                deals=deals_behind(seller, period, day),
                submitted_by_id=seller_id,
                submitted_at=submitted_at,
                **values,
            )
            snapshots.append(self._snapshot(seller_id, period, day, submitted_at, figures, call))
            manager = self.org.managers_by_team.get(self.team_of[seller_id])
            if adjust and manager and call and rng.random() < ADJUST_SHARE:
                adjusted = _wan(
                    call * (_share(rng, 0.75, 0.95) if rng.random() < 0.6 else _share(rng, 1.05, 1.2))
                )
                adjusted_at = submitted_at + timedelta(hours=rng.uniform(0.5, 4))
                ForecastSubmission.objects.create(
                    kind=ForecastSubmission.Kind.ADJUSTMENT,
                    forecast=adjusted,
                    adjusts=submission,
                    reason=rng.choice(ADJUST_REASONS),
                    submitted_by_id=manager[0].id,
                    submitted_at=adjusted_at,
                    **values,
                )
                snapshots.append(self._snapshot(seller_id, period, day, adjusted_at, figures, adjusted))
                self.counts["planning_forecastsubmission"] += 1
            self.counts["planning_forecastsubmission"] += 1
        ForecastSnapshot.objects.bulk_create(snapshots)
        self.counts["planning_forecastsnapshot"] += len(snapshots)

    @staticmethod
    def _figures(totals: fc.CategoryTotals) -> dict[str, Decimal]:
        return {
            "booked": totals.booked.amount,
            "commit": totals.commit.amount,
            "best_case": totals.best_case.amount,
            "pipeline": totals.pipeline.amount,
            "weighted": totals.weighted,
        }

    def _snapshot(
        self,
        seller_id: int,
        period: Period,
        day: date,
        at: datetime,
        totals: fc.CategoryTotals,
        forecast: Decimal,
    ) -> ForecastSnapshot:
        return ForecastSnapshot(
            source=ForecastSnapshot.Source.SUBMISSION,
            taken_on=day,
            taken_at=at,
            user_id=seller_id,
            period_kind=period.kind,
            period_start=period.start,
            next_quarter=totals.next_quarter.amount,
            forecast=forecast,
            open_count=totals.open_count,
            **self._figures(totals),
        )

    def _order_forecasts(self, monday: date) -> list[OrderForecast]:
        """Each seller's orders for the next four weeks, made on `monday`: the weighted amount of their open
        deals expected to close in each week, in 万."""
        weeks = next_week_starts(monday)
        rows = (
            Opportunity.objects.filter(
                status=OPEN,
                owner_id__in=list(self.sellers),
                expected_close_date__range=(weeks[0], weeks[-1] + timedelta(days=6)),
            )
            .annotate(week=TruncWeek("expected_close_date"))
            .values("owner_id", "week")
            .annotate(total=Sum(WEIGHTED))
            .order_by()
        )
        expected: dict[tuple[int, date], Decimal] = {}
        for row in rows:
            week = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
            expected[(row["owner_id"], week)] = row["total"] or Decimal(0)
        created = self.at(monday, 9.5)
        return [
            OrderForecast(
                user_id=seller,
                made_on=monday,
                week_start=week,
                amount=_wan(expected.get((seller, week), Decimal(0))),
                created_at=created,
            )
            for seller in self.sellers
            for week in weeks
        ]

    def calibrate(self) -> None:
        """What `kadence calibrate` runs, over the history up to today."""
        self.counts["planning_calibration"] += calibration_recompute(None, as_of=self.today)


def load_planning(
    org: Org, today: date, seed: int, stdout: Callable[[str], Any] | None = None
) -> dict[str, int]:
    """Targets, forecasts, order forecasts and calibration for the demo deals just written (see
    PlanningGenerator); returns the rows written per table."""
    generator = PlanningGenerator(org, today, seed)
    generator.targets()
    generator.walk(DealTimeline.load())
    generator.calibrate()
    if stdout:
        stdout("Targets, forecast submissions, weekly snapshots, order forecasts and calibration written.")
    return dict(generator.counts)
