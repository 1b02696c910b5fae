"""The team leaderboard of effort (issue 13 §8): per rep and per team for a period, a few columns of
effort, each with its definition on screen.

The columns are a registry: an `EffortColumn` is (key, label, definition, values, kind, total), where
`values(user_ids, start, end)` answers {user_id: value} for all the reps at once in a fixed number of
queries. Other parts add theirs with `register_column` (the weekly plans' "plans kept", the cadence's
"1-15-30 items on time"); the page, the API and the export show every registered column in order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.db.models import Count
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.activities.models import Activity
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import Scope
from kadence.domain import quotas as dq
from kadence.rhythm.quotas.selectors import ReportPeriod, attainment_cells, report_period, scope_people

Values = Callable[[Sequence[int], date, date], dict[int, Any]]


@dataclass(frozen=True)
class EffortColumn:
    """One leaderboard column. `kind`: "int" (a count), "percent" (a percentage, 75 = 75 %) or "money"
    (an amount, e.g. a sales velocity per day). `total`:
    how a team's figure is made from its reps' — "sum" or "mean" (of the reps that have a value)."""

    key: str
    label: str | Promise
    definition: str | Promise
    values: Values
    kind: Literal["int", "percent", "money"] = "int"
    total: Literal["sum", "mean"] = "sum"


COLUMNS: list[EffortColumn] = []


def register_column(column: EffortColumn) -> None:
    """Add a column to the leaderboard (after the ones there; a key registered again replaces it)."""
    for index, existing in enumerate(COLUMNS):
        if existing.key == column.key:
            COLUMNS[index] = column
            return
    COLUMNS.append(column)


def activities_done(user_ids: Sequence[int], start: date, end: date) -> dict[int, Any]:
    """Done activities of any kind (one query)."""
    rows = (
        Activity.objects.filter(owner_id__in=list(user_ids), done=True, date__gte=start, date__lte=end)
        .order_by()
        .values("owner_id")
        .annotate(n=Count("id"))
    )
    return {row["owner_id"]: row["n"] for row in rows}


def effective_visits(user_ids: Sequence[int], start: date, end: date) -> dict[int, Any]:
    """Done activities flagged effective by the effective-visit rule (one query)."""
    rows = (
        Activity.objects.filter(
            owner_id__in=list(user_ids), done=True, is_effective=True, date__gte=start, date__lte=end
        )
        .order_by()
        .values("owner_id")
        .annotate(n=Count("id"))
    )
    return {row["owner_id"]: row["n"] for row in rows}


def quota_attainment(user_ids: Sequence[int], start: date, end: date) -> dict[int, Any]:
    """Each rep's overall quota attainment: the mean of their metric attainments, each capped at 100 %
    (kadence.domain.quotas.effort_attainment); none without a quota (six queries)."""
    people = list(User.objects.filter(pk__in=list(user_ids)))
    cells = attainment_cells(people, start, end)
    return {uid: dq.effort_attainment(c.pct for c in person_cells) for uid, person_cells in cells.items()}


register_column(
    EffortColumn(
        "activities",
        gettext_lazy("Activities done"),
        gettext_lazy(
            "Done activities of any kind (visits, calls, meetings, demos, e-mails) dated in the period."
        ),
        activities_done,
    )
)
register_column(
    EffortColumn(
        "effective_visits",
        gettext_lazy("Effective visits"),
        gettext_lazy(
            "Done face-to-face activities (visit, meeting, demo by default) that found an opportunity, "
            "advanced one or solved a problem."
        ),
        effective_visits,
    )
)
register_column(
    EffortColumn(
        "attainment",
        gettext_lazy("Quota attainment"),
        gettext_lazy(
            "The mean of the rep's activity-quota attainments of the period, each capped at 100 %; a "
            "team's is the mean of its reps'."
        ),
        quota_attainment,
        kind="percent",
        total="mean",
    )
)


@dataclass
class EffortRow:
    label: str
    user: User | None
    unit: OrgUnit | None
    reps: int
    values: dict[str, Any]


@dataclass
class EffortBoard:
    period: ReportPeriod
    scope: Scope
    columns: list[EffortColumn]
    reps: list[EffortRow]
    teams: list[EffortRow]
    sort: str


def _total(column: EffortColumn, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if column.total == "sum":
        return sum(present)
    if not present:
        return None
    return (Decimal(sum(present)) / len(present)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _sort_key(key: str) -> Callable[[EffortRow], tuple[bool, Any, str]]:
    def sort(row: EffortRow) -> tuple[bool, Any, str]:
        value = row.values.get(key)
        return (value is None, -(value or 0), row.label)

    return sort


def effort_board(
    user: User,
    *,
    period: str = "week",
    day: date,
    unit_id: int | None = None,
    owner_id: int | None = None,
    sort: str = "",
    columns: Sequence[EffortColumn] | None = None,
) -> EffortBoard:
    """The leaderboard of the scope's sellers (a seller: their own row; a manager their teams; a director
    their regions; an admin the company) for the period holding `day`, best first by `sort` (a column's
    key; default the first percentage column, else the first). `columns`: another board's columns
    (the performance leaderboards reuse this one); default the effort columns registered here."""
    when = report_period(period, day)
    scope, people = scope_people(user, unit_id=unit_id, owner_id=owner_id)
    columns = list(COLUMNS if columns is None else columns)
    keys = [c.key for c in columns]
    if sort not in keys:
        sort = next((c.key for c in columns if c.kind == "percent"), keys[0] if keys else "")
    ids = [p.pk for p in people]
    values = {c.key: c.values(ids, when.start, when.end) if ids else {} for c in columns}
    reps = [
        EffortRow(
            p.label,
            p,
            p.org_unit,
            1,
            {c.key: values[c.key].get(p.pk, 0 if c.kind == "int" else None) for c in columns},
        )
        for p in people
    ]
    by_team: dict[Any, list[EffortRow]] = defaultdict(list)
    for row in reps:
        by_team[row.unit].append(row)
    teams = [
        EffortRow(
            unit.name if unit else _("No team"),
            None,
            unit,
            len(members),
            {c.key: _total(c, [m.values[c.key] for m in members]) for c in columns},
        )
        for unit, members in by_team.items()
    ]
    if sort:
        reps.sort(key=_sort_key(sort))
        teams.sort(key=_sort_key(sort))
    return EffortBoard(when, scope, columns, reps, teams, sort)
