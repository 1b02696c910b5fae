"""KPI scorecards and the performance leaderboard over the API (issue 14 §4, §5).

- GET /api/performance/kpi/scorecard — a seller's card for a period (your own, or ?owner_id=);
- GET /api/performance/kpi/scorecards — the cards of your scope for a period, with the grades;
- GET /api/performance/kpi/ranking — the annual ranking into the five grades;
- GET /api/performance/kpi/definitions — the KPIs, the grade bands and the metric definitions;
  POST (admin) adds a KPI, PATCH /api/performance/kpi/definitions/{id} (admin) changes one;
- POST /api/performance/kpi/inputs — a manager enters a manual figure;
- POST /api/performance/kpi/score — a manager, director or admin scores a period;
- GET /api/performance/leaderboard — attainment, growth, win rate, velocity, forecast accuracy.

Figures are decimal strings; scores are 0–100, percentages 75.0 = 75 %."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import Clean, Day, ErrorOut, Id, IdPath, In, Money, PatchIn, Version
from kadence.performance.kpi import selectors, services
from kadence.performance.kpi.leaderboard import performance_board
from kadence.performance.kpi.models import Curve, KpiDefinition, KpiMetric
from kadence.rhythm.quotas.api import board_out

router = Router(tags=["performance: KPI scorecards"])

PeriodIn = Literal["month", "quarter"]
RoleIn = Literal["rep", "inside", "manager", "director", "admin"]
if TYPE_CHECKING:
    MetricIn = str
    CurveIn = str
else:
    MetricIn = Literal[tuple(KpiMetric.values)]
    CurveIn = Literal[tuple(Curve.values)]


class PeriodQuery(Clean):
    period: PeriodIn = Field("month", description="month or quarter.")
    day: Day | None = Field(None, description="Any day of the period; default today.")


class CardQuery(PeriodQuery):
    owner_id: Id | None = Field(None, description="A seller in your reach; default yourself.")


class TeamQuery(PeriodQuery):
    unit_id: Id | None = Field(None, description="A unit in your reach; default your scope.")


class BoardQuery(TeamQuery):
    owner_id: Id | None = Field(None, description="One seller in your reach.")
    sort: str = Field("", max_length=40, description="A column key to rank by; default attainment.")


class RankingQuery(Clean):
    year: int | None = Field(None, ge=2000, le=2100, description="Default this year.")
    unit_id: Id | None = None


class LineOut(Schema):
    code: str
    name: str
    metric: str
    weight: Decimal
    target: Decimal
    curve: str
    floor: Decimal
    lower_is_better: bool
    definition_version: int
    actual: Decimal | None
    inputs: dict[str, Any]
    how: str
    score: Decimal | None
    points: Decimal | None


class CardOut(Schema):
    seller_id: int
    seller: str
    period: str
    label: str
    start: date
    end: date
    total: Decimal | None
    grade: str
    grade_name: str
    computed_at: Any
    version: int
    lines: list[LineOut]


class CardEnvelope(Schema):
    scorecard: CardOut | None


class TeamCardOut(Schema):
    seller_id: int
    seller: str
    unit_id: int | None
    total: Decimal | None
    grade: str


class GradeCountOut(Schema):
    code: str
    name: str
    sellers: int


class TeamOut(Schema):
    period: str
    label: str
    scope: str
    cards: list[TeamCardOut]
    unscored: list[int]
    grades: list[GradeCountOut]


class RankOut(Schema):
    rank: int
    seller_id: int
    seller: str
    quarters: list[Decimal | None]
    score: Decimal | None
    grade: str


class RankingOut(Schema):
    year: int
    scope: str
    rows: list[RankOut]
    grades: list[GradeCountOut]


class DefinitionOut(Schema):
    id: int
    role: str
    code: str
    name_zh: str
    name_en: str
    metric: str
    weight: Decimal
    target: Decimal
    curve: str
    floor: Decimal
    sort_order: int
    is_active: bool
    version: int


class GradeBandOut(Schema):
    code: str
    name: str
    min_score: Decimal


class MetricOut(Schema):
    key: str
    label: str
    definition: str


class DefinitionsOut(Schema):
    items: list[DefinitionOut]
    grades: list[GradeBandOut]
    metrics: list[MetricOut]


class DefinitionIn(In):
    role: RoleIn
    code: str = Field(min_length=1, max_length=40, pattern=r"^[-a-z0-9_]+$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    metric: MetricIn
    weight: Decimal = Field(ge=0, le=1000, max_digits=8, decimal_places=2)
    target: Decimal = Field(ge=0, lt=Decimal("1e10"), max_digits=14, decimal_places=2)
    curve: CurveIn = "linear"
    floor: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    sort_order: int = Field(0, ge=0, le=1000)
    is_active: bool = True


class DefinitionPatch(PatchIn):
    version: Version
    name_zh: str | None = Field(None, min_length=1, max_length=200)
    name_en: str | None = Field(None, min_length=1, max_length=200)
    metric: MetricIn | None = None
    weight: Decimal | None = Field(None, ge=0, le=1000, max_digits=8, decimal_places=2)
    target: Decimal | None = Field(None, ge=0, lt=Decimal("1e10"), max_digits=14, decimal_places=2)
    curve: CurveIn | None = None
    floor: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    sort_order: int | None = Field(None, ge=0, le=1000)
    is_active: bool | None = None


class InputIn(In):
    seller_id: Id
    definition_id: Id
    period: PeriodIn = "month"
    day: Day
    value: Decimal = Field(gt=Decimal("-1e10"), lt=Decimal("1e10"), max_digits=14, decimal_places=2)
    note: str = Field("", max_length=500)
    version: Version | None = Field(None, description="The version you read, to change an entered figure.")


class InputOut(Schema):
    id: int
    seller_id: int
    definition_id: int
    period: str
    start: date
    value: Decimal
    note: str
    version: int


class ScoreIn(In):
    period: PeriodIn = "month"
    day: Day
    unit_id: Id | None = None


class ScoreOut(Schema):
    scored: int


class BoardColumnOut(Schema):
    key: str
    label: str
    definition: str
    kind: str


class BoardRowOut(Schema):
    name: str
    user_id: int | None
    unit_id: int | None
    reps: int
    values: dict[str, Money | None]


class BoardOut(Schema):
    period: str
    label: str
    start: date
    end: date
    scope: str
    sort: str
    columns: list[BoardColumnOut]
    reps: list[BoardRowOut]
    teams: list[BoardRowOut]


def _definition_out(d: KpiDefinition) -> dict[str, Any]:
    fields = ("id", "role", "code", "name_zh", "name_en", "metric", "weight", "target", "curve", "floor")
    return {
        **{f: getattr(d, f) for f in fields},
        "sort_order": d.sort_order,
        "is_active": d.is_active,
        "version": d.version,
    }


def _grades(distribution: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    return [{"code": c, "name": n, "sellers": k} for c, n, k in distribution]


@router.get("/performance/kpi/scorecard", response={200: CardEnvelope, codes_4xx: ErrorOut})
def scorecard(request: ApiRequest, query: Query[CardQuery]) -> dict[str, Any]:
    """A seller's card for the month or quarter holding `day` (null when not scored), each line with
    the definition's figures it was scored with, the inputs and how the actual was computed."""
    scope, when, view = selectors.scorecard_detail(
        request.auth, period=query.period, day=query.day or timezone.localdate(), owner_id=query.owner_id
    )
    if view is None:
        return {"scorecard": None}
    card = view.card
    return {
        "scorecard": {
            "seller_id": card.user_id,
            "seller": card.user.label,
            "period": when.kind,
            "label": when.label,
            "start": when.start,
            "end": when.end,
            "total": card.total,
            "grade": card.grade,
            "grade_name": view.grade,
            "computed_at": card.computed_at,
            "version": card.version,
            "lines": [
                {
                    "code": line.code,
                    "name": name,
                    "metric": line.metric,
                    "weight": line.weight,
                    "target": line.target,
                    "curve": line.curve,
                    "floor": line.floor,
                    "lower_is_better": line.lower_is_better,
                    "definition_version": line.definition_version,
                    "actual": line.actual,
                    "inputs": line.inputs,
                    "how": how,
                    "score": line.score,
                    "points": line.points,
                }
                for line, name, how in view.lines
            ],
        }
    }


@router.get("/performance/kpi/scorecards", response={200: TeamOut, codes_4xx: ErrorOut})
def scorecards(request: ApiRequest, query: Query[TeamQuery]) -> dict[str, Any]:
    """The cards of your scope (or the unit chosen) for the period, best first, the sellers not scored
    and the number of sellers per grade."""
    team = selectors.team_scorecards(
        request.auth, period=query.period, day=query.day or timezone.localdate(), unit_id=query.unit_id
    )
    return {
        "period": team.period.kind,
        "label": team.period.label,
        "scope": str(team.scope.label),
        "cards": [
            {
                "seller_id": c.user_id,
                "seller": c.user.label,
                "unit_id": c.unit_id,
                "total": c.total,
                "grade": c.grade,
            }
            for c in team.cards
        ],
        "unscored": [p.pk for p in team.unscored],
        "grades": _grades(team.distribution),
    }


@router.get("/performance/kpi/ranking", response={200: RankingOut, codes_4xx: ErrorOut})
def ranking(request: ApiRequest, query: Query[RankingQuery]) -> dict[str, Any]:
    """The year's ranking: each seller's score is the mean of their scored quarters, graded by the bands."""
    result = selectors.annual_ranking(
        request.auth, year=query.year or timezone.localdate().year, unit_id=query.unit_id
    )
    return {
        "year": result.year,
        "scope": str(result.scope.label),
        "rows": [
            {
                "rank": r.rank,
                "seller_id": r.user.pk,
                "seller": r.user.label,
                "quarters": r.quarters,
                "score": r.score,
                "grade": r.grade,
            }
            for r in result.rows
        ],
        "grades": _grades(result.distribution),
    }


@router.get("/performance/kpi/definitions", response={200: DefinitionsOut, codes_4xx: ErrorOut})
def definitions(request: ApiRequest) -> dict[str, Any]:
    """Every KPI of every role, the grade bands and what each metric measures."""
    return {
        "items": [_definition_out(d) for d in selectors.definitions()],
        "grades": [{"code": b.code, "name": b.name, "min_score": b.min_score} for b in selectors.bands()],
        "metrics": [
            {"key": k, "label": label, "definition": text}
            for k, label, text in selectors.metric_definitions()
        ],
    }


@router.post("/performance/kpi/definitions", response={201: DefinitionOut, codes_4xx: ErrorOut})
def create_definition(request: ApiRequest, payload: DefinitionIn) -> Status[dict[str, Any]]:
    """An admin adds a KPI to a role (403 otherwise; 409 `duplicate` for a code the role has)."""
    values = payload.dict()
    definition = services.kpi_definition_create(
        request.auth, role=values.pop("role"), code=values.pop("code"), **values
    )
    return Status(201, _definition_out(definition))


@router.patch(
    "/performance/kpi/definitions/{definition_id}", response={200: DefinitionOut, codes_4xx: ErrorOut}
)
def update_definition(request: ApiRequest, definition_id: IdPath, payload: DefinitionPatch) -> dict[str, Any]:
    """An admin changes a KPI; `version` as read (409 when stale). The version before is kept."""
    definition = services.kpi_definition_update(
        request.auth, definition_id, version=payload.version, **payload.changes("version")
    )
    return _definition_out(definition)


@router.post("/performance/kpi/inputs", response={200: InputOut, codes_4xx: ErrorOut})
def set_input(request: ApiRequest, payload: InputIn) -> dict[str, Any]:
    """A manager enters a manual KPI figure of one of their sellers (changing one needs its `version`)."""
    row = services.kpi_input_set(request.auth, **payload.dict())
    return {
        "id": row.pk,
        "seller_id": row.user_id,
        "definition_id": row.definition_id,
        "period": row.period_kind,
        "start": row.period_start,
        "value": row.value,
        "note": row.note,
        "version": row.version,
    }


@router.post("/performance/kpi/score", response={200: ScoreOut, codes_4xx: ErrorOut})
def score(request: ApiRequest, payload: ScoreIn) -> dict[str, Any]:
    """Score the period for your scope (or the unit chosen): managers, directors, admins (403 otherwise)."""
    n = services.scorecards_compute(
        request.auth, period=payload.period, day=payload.day, unit_id=payload.unit_id
    )
    return {"scored": n}


@router.get("/performance/leaderboard", response={200: BoardOut, codes_4xx: ErrorOut})
def leaderboard(request: ApiRequest, query: Query[BoardQuery]) -> dict[str, Any]:
    """The performance leaderboard for the month or quarter: per seller and team, each column with its
    definition, best first by `sort`."""
    board = performance_board(
        request.auth,
        period=query.period,
        day=query.day or timezone.localdate(),
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        sort=query.sort,
    )

    return board_out(board)
