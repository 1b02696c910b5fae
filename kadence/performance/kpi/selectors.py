"""KPI reads: a seller's card (their own, or one of a manager's sellers) with how each figure was
computed; the cards of a scope for a period; the annual ranking into the five grades; the KPI
definitions and their history; a card recomputed from what it stored (the reproducibility check)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from kadence.core.i18n import in_language
from kadence.core.models import User
from kadence.core.visibility import Scope, quota_sellers, resolve_scope
from kadence.domain import kpi as dk
from kadence.domain.periods import Period
from kadence.performance.kpi.models import (
    METRIC_DEFINITIONS,
    GradeBand,
    KpiDefinition,
    KpiManualInput,
    KpiMetric,
    Scorecard,
    ScorecardLine,
)
from kadence.performance.kpi.services import scoring_period


def bands() -> list[GradeBand]:
    """The grade bands, best first (one query)."""
    return list(GradeBand.objects.order_by("-min_score"))


def grade_names() -> dict[str, str]:
    return {b.code: b.name for b in bands()}


def line_explanation(line: ScorecardLine) -> str:
    """How a line's actual was computed, in words, from its stored inputs."""
    inputs = {k: ("—" if v is None else v) for k, v in (line.inputs or {}).items()}
    metric = line.metric
    if metric == KpiMetric.REVENUE:
        return _("won %(won)s ÷ target %(target)s × 100") % inputs
    if metric == KpiMetric.GROWTH:
        return _("(won %(won)s − a year before %(won_year_before)s) ÷ %(won_year_before)s × 100") % inputs
    if metric == KpiMetric.NEW_CUSTOMERS:
        return _("%(new_customers)s new customers ÷ quota %(quota)s × 100") % inputs
    if metric == KpiMetric.NEW_OLD_RATIO:
        return _("%(new_customers)s new ÷ %(old_customers)s old customers × 100") % inputs
    if metric == KpiMetric.EFFECTIVE_VISITS:
        return _("%(effective_visits)s effective visits ÷ quota %(quota)s × 100") % inputs
    if metric == KpiMetric.FORECAST_ACCURACY:
        return _("100 − |forecast %(forecast)s − won %(won)s| ÷ %(won)s × 100") % inputs
    if metric == KpiMetric.EXPENSE_RATIO:
        return _("expenses %(expenses)s ÷ won %(won)s × 100") % inputs
    if metric == KpiMetric.GATE_COMPLIANCE:
        return _("(%(advances)s advances − %(overridden)s without evidence) ÷ %(advances)s × 100") % inputs
    return _("entered: %(entered)s") % inputs


@dataclass
class CardView:
    card: Scorecard
    lines: list[tuple[ScorecardLine, str, str]]  # line, its name, how its actual was computed
    grade: str


def _view(card: Scorecard, names: dict[str, str]) -> CardView:
    lines = [
        (line, in_language(line.name_zh, line.name_en), line_explanation(line)) for line in card.lines.all()
    ]
    return CardView(card, lines, names.get(card.grade, card.grade))


def scorecard_detail(
    user: User, *, period: str, day: date, owner_id: int | None = None
) -> tuple[Scope, Period, CardView | None]:
    """The card of one seller (default: the user themselves) for the month or quarter holding `day`:
    None when the period was not scored. Outside the user's reach: NotFound."""
    when = scoring_period(period, day)
    scope = resolve_scope(user, owner_id=owner_id or user.pk)
    assert scope.owner is not None
    card = (
        Scorecard.objects.filter(user=scope.owner, period_kind=when.kind, period_start=when.start)
        .select_related("user", "unit", "computed_by")
        .prefetch_related(Prefetch("lines", queryset=ScorecardLine.objects.order_by("sort_order", "id")))
        .first()
    )
    return scope, when, _view(card, grade_names()) if card else None


@dataclass
class TeamCards:
    scope: Scope
    period: Period
    cards: list[Scorecard]
    unscored: list[User]
    distribution: list[tuple[str, str, int]]  # code, name, count
    names: dict[str, str]


def team_scorecards(user: User, *, period: str, day: date, unit_id: int | None = None) -> TeamCards:
    """The cards of the scope's sellers (a manager: their teams; a director: their regions; an admin:
    the company; or the unit chosen) for the period, best first, with the sellers not scored and the
    grade distribution. Four queries."""
    when = scoring_period(period, day)
    scope = resolve_scope(user, unit_id=unit_id)
    people = list(quota_sellers(scope).select_related("org_unit"))
    cards = list(
        Scorecard.objects.filter(
            user_id__in=[p.pk for p in people], period_kind=when.kind, period_start=when.start
        )
        .select_related("user", "unit")
        .order_by("-total", "user__display_name", "user_id")
    )
    scored = {c.user_id for c in cards}
    names = grade_names()
    counts = Counter(c.grade for c in cards)
    distribution = [(code, name, counts.get(code, 0)) for code, name in names.items()]
    unscored = [p for p in people if p.pk not in scored]
    return TeamCards(scope, when, cards, unscored, distribution, names)


@dataclass
class RankRow:
    rank: int
    user: User
    quarters: list[Decimal | None]
    score: Decimal | None
    grade: str
    grade_name: str


@dataclass
class AnnualRanking:
    scope: Scope
    year: int
    rows: list[RankRow]
    distribution: list[tuple[str, str, int]]


def annual_ranking(user: User, *, year: int, unit_id: int | None = None) -> AnnualRanking:
    """The year's ranking of the scope's sellers: each seller's score is the mean of their scored
    quarterly totals (kadence.domain.kpi.annual_score), graded by the bands in force, best first.
    Four queries."""
    scope = resolve_scope(user, unit_id=unit_id)
    people = {p.pk: p for p in quota_sellers(scope).select_related("org_unit")}
    quarters: dict[int, list[Decimal | None]] = defaultdict(lambda: [None] * 4)
    rows = Scorecard.objects.filter(
        user_id__in=list(people), period_kind="quarter", period_start__year=year
    ).values_list("user_id", "period_start", "total")
    for uid, start, total in rows:
        quarters[uid][(start.month - 1) // 3] = total
    grade_rows = bands()
    graded = [dk.Band(b.code, b.min_score) for b in grade_rows]
    names = {b.code: b.name for b in grade_rows}
    ranked = []
    for uid, person in people.items():
        score = dk.annual_score(quarters[uid]) if uid in quarters else None
        code = dk.grade(score, graded)
        ranked.append(
            RankRow(
                0, person, quarters[uid] if uid in quarters else [None] * 4, score, code, names.get(code, "")
            )
        )
    ranked.sort(key=lambda r: (r.score is None, -(r.score or 0), r.user.label))
    for index, row in enumerate(ranked, start=1):
        row.rank = index
    counts = Counter(r.grade for r in ranked if r.score is not None)
    distribution = [(b.code, b.name, counts.get(b.code, 0)) for b in grade_rows]
    return AnnualRanking(scope, year, ranked, distribution)


def definitions() -> list[KpiDefinition]:
    """Every KPI, by role and order (one query)."""
    return list(KpiDefinition.objects.order_by("role", "sort_order", "id"))


def metric_definitions() -> list[tuple[str, str, str]]:
    return [(m.value, str(m.label), str(METRIC_DEFINITIONS[m])) for m in KpiMetric]


def manual_inputs(user: User, *, period: str, day: date, unit_id: int | None = None) -> list[KpiManualInput]:
    """The manual figures entered for the scope's sellers in the period."""
    when = scoring_period(period, day)
    scope = resolve_scope(user, unit_id=unit_id)
    return list(
        KpiManualInput.objects.filter(
            user__in=quota_sellers(scope), period_kind=when.kind, period_start=when.start
        ).select_related("user", "definition")
    )


def scorecard_rescore(card: Scorecard) -> dk.CardScore:
    """The card recomputed from its stored lines (definition figures and actuals) and bands: equal to
    the stored scores when the card is reproducible."""
    lines = list(card.lines.order_by("sort_order", "id"))
    return dk.score_card(
        [dk.Line(x.weight, x.target, x.curve, x.floor, x.lower_is_better, x.actual) for x in lines],
        [dk.Band(b["code"], Decimal(b["min_score"])) for b in card.bands],
    )
