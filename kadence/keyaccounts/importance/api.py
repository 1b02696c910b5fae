"""Importance over the API (issue 15 §5–6).

- GET /api/keyaccounts/importance/config — the criteria (weights, bands), the type rules, the version;
  PUT …/config/criteria (admin; `version` as read, 409 stale) the weights (adding to 100) and bands;
  PUT …/config/rules (admin; `version`) the type-rule thresholds;
- GET /api/keyaccounts/importance/accounts/{id} — the score card: score, type (rules' and override), how
  each criterion was scored, the history;
- POST …/accounts/{id}/entries — the owner's scores 1–5 for profit, competitive importance, market
  position, industry influence (kept with who and when; the account is scored again);
- POST …/accounts/{id}/compute — score the account now;
- PUT …/accounts/{id}/type — override the type (or clear it with ""), with a reason (`version` as read,
  0 when the account was never scored);
- GET /api/keyaccounts/importance/ranking — the scored accounts of a scope, highest first (paginated);
- GET /api/keyaccounts/importance/types — the count per type in a scope and each type's treatment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import codes_4xx
from pydantic import StrictInt

from kadence.core.api import ApiRequest
from kadence.core.pagination import paginate
from kadence.core.schemas import Clean, ErrorOut, Id, IdPath, In, PageQuery, Reason, Version
from kadence.keyaccounts.importance import selectors, services
from kadence.keyaccounts.importance.models import AccountImportance, CustomerType

VersionOrNone = Annotated[
    int,
    Field(
        ge=0, le=2147483647, description="The version you read (0: the account has none yet); stale → 409."
    ),
]
router = Router(tags=["key accounts: importance"])
PREFIX = "/keyaccounts/importance"

TypeIn = Literal["profit", "brand_problem", "loyal", "small_growth", "new"]


class ImpCriterionOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    weight: int
    source: str
    bands: list[str]


class ImpRulesOut(Schema):
    profit_min_profit: int
    profit_min_sales: int
    brand_min_influence: int
    brand_max_profit: int
    loyal_min_years: Decimal
    loyal_min_continuity: int
    small_max_sales: int
    small_min_growth: int
    new_max_months: int


class ImpTypeOut(Schema):
    code: str
    label: str
    treatment: str


class ImpConfigOut(Schema):
    version: int
    criteria: list[ImpCriterionOut]
    rules: ImpRulesOut
    types: list[ImpTypeOut]


class ImpCriteriaIn(In):
    version: Version
    weights: dict[str, StrictInt] = Field(
        description="Every criterion's weight, whole numbers adding to 100."
    )
    bands: dict[str, list[Decimal]] = Field(
        default_factory=dict, description="Computed criteria: four ascending thresholds for scores 2–5."
    )


class ImpRulesIn(In):
    version: Version
    profit_min_profit: StrictInt | None = Field(None, ge=1, le=5)
    profit_min_sales: StrictInt | None = Field(None, ge=1, le=5)
    brand_min_influence: StrictInt | None = Field(None, ge=1, le=5)
    brand_max_profit: StrictInt | None = Field(None, ge=1, le=5)
    loyal_min_years: Decimal | None = Field(None, ge=0, le=100, max_digits=4, decimal_places=1)
    loyal_min_continuity: StrictInt | None = Field(None, ge=0, le=50)
    small_max_sales: StrictInt | None = Field(None, ge=1, le=5)
    small_min_growth: StrictInt | None = Field(None, ge=1, le=5)
    new_max_months: StrictInt | None = Field(None, ge=1, le=120)


class ImpLineOut(Schema):
    code: str
    name: str
    weight: int
    source: str
    value: str | None
    score: int | None
    points: Decimal | None
    entered_by: str
    entered_at: str | None
    note: str
    extra: dict[str, Any]


class ImpHistoryOut(Schema):
    day: date
    score: Decimal | None


class ImpCardOut(Schema):
    account_id: int
    account: str
    score: Decimal | None
    scored_on: date | None
    complete: bool
    auto_type: str
    type_override: str
    override_reason: str
    customer_type: str
    customer_type_label: str
    treatment: str
    version: int
    criteria: list[ImpLineOut]
    history: list[ImpHistoryOut]


class ImpEntriesIn(In):
    scores: dict[str, StrictInt] = Field(
        description="{criterion code: 1–5} for the criteria the owner enters."
    )
    note: str = Field("", max_length=500)


class ImpTypeIn(In):
    version: VersionOrNone
    customer_type: TypeIn | Literal[""] = Field(description='A type, or "" to clear the override.')
    reason: Reason = Field(min_length=1)


class ImpScopeQuery(Clean):
    unit_id: Id | None = None
    owner_id: Id | None = None


class ImpRankingQuery(PageQuery, ImpScopeQuery):
    customer_type: TypeIn | None = None


class ImpRankRowOut(Schema):
    account_id: int
    account: str
    owner: str
    score: Decimal | None
    scored_on: date | None
    customer_type: str


class ImpRankingOut(Schema):
    scope: str
    items: list[ImpRankRowOut]
    count: int
    page: int | None
    page_size: int
    pages: int


class ImpTypeCountOut(Schema):
    code: str
    label: str
    treatment: str
    count: int


class ImpTypesOut(Schema):
    scope: str
    items: list[ImpTypeCountOut]
    untyped: int


def _config_out() -> dict[str, Any]:
    row = selectors.config()
    return {
        "version": row.version,
        "criteria": [
            {
                "code": c.code,
                "name": c.name,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "weight": c.weight,
                "source": c.source,
                "bands": [str(b) for b in c.bands],
            }
            for c in selectors.criteria()
        ],
        "rules": {f: getattr(row, f) for f in ImpRulesOut.model_fields},
        "types": selectors.type_choices(),
    }


def card_out(user: Any, account_id: int) -> dict[str, Any]:
    c = selectors.card(user, account_id)
    cur: AccountImportance | None = c.current
    kind = cur.customer_type if cur else ""
    return {
        "account_id": c.account.pk,
        "account": c.account.name,
        "score": cur.score if cur else None,
        "scored_on": cur.scored_on if cur else None,
        "complete": bool(c.latest and c.latest.complete),
        "auto_type": cur.auto_type if cur else "",
        "type_override": cur.type_override if cur else "",
        "override_reason": cur.override_reason if cur else "",
        "customer_type": kind,
        "customer_type_label": str(CustomerType(kind).label) if kind else "",
        "treatment": selectors.treatment(kind) if kind else "",
        "version": cur.version if cur else 0,
        "criteria": c.lines,
        "history": [{"day": d, "score": s} for d, s in c.history],
    }


@router.get(f"{PREFIX}/config", response={200: ImpConfigOut, codes_4xx: ErrorOut})
def get_config(request: ApiRequest) -> dict[str, Any]:
    """The criteria with their weights and bands, the type rules and the types' treatments."""
    return _config_out()


@router.put(f"{PREFIX}/config/criteria", response={200: ImpConfigOut, codes_4xx: ErrorOut})
def put_criteria(request: ApiRequest, payload: ImpCriteriaIn) -> dict[str, Any]:
    """An admin sets the weights (adding to 100) and the bands; `version` as read (409 when stale)."""
    services.criteria_set(
        request.auth,
        version=payload.version,
        weights=payload.weights,
        bands={k: [str(v) for v in vs] for k, vs in payload.bands.items()},
    )
    return _config_out()


@router.put(f"{PREFIX}/config/rules", response={200: ImpConfigOut, codes_4xx: ErrorOut})
def put_rules(request: ApiRequest, payload: ImpRulesIn) -> dict[str, Any]:
    """An admin sets the type rules' thresholds (those given); `version` as read (409 when stale)."""
    values = payload.dict()
    version = values.pop("version")
    services.rules_set(request.auth, version=version, **values)
    return _config_out()


@router.get(f"{PREFIX}/accounts/{{account_id}}", response={200: ImpCardOut, codes_4xx: ErrorOut})
def get_card(request: ApiRequest, account_id: IdPath) -> dict[str, Any]:
    """The account's score card (404 for an account you don't see)."""
    return card_out(request.auth, account_id)


@router.post(f"{PREFIX}/accounts/{{account_id}}/entries", response={200: ImpCardOut, codes_4xx: ErrorOut})
def post_entries(request: ApiRequest, account_id: IdPath, payload: ImpEntriesIn) -> dict[str, Any]:
    """Enter scores 1–5 for the criteria Kadence cannot compute; the account is scored again."""
    services.entries_set(request.auth, account_id, payload.scores, note=payload.note)
    return card_out(request.auth, account_id)


@router.post(f"{PREFIX}/accounts/{{account_id}}/compute", response={200: ImpCardOut, codes_4xx: ErrorOut})
def post_compute(request: ApiRequest, account_id: IdPath) -> dict[str, Any]:
    """Score the account now (today's score replaced)."""
    services.compute_account(request.auth, account_id)
    return card_out(request.auth, account_id)


@router.put(f"{PREFIX}/accounts/{{account_id}}/type", response={200: ImpCardOut, codes_4xx: ErrorOut})
def put_type(request: ApiRequest, account_id: IdPath, payload: ImpTypeIn) -> dict[str, Any]:
    """Override the account's type ("" clears it) with the reason; `version` as read (409 when stale)."""
    services.type_override(
        request.auth,
        account_id,
        version=payload.version,
        customer_type=payload.customer_type,
        reason=payload.reason,
    )
    return card_out(request.auth, account_id)


@router.get(f"{PREFIX}/ranking", response={200: ImpRankingOut, codes_4xx: ErrorOut})
def get_ranking(request: ApiRequest, query: Query[ImpRankingQuery]) -> dict[str, Any]:
    """The scored accounts of the scope you ask for (default: yours), highest score first."""
    scope, qs = selectors.ranking(
        request.auth, unit_id=query.unit_id, owner_id=query.owner_id, customer_type=query.customer_type
    )
    page = paginate(qs, query.page, query.page_size)
    return {
        "scope": str(scope.label),
        "items": [
            {
                "account_id": a.pk,
                "account": a.name,
                "owner": a.owner.label,
                "score": a.importance.score,
                "scored_on": a.importance.scored_on,
                "customer_type": a.kind or "",
            }
            for a in page.items
        ],
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
    }


@router.get(f"{PREFIX}/types", response={200: ImpTypesOut, codes_4xx: ErrorOut})
def get_types(request: ApiRequest, query: Query[ImpScopeQuery]) -> dict[str, Any]:
    """How many scored accounts of the scope are of each type, with each type's recommended treatment."""
    scope = selectors.resolve_scope(request.auth, unit_id=query.unit_id, owner_id=query.owner_id)
    counts = selectors.type_counts(request.auth, unit_id=query.unit_id, owner_id=query.owner_id)
    return {
        "scope": str(scope.label),
        "items": [{**t, "count": counts.get(t["code"], 0)} for t in selectors.type_choices()],
        "untyped": counts.get("", 0),
    }
