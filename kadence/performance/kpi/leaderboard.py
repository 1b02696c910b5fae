"""The performance leaderboards (issue 14 §5): per seller and team, for a month or a quarter, by revenue
attainment, growth, win rate, sales velocity and forecast accuracy, each with its definition on screen.

It is the rhythm's effort leaderboard (kadence.rhythm.quotas.effort) with other columns: the same
scope, ranking, team totals, page shape and export. Each column reads all the sellers at once in one or
two grouped queries from the maintained summaries (won totals, stage flows, pipeline totals)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy

from kadence.core.models import User
from kadence.domain import funnel
from kadence.domain import kpi as dk
from kadence.domain.periods import Period, month_bounds
from kadence.performance.kpi.measures import won_by_owner, year_before
from kadence.performance.kpi.services import scoring_period
from kadence.pipeline.expressions import qualified
from kadence.pipeline.ladder import level_ladder
from kadence.pipeline.models import PipelineTotal, StageFlow
from kadence.planning.selectors.forecast import snapshots_of_record
from kadence.planning.selectors.targets import seller_targets
from kadence.rhythm.quotas.effort import EffortBoard, EffortColumn, effort_board

PERIODS = ("month", "quarter")
ZERO = Decimal(0)


def _period(start: date, end: date) -> Period:
    """The board's month or quarter from its bounds (the board only offers those two)."""
    return Period("month" if end == month_bounds(start)[1] else "quarter", start)


def _people(user_ids: Sequence[int]) -> list[User]:
    return list(User.objects.filter(pk__in=list(user_ids)).only("id", "org_unit_id"))


def attainment(user_ids: Sequence[int], start: date, end: date) -> dict[int, Any]:
    """Won amount closed in the period ÷ the seller's target of the period × 100 (three queries)."""
    period = _period(start, end)
    won = won_by_owner(_people(user_ids), period)
    targets = seller_targets(list(user_ids), period.kind, period.start)
    return {uid: dk.pct(won[uid], target) for uid, target in targets.items()}


def growth(user_ids: Sequence[int], start: date, end: date) -> dict[int, Any]:
    """Won amount vs the same period a year before, in % (three queries)."""
    period = _period(start, end)
    people = _people(user_ids)
    won, before = won_by_owner(people, period), won_by_owner(people, year_before(period))
    return {uid: dk.growth_pct(won[uid], before[uid]) for uid in user_ids}


def _flows(user_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, Any]]:
    rows = (
        StageFlow.objects.filter(
            owner_id__in=list(user_ids), kind__in=("won", "lost"), month__gte=start, month__lte=end
        )
        .order_by()
        .values("owner_id")
        .annotate(
            won=Sum("count", filter=Q(kind="won")),
            lost=Sum("count", filter=Q(kind="lost")),
            won_amount=Sum("amount", filter=Q(kind="won")),
            cycle=Sum("cycle_days", filter=Q(kind="won")),
        )
    )
    return {r["owner_id"]: r for r in rows}


def win_rate(user_ids: Sequence[int], start: date, end: date) -> dict[int, Any]:
    """Deals won ÷ deals closed (won + lost) in the period × 100 (one query)."""
    out = {}
    for uid, row in _flows(user_ids, start, end).items():
        rate = funnel.win_rate(row["won"] or 0, row["lost"] or 0)
        out[uid] = None if rate is None else dk.round2(rate * dk.HUNDRED)
    return out


def velocity(user_ids: Sequence[int], start: date, end: date) -> dict[int, Any]:
    """Sales velocity (money per day) = open qualified deals × win rate × average won amount ÷ average
    cycle days, from the period's wins and losses and today's open qualified deals (three queries)."""
    flows = _flows(user_ids, start, end)
    open_rows = (
        PipelineTotal.objects.filter(qualified(level_ladder()), owner_id__in=list(flows), count__gt=0)
        .order_by()
        .values("owner_id")
        .annotate(n=Sum("count"))
    )
    open_qualified = {r["owner_id"]: r["n"] or 0 for r in open_rows}
    out = {}
    for uid, row in flows.items():
        value = funnel.velocity_from_sums(
            open_qualified.get(uid, 0),
            row["won"] or 0,
            row["lost"] or 0,
            row["won_amount"] or ZERO,
            row["cycle"] or 0,
        )
        out[uid] = None if value is None else dk.round2(value)
    return out


def forecast_accuracy(user_ids: Sequence[int], start: date, end: date) -> dict[int, Any]:
    """100 − |forecast − won| ÷ won × 100 (at least 0), the forecast of record being the snapshot
    nearest the period start (three queries)."""
    period = _period(start, end)
    won = won_by_owner(_people(user_ids), period)
    forecasts = snapshots_of_record(
        period.kind, [period.start], Q(user_id__in=list(user_ids), unit__isnull=True)
    )
    found = {uid: value for (uid, _unit, _start), value in forecasts.items() if uid is not None}
    return {uid: dk.forecast_accuracy_pct(value, won[uid]) for uid, value in found.items()}


COLUMNS: list[EffortColumn] = [
    EffortColumn(
        "attainment",
        gettext_lazy("Attainment"),
        gettext_lazy(
            "Won amount closed in the period ÷ the seller's target of the period. No target: blank."
        ),
        attainment,
        kind="percent",
        total="mean",
    ),
    EffortColumn(
        "growth",
        gettext_lazy("Growth"),
        gettext_lazy(
            "(Won amount of the period − the same period a year before) ÷ the year-before amount. Nothing "
            "won a year before: blank."
        ),
        growth,
        kind="percent",
        total="mean",
    ),
    EffortColumn(
        "win_rate",
        gettext_lazy("Win rate"),
        gettext_lazy("Deals won ÷ deals closed (won or lost) in the period. Nothing closed: blank."),
        win_rate,
        kind="percent",
        total="mean",
    ),
    EffortColumn(
        "velocity",
        gettext_lazy("Sales velocity"),
        gettext_lazy(
            "Open qualified deals today × the period's win rate × average won amount ÷ average days from "
            "creation to win: money per day. A team's is the sum of its sellers'."
        ),
        velocity,
        kind="money",
        total="sum",
    ),
    EffortColumn(
        "forecast_accuracy",
        gettext_lazy("Forecast accuracy"),
        gettext_lazy(
            "100 − |forecast − won| ÷ won × 100, at least 0; the forecast is the seller's snapshot nearest "
            "the period start. No forecast: blank."
        ),
        forecast_accuracy,
        kind="percent",
        total="mean",
    ),
]


def performance_board(
    user: User,
    *,
    period: str,
    day: date,
    unit_id: int | None = None,
    owner_id: int | None = None,
    sort: str = "",
) -> EffortBoard:
    """The performance leaderboard of the user's scope for the month or quarter holding `day`."""
    scoring_period(period, day)  # month or quarter only (422 otherwise)
    return effort_board(
        user, period=period, day=day, unit_id=unit_id, owner_id=owner_id, sort=sort, columns=COLUMNS
    )
