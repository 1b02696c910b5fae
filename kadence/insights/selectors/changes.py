"""What changed in the pipeline between two dates (漏斗变化, METHODOLOGY §10.5, issue 11 §4): the first block
of the weekly review. For a scope and a window (from the end of `date_from` to the end of `date_to`):

- the **opening** pipeline (the scope's open deals at the end of `date_from`) and the **closing** one
  (at the end of `date_to`), count and amount;
- what moved the total between them: **new** deals (created in the window, open at its end),
  **reopened** ones, **amount up** and **amount down** (the change of deals open at both ends), **won**
  and **lost** (at the amount they had at the opening). They reconcile exactly:
  closing = opening + new + reopened + up − down − won − lost (amounts; counts without up and down);
- what moved inside it, without changing the total: **pulled in** and **pushed out** (an earlier or later
  close date), **moved forward** and **moved back** (a later or earlier stage), counted at the deal's
  closing amount;
- the deals behind every bar, one page at a time.

A deal's state at the end of a day is its history row with the highest id among those written before
then (kadence.pipeline.changes keeps every change in the history). Only deals with a history row after
the opening can differ between the two ends, so the report reads those rows and the scope's open
pipeline now (PipelineTotal): the opening and closing totals are today's minus what changed since. Its
cost follows the deals changed since `date_from`, not the table: the window starts at most
MAX_DAYS_BACK days ago. Deals count under their current owner and team, as in every report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.core.errors import ValidationFailed
from kadence.core.models import User
from kadence.core.pagination import Page, page_numbers
from kadence.core.validation import clean_date
from kadence.core.visibility import IdIn, Scope, resolve_scope
from kadence.pipeline.models import Opportunity, PipelineTotal, Stage, StageChange
from kadence.pipeline.month_ends import end_of

ZERO = Decimal(0)
MAX_DAYS_BACK = 92  # the window's start, at most this many days before today
DEFAULT_DAYS = 7  # last week

# the bars, in the order of the waterfall; `sign` is how a bar moves the total (0: inside it)
BARS: tuple[tuple[str, int], ...] = (
    ("opening", 0),
    ("new", 1),
    ("reopened", 1),
    ("amount_up", 1),
    ("amount_down", -1),
    ("won", -1),
    ("lost", -1),
    ("closing", 0),
    ("pulled_in", 0),
    ("pushed_out", 0),
    ("moved_forward", 0),
    ("moved_back", 0),
)
CODES = tuple(code for code, _sign in BARS)
MOVES_TOTAL = ("new", "reopened", "amount_up", "amount_down", "won", "lost")
LABELS = {
    "opening": gettext_lazy("Opening pipeline"),
    "new": gettext_lazy("New"),
    "reopened": gettext_lazy("Reopened"),
    "amount_up": gettext_lazy("Amount up"),
    "amount_down": gettext_lazy("Amount down"),
    "won": gettext_lazy("Won"),
    "lost": gettext_lazy("Lost"),
    "closing": gettext_lazy("Closing pipeline"),
    "pulled_in": gettext_lazy("Pulled in"),
    "pushed_out": gettext_lazy("Pushed out"),
    "moved_forward": gettext_lazy("Moved forward"),
    "moved_back": gettext_lazy("Moved back"),
}


@dataclass(frozen=True)
class State:
    """A deal as one history row says it was."""

    status: str
    amount: Decimal
    stage_id: int
    close: date

    @property
    def open(self) -> bool:
        return self.status == Opportunity.Status.OPEN


@dataclass
class Bar:
    """`amount`: what the bar adds to or takes from the total (always ≥ 0; `sign` says which), or, for
    a bar inside the total, the closing amount of its deals."""

    code: str
    sign: int
    count: int = 0
    amount: Decimal = ZERO

    @property
    def label(self) -> str:
        return str(LABELS[self.code])


@dataclass(frozen=True)
class DealChange:
    """One deal behind a bar: its state at both ends (None before it existed)."""

    opp: Opportunity
    before: State | None
    after: State | None
    bars: tuple[str, ...]

    @property
    def delta(self) -> Decimal:
        return (self.after.amount if self.after else ZERO) - (self.before.amount if self.before else ZERO)


@dataclass(frozen=True)
class ChangesReport:
    scope: Scope
    date_from: date
    date_to: date
    bars: list[Bar]
    bar: str | None
    page: Page
    stages: dict[int, Stage] = field(default_factory=dict)

    def get(self, code: str) -> Bar:
        return next(b for b in self.bars if b.code == code)


def window(date_from: date | None, date_to: date | None, today: date) -> tuple[date, date]:
    """The window asked for, checked: both dates today or earlier, `date_from` before `date_to` and at
    most MAX_DAYS_BACK days back (422 otherwise). Default: the last DEFAULT_DAYS days."""
    clean_date(date_from, "date_from")
    clean_date(date_to, "date_to")
    date_to = date_to or today
    date_from = date_from or date_to - timedelta(days=DEFAULT_DAYS)
    errors: dict[str, list[str]] = {}
    if date_to > today:
        errors["date_to"] = [_("Use today or an earlier date.")]
    if date_from >= date_to:
        errors["date_from"] = [_("Choose a day before the end of the window.")]
    elif date_from < today - timedelta(days=MAX_DAYS_BACK):
        errors["date_from"] = [_("Choose a day at most %(days)d days ago.") % {"days": MAX_DAYS_BACK}]
    if errors:
        raise ValidationFailed(_("The window is not valid."), errors)
    return date_from, date_to


STATE_COLUMNS = ("status", "amount", "to_stage_id", "expected_close_date")
FETCH = 10_000  # history rows read by primary key per query


def _state_at(moment: Any) -> Subquery:
    """The id of the deal's history row in force at `moment` (the highest id written before it)."""
    return Subquery(
        StageChange.objects.filter(opportunity_id=OuterRef("pk"), changed_at__lt=moment)
        .order_by("-id")
        .values("id")[:1]
    )


def deal_states(
    scope: Scope, start: date, end: date, today: date
) -> dict[int, tuple[State | None, State | None, State | None]]:
    """Per deal of the scope with a history row after the end of `start`: its state then, at the end
    of `end`, and now: the deal's row now, each past state by one probe of the deal's own rows (index
    on opportunity, changed_at) and then read by primary key."""
    opening = end_of(start)
    # The deals changed since the opening, found through the rows' own owner and team (indexes
    # stagechange_owner_at / stagechange_team_at): a deal of the scope changed since then has its last
    # row since then, and that row names its current owner and team. Then those deals by primary key,
    # kept if they are in the scope now (a row's team is the one the deal had then).
    rows = scope.filter(StageChange.objects.filter(changed_at__gte=opening))
    changed = rows.order_by().values("opportunity_id").distinct()
    deals = scope.filter(Opportunity.objects.filter(IdIn(F("pk"), Subquery(changed)))).order_by()
    # the state now is the deal's own row (the history's last row says the same); today, the closing
    # is now
    moments = {"before": opening, "after": end_of(end) if end < today else None}
    names = [name for name, moment in moments.items() if moment is not None]
    deals = deals.annotate(**{name: _state_at(moments[name]) for name in names})
    listed = list(deals.values_list("pk", "status", "amount", "stage_id", "expected_close_date", *names))
    ids = sorted({ref for row in listed for ref in row[5:] if ref is not None})
    states: dict[int, State] = {}
    for first in range(0, len(ids), FETCH):  # by primary key, in batches (SQLite's parameter limit)
        rows_of = StageChange.objects.filter(pk__in=ids[first : first + FETCH])
        states.update({pk: State(*rest) for pk, *rest in rows_of.values_list("id", *STATE_COLUMNS)})
    found: dict[int, tuple[State | None, State | None, State | None]] = {}
    for opp_id, status, amount, stage_id, close, *refs in listed:
        now = State(status, amount, stage_id, close)
        by_name = dict(zip(names, refs, strict=True))
        after = states.get(by_name["after"]) if "after" in by_name else now
        found[opp_id] = (states.get(by_name["before"]), after, now)
    return found


def shown_amount(before: State | None, after: State | None) -> Decimal:
    state = after or before
    return state.amount if state is not None else ZERO


def _now_totals(scope: Scope) -> tuple[int, Decimal]:
    row = scope.filter(PipelineTotal.objects.all()).aggregate(n=Sum("count"), amount=Sum("amount"))
    return int(row["n"] or 0), Decimal(row["amount"] or 0)


def classify(before: State | None, after: State | None, order: dict[int, int]) -> tuple[str, ...]:
    """The bars a deal falls in, from its state at the opening and at the closing."""
    was, is_ = before is not None and before.open, after is not None and after.open
    if before is not None and after is not None and was and is_:
        bars = []
        if after.amount > before.amount:
            bars.append("amount_up")
        elif after.amount < before.amount:
            bars.append("amount_down")
        if after.close < before.close:
            bars.append("pulled_in")
        elif after.close > before.close:
            bars.append("pushed_out")
        if order.get(after.stage_id, 0) > order.get(before.stage_id, 0):
            bars.append("moved_forward")
        elif order.get(after.stage_id, 0) < order.get(before.stage_id, 0):
            bars.append("moved_back")
        return tuple(bars)
    if was:
        return ("won",) if after is not None and after.status == Opportunity.Status.WON else ("lost",)
    if is_:
        return ("new",) if before is None else ("reopened",)
    return ()


def _bar_amount(code: str, before: Decimal, after: Decimal) -> Decimal:
    """What a deal adds to a bar: the change of amount, the opening amount of a deal that closed, the
    closing amount otherwise."""
    if code == "amount_up":
        return after - before
    if code == "amount_down":
        return before - after
    return before if code in ("won", "lost") else after


def pipeline_changes(
    user: User,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    unit_id: int | None = None,
    owner_id: int | None = None,
    bar: str | None = None,
    page: int | str | None = 1,
    page_size: int | str | None = 50,
    everything: bool = False,
) -> ChangesReport:
    """The pipeline changes of the scope `user` asks for over the window (see the module docstring),
    with one page of the deals behind `bar` (all of them with `everything`: the export)."""
    today = timezone.localdate()
    date_from, date_to = window(date_from, date_to, today)
    if bar is not None and (bar not in CODES or bar in ("opening", "closing")):
        raise ValidationFailed(
            _("Unknown bar."),
            {
                "bar": [
                    _("Choose one of the changes: %(codes)s.") % {"codes": ", ".join(CODES[1:7] + CODES[8:])}
                ]
            },
        )
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    rows = deal_states(scope, date_from, date_to, today)
    stages = {s.pk: s for s in Stage.objects.all()}
    order = {pk: s.order for pk, s in stages.items()}
    bars = {code: Bar(code, sign) for code, sign in BARS}
    now_n, now_amount = _now_totals(scope)
    open_n, open_amount, close_n, close_amount = now_n, now_amount, now_n, now_amount
    behind: list[tuple[int, State | None, State | None, tuple[str, ...]]] = []
    for opp_id, (before, after, now) in rows.items():
        # today's totals, less what changed since each end
        if now is not None and now.open:
            open_n, open_amount, close_n, close_amount = (
                open_n - 1,
                open_amount - now.amount,
                close_n - 1,
                close_amount - now.amount,
            )
        if before and before.open:
            open_n, open_amount = open_n + 1, open_amount + before.amount
        if after and after.open:
            close_n, close_amount = close_n + 1, close_amount + after.amount
        codes = classify(before, after, order)
        was = before.amount if before is not None else ZERO
        is_ = after.amount if after is not None else ZERO
        for code in codes:
            bars[code].count += 1
            bars[code].amount += _bar_amount(code, was, is_)
        if bar in codes:
            behind.append((opp_id, before, after, codes))
    bars["opening"].count, bars["opening"].amount = open_n, open_amount
    bars["closing"].count, bars["closing"].amount = close_n, close_amount
    behind.sort(key=lambda item: (-shown_amount(item[1], item[2]), item[0]))  # the largest deals first
    number, size = page_numbers(page, page_size)
    if everything:
        number, size = 1, max(1, len(behind))
    number = min(number, max(1, -(-len(behind) // size)))
    chunk = behind[(number - 1) * size : number * size]
    deals = Opportunity.objects.select_related("account", "owner", "team", "stage").in_bulk(
        [opp_id for opp_id, *_rest in chunk]
    )
    items = [DealChange(deals[opp_id], b, a, codes) for opp_id, b, a, codes in chunk if opp_id in deals]
    return ChangesReport(
        scope=scope,
        date_from=date_from,
        date_to=date_to,
        bars=[bars[code] for code in CODES],
        bar=bar,
        page=Page(items=items, count=len(behind), page=number, page_size=size),
        stages=stages,
    )


def reconciles(report: ChangesReport) -> bool:
    """closing = opening + the bars that move the total (counts and amounts)."""
    opening, closing = report.get("opening"), report.get("closing")
    amount = opening.amount + sum((report.get(c).sign * report.get(c).amount for c in MOVES_TOTAL), ZERO)
    count = opening.count + sum(
        report.get(c).sign * report.get(c).count for c in MOVES_TOTAL if c not in ("amount_up", "amount_down")
    )
    return (count, amount) == (closing.count, closing.amount)
