"""Reads of the value part: an account's BP / SOW / SOA / remaining opportunity (and its group's), the RAD
matrix with its drill-down, movements and the focus check, ABC classes with the Pareto curve, and the
coverage rate per territory. Every scoped read takes a Scope (kadence.core.visibility.kam_value_scope): a
seller their own accounts, a lead their units, an admin everything. The stored tables carry owner and team,
so a read is one table, one statement."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts import tree
from kadence.accounts.models import Account
from kadence.core.errors import ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.pagination import Page, page_numbers, paginate
from kadence.core.visibility import Scope, access_account, can_enter_buying_power, unowned_accounts_q
from kadence.domain.kam import value as dv
from kadence.keyaccounts.coverage.models import CoveragePolicy
from kadence.keyaccounts.coverage.selectors import recent_activity
from kadence.keyaccounts.revenue import won_revenue
from kadence.keyaccounts.value.models import (
    AbcClass,
    BuyingPower,
    BuyingPowerHistory,
    KamValuePolicy,
    RadCell,
)
from kadence.pipeline.models import Opportunity

MIN_YEAR, MAX_YEAR = 2000, 2100
PARETO_POINTS = 200


def check_year(year: Any) -> int:
    """A year the value part accepts (2000–2100), else ValidationFailed (422)."""
    try:
        value = int(year)
    except (TypeError, ValueError):
        value = 0
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise ValidationFailed(
            _("Choose a year between %(a)s and %(b)s.") % {"a": MIN_YEAR, "b": MAX_YEAR},
            {"year": [_("Choose a year between %(a)s and %(b)s.") % {"a": MIN_YEAR, "b": MAX_YEAR}]},
        )
    return value


def this_year() -> int:
    return timezone.localdate().year


def policy() -> KamValuePolicy:
    """The policy row (created with the seeds' defaults on first use)."""
    row = KamValuePolicy.objects.filter(pk=1).first()
    if row is None:
        row, _created = KamValuePolicy.objects.get_or_create(pk=1)
    return row


def rad_thresholds(p: KamValuePolicy) -> dv.RadThresholds:
    return dv.RadThresholds(p.sow_high_pct / 100, p.sow_low_pct / 100, p.bp_high, p.bp_low)


def abc_thresholds(p: KamValuePolicy) -> dv.AbcThresholds:
    return dv.AbcThresholds(p.abc_a_pct / 100, p.abc_b_pct / 100)


def check_days(days: Any) -> int:
    try:
        value = int(days)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 3650:
        raise ValidationFailed(
            _("Enter a number of days between 1 and 3650."),
            {"days": [_("Enter a number of days between 1 and 3650.")]},
        )
    return value


def check_basis(basis: Any) -> str:
    if basis not in AbcClass.Basis.values:
        raise ValidationFailed(
            _("Choose revenue, profit or volume."), {"basis": [_("Choose revenue, profit or volume.")]}
        )
    return str(basis)


def check_cell(cell: Any) -> str:
    if cell not in dv.RAD_CELLS:
        raise ValidationFailed(_("Choose a cell R1 … A3."), {"cell": [_("Choose a cell R1 … A3.")]})
    return str(cell)


def check_class(klass: Any) -> str:
    if klass not in dv.ABC_CLASSES:
        raise ValidationFailed(_("Choose class A, B or C."), {"klass": [_("Choose class A, B or C.")]})
    return str(klass)


# --- one account and its group ----------------------------------------------------------------------


def bp_of(account: Account, year: int) -> tuple[Decimal | None, str]:
    """The account's BP for `year` and where it comes from ("entry" or "account"; the one fallback rule)."""
    entry = (
        BuyingPower.objects.filter(account_id=account.pk, year=year).values_list("amount", flat=True).first()
    )
    bp = dv.bp_for_year(entry, account.buying_power or None)
    return bp, "entry" if entry is not None else ("account" if bp is not None else "")


def buying_powers_for(account_ids: Iterable[int], year: int) -> dict[int, Decimal | None]:
    """{account id: BP for `year`} of many accounts in two queries (the year's entries, then the accounts'
    single figure as the fallback: kadence.domain.kam.value.bp_for_year); None where neither is known. What
    the group roll-ups, the importance score and the account plans read."""
    ids = sorted({int(i) for i in account_ids})
    entries = dict(
        BuyingPower.objects.filter(account_id__in=ids, year=year).values_list("account_id", "amount")
    )
    fallback = dict(Account.objects.filter(pk__in=ids).values_list("id", "buying_power"))
    return {i: dv.bp_for_year(entries.get(i), fallback.get(i) or None) for i in ids if i in fallback}


@dataclass
class AccountValue:
    account: Account
    year: int
    bp: Decimal | None
    bp_source: str
    bp_entry: BuyingPower | None
    revenue: Decimal
    sow: Decimal | None
    remaining: Decimal | None
    cell: str | None
    stored_cell: str | None
    group: dv.GroupValue | None
    history: list[BuyingPowerHistory] = field(default_factory=list)
    can_edit: bool = False


def group_value(unit_ids: list[int], year: int) -> dv.GroupValue:
    """SOW / SOA / remaining over the buying units `unit_ids` for `year` (see kadence.domain.kam.value)."""
    revenue = won_revenue(unit_ids, date(year, 1, 1), date(year, 12, 31))
    open_units = set(
        Opportunity.objects.filter(account_id__in=unit_ids, status=Opportunity.Status.OPEN)
        .values_list("account_id", flat=True)
        .distinct()
    )
    return dv.group_value(unit_ids, revenue, open_units, buying_powers_for(unit_ids, year))


def account_value(user: User, account_id: int, year: int) -> AccountValue:
    """The account's BP (with its history), our revenue, SOW, remaining opportunity and RAD cell for `year`,
    and — when it has accounts below it — the group's SOA, SOW and remaining over its buying units."""
    account = access_account(user, account_id)
    year = check_year(year)
    p = policy()
    entry = BuyingPower.objects.filter(account_id=account.pk, year=year).first()
    bp = dv.bp_for_year(entry.amount if entry else None, account.buying_power or None)
    revenue = won_revenue([account.pk], date(year, 1, 1), date(year, 12, 31)).get(account.pk, Decimal(0))
    units = [node for node, _parent, _depth in tree.descendants([account.pk])]
    stored = RadCell.objects.filter(account_id=account.pk, year=year).values_list("cell", flat=True).first()
    return AccountValue(
        account=account,
        year=year,
        bp=bp,
        bp_source="entry" if entry else ("account" if bp is not None else ""),
        bp_entry=entry,
        revenue=revenue,
        sow=dv.sow(revenue, bp),
        remaining=dv.remaining(revenue, bp),
        cell=dv.rad_cell(revenue, bp, rad_thresholds(p)),
        stored_cell=stored,
        group=group_value(units, year) if len(units) > 1 else None,
        history=list(
            BuyingPowerHistory.objects.filter(account_id=account.pk)
            .select_related("changed_by")
            .order_by("-at", "-id")[:10]
        ),
        can_edit=can_enter_buying_power(user, account),
    )


def buying_powers(user: User, account_id: int) -> list[BuyingPower]:
    account = access_account(user, account_id)
    return list(BuyingPower.objects.filter(account_id=account.pk).order_by("-year"))


# --- RAD ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellFigures:
    cell: str
    accounts: int
    bp: Decimal
    revenue: Decimal
    remaining: Decimal


@dataclass
class Matrix:
    year: int
    cells: dict[str, CellFigures]
    computed_at: Any
    total: int

    def grid(self) -> list[list[CellFigures]]:
        """Rows R, D, A × columns 1, 2, 3."""
        return [[self.cells[f"{letter}{digit}"] for digit in dv.BP_DIGITS] for letter in dv.SOW_LETTERS]


def _rad(scope: Scope, year: int) -> QuerySet[RadCell]:
    return scope.filter(RadCell.objects.filter(year=year))


def matrix(scope: Scope, year: int) -> Matrix:
    """Counts and amounts per cell of the scope's accounts in `year` (one GROUP BY on the stored cells)."""
    rows = {
        r["cell"]: r
        for r in _rad(scope, year)
        .values("cell")
        .order_by()
        .annotate(
            n=Count("id"),
            bp=Sum("bp"),
            revenue=Sum("revenue"),
            remaining=Sum("remaining"),
            at=Max("computed_at"),
        )
    }
    zero = Decimal(0)
    cells = {
        c: CellFigures(
            c,
            rows[c]["n"] if c in rows else 0,
            rows[c]["bp"] or zero if c in rows else zero,
            rows[c]["revenue"] or zero if c in rows else zero,
            rows[c]["remaining"] or zero if c in rows else zero,
        )
        for c in dv.RAD_CELLS
    }
    ats = [r["at"] for r in rows.values() if r["at"]]
    return Matrix(year, cells, max(ats) if ats else None, sum(c.accounts for c in cells.values()))


def cell_accounts(scope: Scope, year: int, cell: str | None, page: Any = 1, page_size: Any = 25) -> Page:
    """The scope's accounts in one cell (in every cell when `cell` is None), largest BP first (paginated)."""
    qs = _rad(scope, year)
    if cell is not None:
        qs = qs.filter(cell=check_cell(cell))
    qs = qs.select_related("account", "owner").order_by("-bp", "account_id")
    return paginate(qs, page, page_size)


@dataclass(frozen=True)
class Move:
    before: str  # "" = not placed last year
    after: str
    accounts: int


def transitions(scope: Scope, year: int) -> list[Move]:
    """How the scope's accounts moved between cells from year − 1 to `year` (stayed ones included): one
    GROUP BY on the stored (previous cell, cell)."""
    rows = _rad(scope, year).values("previous_cell", "cell").order_by().annotate(n=Count("id"))
    moves = [Move(r["previous_cell"] or "", r["cell"], r["n"]) for r in rows]
    order = {c: i for i, c in enumerate(("", *dv.RAD_CELLS))}
    return sorted(moves, key=lambda m: (order.get(m.before, 99), order.get(m.after, 99)))


@dataclass(frozen=True)
class FocusRow:
    owner: User
    r_count: int
    d_count: int
    flags: tuple[str, ...]


def focus(scope: Scope, year: int, p: KamValuePolicy | None = None) -> list[FocusRow]:
    """The focus rule per AE (outside sales, role rep) of the scope: their R and D accounts counted and
    flagged when outside [focus_low, focus_high]."""
    p = p or policy()
    rows = (
        _rad(scope, year)
        .values("owner_id")
        .order_by()
        .annotate(
            r=Count("id", filter=Q(cell__startswith="R")), d=Count("id", filter=Q(cell__startswith="D"))
        )
    )
    counts = {r["owner_id"]: (r["r"], r["d"]) for r in rows}
    owners = {
        u.pk: u
        for u in User.objects.filter(pk__in=list(counts), role=User.Role.REP).only(
            "id", "username", "display_name", "first_name", "last_name", "role"
        )
    }
    out = []
    for owner_id, (r, d) in counts.items():
        if owner_id not in owners:
            continue
        check = dv.focus_check(r, d, p.focus_low, p.focus_high)
        out.append(FocusRow(owners[owner_id], r, d, check.flags))
    return sorted(out, key=lambda row: (not row.flags, row.owner.label))


# --- ABC ------------------------------------------------------------------------------------------------


def _abc_window(scope: Scope, year: int, basis: str, p: KamValuePolicy) -> tuple[str, list[Any]]:
    """SQL of the scope's rows with their class *within the scope* (rk, cum, tot, klass), and its params."""
    inner, params = (
        scope.filter(AbcClass.objects.filter(year=year, basis=basis))
        .values("account_id", "value", "owner_id")
        .order_by()
        .query.sql_with_params()
    )
    a, b = format(p.abc_a_pct / 100, "f"), format(p.abc_b_pct / 100, "f")
    sql = f"""
        SELECT w.account_id, w.value, w.owner_id, w.rk, w.cum, w.tot, w.n,
            CASE WHEN w.value <= 0 THEN 'C' WHEN w.cum - w.value < {a} * w.tot THEN 'A'
                 WHEN w.cum - w.value < {b} * w.tot THEN 'B' ELSE 'C' END AS klass
        FROM (
            SELECT s.account_id, s.value, s.owner_id,
                ROW_NUMBER() OVER (ORDER BY s.value DESC, s.account_id) AS rk,
                SUM(CASE WHEN s.value > 0 THEN s.value ELSE 0 END)
                    OVER (ORDER BY s.value DESC, s.account_id ROWS UNBOUNDED PRECEDING) AS cum,
                SUM(CASE WHEN s.value > 0 THEN s.value ELSE 0 END) OVER () AS tot,
                COUNT(*) OVER () AS n
            FROM ({inner}) s
        ) w
    """
    return sql, list(params)


@dataclass(frozen=True)
class AbcFigures:
    klass: str
    accounts: int
    value: Decimal
    share: Decimal | None


@dataclass
class Abc:
    year: int
    basis: str
    classes: list[AbcFigures]
    pareto: list[tuple[int, float]]  # (rank, cumulative share %) at most PARETO_POINTS + 1 points
    total: Decimal
    accounts: int


def whole_company(scope: Scope) -> bool:
    """The admin's default scope: the stored company-wide classes answer as they are."""
    return scope.owner is None and scope.unit is None and scope.unit_ids is None


def _abc_company(year: int, basis: str) -> Abc:
    """The company's classes and Pareto curve straight from the stored rows (rank and cumulative share)."""
    from django.db.models.functions import Mod

    stored = AbcClass.objects.filter(year=year, basis=basis)
    rows = {r["klass"]: r for r in stored.values("klass").order_by().annotate(n=Count("id"), v=Sum("value"))}
    n = sum(r["n"] for r in rows.values())
    step = max(1, n // PARETO_POINTS)
    points = (
        stored.annotate(m=Mod("rank", step))
        .filter(Q(m=0) | Q(rank=n))
        .order_by("rank")
        .values_list("rank", "cum_share")
        if n
        else []
    )
    total = sum((r["v"] or Decimal(0) for r in rows.values()), Decimal(0))
    figures = [
        AbcFigures(
            k,
            rows[k]["n"] if k in rows else 0,
            (rows[k]["v"] or Decimal(0)) if k in rows else Decimal(0),
            ((rows[k]["v"] or Decimal(0)) / total if k in rows else Decimal(0)) if total else None,
        )
        for k in dv.ABC_CLASSES
    ]
    pareto = [(int(rank), float(share) * 100) for rank, share in points] if total else []
    return Abc(year, basis, figures, pareto, total, n)


def abc(scope: Scope, year: int, basis: str, p: KamValuePolicy | None = None) -> Abc:
    """The scope's ABC classes and the Pareto curve, in one statement: the company's as stored; a narrower
    scope's reclassified within the scope from the stored values (a team's A accounts are the team's top 80 %)."""
    if whole_company(scope):
        return _abc_company(year, check_basis(basis))
    p = p or policy()
    window, params = _abc_window(scope, year, check_basis(basis), p)
    sql = f"""
        WITH w AS ({window})
        SELECT 'class', klass, COUNT(*), SUM(value), 0 FROM w GROUP BY klass
        UNION ALL
        SELECT 'point', '', rk, cum, tot FROM w
        WHERE rk = n OR rk %% (CASE WHEN n / {PARETO_POINTS} < 1 THEN 1 ELSE n / {PARETO_POINTS} END) = 0
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    classes = {k: (int(n), Decimal(str(v or 0))) for kind, k, n, v, _t in rows if kind == "class"}
    total = sum((v for _n, v in classes.values()), Decimal(0))
    points = sorted(
        (int(rk), float(Decimal(str(cum)) * 100 / Decimal(str(tot))) if tot else 0.0)
        for kind, _k, rk, cum, tot in rows
        if kind == "point"
    )
    figures = [
        AbcFigures(
            k,
            classes.get(k, (0, Decimal(0)))[0],
            classes.get(k, (0, Decimal(0)))[1],
            classes.get(k, (0, Decimal(0)))[1] / total if total else None,
        )
        for k in dv.ABC_CLASSES
    ]
    return Abc(year, basis, figures, points, total, sum(f.accounts for f in figures))


@dataclass(frozen=True)
class AbcAccountRow:
    account_id: int
    name: str
    owner: str
    value: Decimal
    rank: int
    cum_share: Decimal
    klass: str


def abc_accounts(
    scope: Scope,
    year: int,
    basis: str,
    klass: str | None = None,
    page: Any = 1,
    page_size: Any = 25,
    p: KamValuePolicy | None = None,
) -> Page:
    """The scope's accounts with their class within the scope, by rank (one class, or all), paginated."""
    basis = check_basis(basis)
    if whole_company(scope):
        stored = AbcClass.objects.filter(year=year, basis=basis).order_by("rank")
        if klass:
            stored = stored.filter(klass=check_class(klass))
        found = paginate(stored.select_related("account", "owner"), page, page_size)
        found.items = [
            AbcAccountRow(r.account_id, r.account.name, r.owner.label, r.value, r.rank, r.cum_share, r.klass)
            for r in found.items
        ]
        return found
    p = p or policy()
    number, size = page_numbers(page, page_size)
    window, params = _abc_window(scope, year, check_basis(basis), p)
    where = ""
    if klass:
        where = "WHERE x.klass = %s"
        params = [*params, check_class(klass)]
    sql = f"""
        SELECT x.account_id, x.value, x.owner_id, x.rk, x.cum, x.tot, COUNT(*) OVER () AS matched, x.klass
        FROM ({window}) x {where}
        ORDER BY x.rk LIMIT {size} OFFSET {(number - 1) * size}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    count = int(rows[0][6]) if rows else 0
    if not rows and number > 1:
        return abc_accounts(scope, year, basis, klass, 1, size, p)
    names = dict(Account.objects.filter(pk__in=[r[0] for r in rows]).values_list("id", "name"))
    owners = {u.pk: u.label for u in User.objects.filter(pk__in={r[2] for r in rows})}
    items = [
        AbcAccountRow(
            r[0],
            names.get(r[0], ""),
            owners.get(r[2], ""),
            Decimal(str(r[1])),
            int(r[3]),
            (Decimal(str(r[4])) / Decimal(str(r[5]))) if r[5] else Decimal(0),
            r[7],
        )
        for r in rows
    ]
    return Page(items=items, count=count, page=number, page_size=size)


# --- coverage per territory -------------------------------------------------------------------------


def coverage_days() -> int:
    """The window of "recent activity" in a territory's coverage: the coverage policy's `neglect_days` (an
    account is covered when owned and not neglected), one setting for the coverage and value pages."""
    return CoveragePolicy.current().neglect_days


@dataclass(frozen=True)
class Territory:
    unit_id: int | None
    name: str
    accounts: int
    covered: int
    rate: Decimal | None


def coverage(
    scope: Scope, *, by: str = "team", days: int | None = None, today: date | None = None
) -> list[Territory]:
    """Per territory (the account's team, or its region): the accounts covered — owned by an active seller
    and with a done activity in the last `days` days (by default the coverage policy's), the coverage part's
    own predicates (kadence.keyaccounts.coverage.selectors.recent_activity, unowned_accounts_q) — ÷ all the
    scope's accounts there. The window is the coverage policy's `neglect_days`: covered is owned and not
    neglected, one setting for both pages."""
    if by not in ("team", "region"):
        raise ValidationFailed(_("Choose team or region."), {"by": [_("Choose team or region.")]})
    days = days or coverage_days()
    rows = (
        scope.filter(Account.objects.all())
        .annotate(
            recent=recent_activity(today or timezone.localdate(), days),
            unowned=ExpressionWrapper(unowned_accounts_q(), output_field=BooleanField()),
        )
        .values(f"{by}_id")
        .order_by()
        .annotate(n=Count("id"), covered=Count("id", filter=Q(recent=True, unowned=False)))
    )
    rows = list(rows)
    names = {u.pk: u.name for u in OrgUnit.objects.filter(pk__in=[r[f"{by}_id"] for r in rows])}
    out = [
        Territory(
            r[f"{by}_id"],
            names.get(r[f"{by}_id"], _("(none)")),
            r["n"],
            r["covered"],
            dv.coverage_rate(r["n"], r["covered"]),
        )
        for r in rows
    ]
    return sorted(out, key=lambda t: (t.rate is None, t.rate or 0, t.name))
