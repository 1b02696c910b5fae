"""V值 and the quota position every day (issue 14 §3, METHODOLOGY §10.2, seed 004) for every seller and
unit of a report scope, for the month, quarter or year holding a day (today by default), as of today.

Per seller and per unit (the scope's own total, and its units one level down):

- **quota**: the target of record (kadence.planning Target via kadence.planning.selectors.targets): a
  seller's own, a unit's own (a unit without one has no quota; nothing is made up from below), the
  scope's total as target_for reads it;
- **booked**: the amount won in the period (kadence.planning.selectors.forecast.scope_period_groups,
  the forecast report's own roll-up);
- **remaining opportunity**: the amount of the open deals expected to close in the period (not omitted
  from the forecast), unweighted — "even by winning everything" (kadence.domain.vvalue, the same figure
  as the 1x1 pack);
- **V** = remaining opportunity ÷ remaining quota, flagged below 1 (kadence.domain.vvalue);
- **expected**: what the open deals are expected to bring in the period — the time-aware model's
  expected value (kadence.insights.selectors.probabilistic.expected_by_seller) where it has history,
  the weighted pipeline closing in the period otherwise (`source` says which) — and the expected V,
  expected ÷ remaining quota, the more sober reading of the same position;
- **days remaining** and the **required run-rate** per day and per week (kadence.domain.vvalue).

Cost: the scope's sellers (one query), its deals in the period by owner × team (two grouped
aggregates), the targets of the sellers and units shown (one query), the units (two queries), the
scope's total target (target_for) and the time-aware inputs — the same count whatever the number of
sellers or deals in the scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.core.errors import ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.pagination import Page, page_of
from kadence.core.visibility import Scope, quota_sellers, resolve_scope
from kadence.domain import forecast as fc
from kadence.domain.periods import Period
from kadence.domain.vvalue import (
    QuotaPosition,
    RunRate,
    days_remaining,
    quota_position,
    required_run_rate,
    v_value,
)
from kadence.insights.selectors.probabilistic import expected_by_seller
from kadence.planning.models import ForecastPolicy
from kadence.planning.selectors.forecast import Group, scope_period_groups
from kadence.planning.selectors.targets import period_of, scope_roots, target_for, targets_of

TIME_AWARE = "time_aware"
WEIGHTED = "weighted"
SOURCES = {
    TIME_AWARE: gettext_lazy(
        "Expected: the time-aware model's expected value of the open deals won inside the period."
    ),
    WEIGHTED: gettext_lazy(
        "Expected: the weighted pipeline closing in the period (the time-aware model has no history yet)."
    ),
}
SORTS = ("v", "-v", "name", "attainment", "remaining")
PAGE_SIZE = 50


@dataclass(frozen=True)
class PositionRow:
    """One seller's or unit's position (see the module docstring)."""

    kind: str  # "rep", "unit" or "total"
    id: int | None
    label: str
    team: str
    position: QuotaPosition
    expected: Decimal
    open_count: int
    days_left: int

    @property
    def v_expected(self) -> Decimal | None:
        """expected ÷ remaining quota (None as V)."""
        return (
            None
            if self.position.remaining_quota is None
            else v_value(self.expected, self.position.remaining_quota)
        )

    @property
    def run_rate(self) -> RunRate | None:
        return required_run_rate(self.position.remaining_quota, self.days_left)

    @property
    def status(self) -> str:
        """`no_quota`, `met`, `below_one` (flagged) or `on_track` (V ≥ 1)."""
        p = self.position
        return (
            "no_quota" if p.quota is None else "met" if p.met else "below_one" if p.below_one else "on_track"
        )


@dataclass(frozen=True)
class PositionReport:
    period: Period
    as_of: date
    days_left: int
    scope: Scope
    source: str
    total: PositionRow
    units: list[PositionRow]
    rows: list[PositionRow]  # every seller of the scope, sorted (the exports)
    reps: Page  # the page of them shown
    flagged: int  # sellers of the scope below 1
    sort: str

    @property
    def source_text(self) -> str:
        return str(SOURCES[self.source])


@dataclass
class _Sums:
    booked: Decimal = Decimal(0)
    open_amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    open_count: int = 0
    expected: Decimal = Decimal(0)

    def add(self, totals: fc.CategoryTotals, expected: Decimal | None) -> None:
        self.booked += totals.booked.amount
        self.open_amount += totals.open_amount
        self.weighted += totals.weighted
        self.open_count += totals.open_count
        self.expected += totals.weighted if expected is None else expected


def _row(
    kind: str, pk: int | None, label: str, team: str, quota: Decimal | None, s: _Sums, days: int
) -> PositionRow:
    return PositionRow(
        kind, pk, label, team, quota_position(quota, s.booked, s.open_amount), s.expected, s.open_count, days
    )


def _sort_key(sort: str) -> Any:
    def v_key(row: PositionRow) -> tuple[Any, ...]:
        # flagged lowest V first, then V ≥ 1, then the quotas made, then no quota
        rank = {"below_one": 0, "on_track": 1, "met": 2, "no_quota": 3}[row.status]
        return (rank, row.position.v if row.position.v is not None else Decimal(0), row.label)

    if sort == "-v":
        return lambda row: (
            {"met": 0, "on_track": 1, "below_one": 2, "no_quota": 3}[row.status],
            -(row.position.v or Decimal(0)),
            row.label,
        )
    if sort == "name":
        return lambda row: (row.label.casefold(), row.id or 0)
    if sort == "attainment":
        return lambda row: (
            row.position.attainment is None,
            -(row.position.attainment or Decimal(0)),
            row.label,
        )
    if sort == "remaining":
        return lambda row: (
            row.position.remaining_quota is None,
            -(row.position.remaining_quota or Decimal(0)),
            row.label,
        )
    return v_key


def shown_units(scope: Scope) -> list[OrgUnit]:
    """The units one level below the scope (two queries at most): a unit's children; for a default
    scope its top units, or the children of its only top unit (the company's regions, say)."""
    if scope.owner is not None:
        return []
    if scope.unit is not None:
        parents = [scope.unit.pk]
    else:
        roots = (
            list(OrgUnit.objects.filter(parent__isnull=True).values_list("pk", flat=True))
            if scope.unit_ids is None
            else scope_roots(scope.unit_ids)
        )
        if len(roots) != 1:
            return list(OrgUnit.objects.filter(pk__in=roots).order_by("path"))
        parents = roots
    return list(OrgUnit.objects.filter(parent_id__in=parents).order_by("path"))


def expected_amounts(
    scope: Scope, period: Period, as_of: date
) -> tuple[str, dict[tuple[int, int], Decimal] | None]:
    """(source, expected per owner × team): time-aware where the model has history, else None (the
    callers then take the weighted pipeline of the groups)."""
    if as_of > period.end:  # nothing open can still come in
        return TIME_AWARE, {}
    found = expected_by_seller(scope, period, as_of, ForecastPolicy.current())
    return (WEIGHTED, None) if found is None else (TIME_AWARE, found)


def clean_sort(sort: str | None) -> str:
    sort = sort or "v"
    if sort not in SORTS:
        raise ValidationFailed(
            _("Unknown sort."), {"sort": [_("Choose v, -v, name, attainment or remaining.")]}
        )
    return sort


def position_report(
    user: User,
    *,
    period_kind: str | None = None,
    day: date | None = None,
    unit_id: int | None = None,
    owner_id: int | None = None,
    sort: str | None = None,
    page: int | str | None = 1,
    page_size: int = PAGE_SIZE,
) -> PositionReport:
    """The quota position of the scope `user` asks for (NotFound outside their reach), its units and
    its sellers, for the period of `period_kind` (default quarter) holding `day` (default today)."""
    sort = clean_sort(sort)
    today = timezone.localdate()
    period = period_of(period_kind, day, default_day=today)
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    days = days_remaining(period.start, period.end, today)
    people = list(quota_sellers(scope).select_related("org_unit"))
    groups: list[Group] = scope_period_groups(scope, period, today)
    source, expected = expected_amounts(scope, period, today)
    units = shown_units(scope)
    rep_targets, unit_targets = targets_of(
        period, user_ids=[p.pk for p in people], unit_ids=[u.pk for u in units]
    )
    team_ids = sorted({g.team_id for g in groups})
    paths = (
        dict(OrgUnit.objects.filter(pk__in=team_ids).values_list("pk", "path")) if units and team_ids else {}
    )

    total = _Sums()
    by_owner: dict[int, _Sums] = defaultdict(_Sums)
    by_unit: dict[int, _Sums] = defaultdict(_Sums)
    for g in groups:
        deal_expected = None if expected is None else expected.get((g.owner_id, g.team_id), Decimal(0))
        total.add(g.totals, deal_expected)
        by_owner[g.owner_id].add(g.totals, deal_expected)
        team_path = paths.get(g.team_id, "")
        for unit in units:
            if team_path.startswith(unit.path):
                by_unit[unit.pk].add(g.totals, deal_expected)
    quota = target_for(scope, period.kind, period.start)
    total_id = scope.owner.pk if scope.owner else scope.unit.pk if scope.unit else None
    total_row = _row("total", total_id, str(scope.label), "", quota, total, days)
    unit_rows = [
        _row("unit", u.pk, u.name, u.get_kind_display(), unit_targets.get(u.pk), by_unit[u.pk], days)
        for u in units
    ]
    reps = [
        _row(
            "rep",
            p.pk,
            p.label,
            p.org_unit.name if p.org_unit else "",
            rep_targets.get(p.pk),
            by_owner[p.pk],
            days,
        )
        for p in people
    ]
    reps.sort(key=_sort_key(sort))
    flagged = sum(1 for r in reps if r.position.below_one)
    return PositionReport(
        period,
        today,
        days,
        scope,
        source,
        total_row,
        unit_rows,
        reps,
        page_of(reps, page, page_size),
        flagged,
        sort,
    )


def seller_position(user: User, period_kind: str = "quarter") -> PositionRow:
    """A seller's own position for the current period (the home page's card)."""
    return position_report(user, period_kind=period_kind, owner_id=user.pk).total
