"""Account plans over the API (issue 15 §8). Visibility as the pages: whoever sees the account sees its
plans; the account's owner, managers over it and admins write them; an action's owner updates its
status and note.

- GET /api/key-accounts/plans — the plans you see (filters: status, account_id, mine), paginated;
  POST a new draft plan;
- GET /api/key-accounts/plans/{id} — a plan with step 1's data, its quarters (plan vs actual) and
  actions; PATCH its fields (`version` as read; 409 stale); POST …/status — draft → active → closed;
- PATCH /api/key-accounts/plans/{id}/quarters/{qid} — expected revenue and/or the review note;
- POST /api/key-accounts/plans/{id}/actions — an action; PATCH …/actions/{aid};
  POST …/actions/{aid}/activities — attach (or detach) an activity of the account.

Money is a decimal string; rates are fractions ("0.2500" = 25 %)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.pagination import paginate
from kadence.core.schemas import (
    Day,
    ErrorOut,
    Id,
    IdPath,
    In,
    Money,
    MoneyIn,
    PageOut,
    PageQuery,
    PatchIn,
    Reason,
    Version,
    page_out,
)
from kadence.core.visibility import access_account_plan
from kadence.keyaccounts.plans import selectors, services
from kadence.keyaccounts.plans.models import AccountPlan, PlanPolicy

router = Router(tags=["key accounts: account plans"])
PREFIX = "/key-accounts/plans"
LongText = Field(None, max_length=10000)


class KamPlanListQuery(PageQuery):
    status: Literal["", "draft", "active", "closed"] = ""
    account_id: Id | None = None
    mine: bool = False


class KamPlanIn(In):
    account_id: Id
    period_start: Day
    period_end: Day
    title: str = Field("", max_length=200)
    owner_id: Id | None = Field(None, description="Default: the account's owner.")
    strengths: str = Field("", max_length=10000)
    weaknesses: str = Field("", max_length=10000)
    opportunities: str = Field("", max_length=10000)
    threats: str = Field("", max_length=10000)
    evaluation: str = Field("", max_length=10000)
    objectives: str = Field("", max_length=10000)
    target_revenue: MoneyIn | None = None
    strategies: str = Field("", max_length=10000)
    resources: str = Field("", max_length=10000)


class KamPlanPatchIn(PatchIn):
    nullable = frozenset({"target_revenue"})

    version: Version
    title: str | None = Field(None, min_length=1, max_length=200)
    owner_id: Id | None = None
    period_start: Day | None = None
    period_end: Day | None = None
    strengths: str | None = LongText
    weaknesses: str | None = LongText
    opportunities: str | None = LongText
    threats: str | None = LongText
    evaluation: str | None = LongText
    objectives: str | None = LongText
    target_revenue: MoneyIn | None = None
    strategies: str | None = LongText
    resources: str | None = LongText


class KamPlanStatusIn(In):
    version: Version
    status: Literal["draft", "active", "closed"]


class KamPlanQuarterIn(In):
    version: Version
    expected_revenue: MoneyIn | None = None
    review_note: str | None = Field(None, max_length=10000)


class KamPlanActionIn(In):
    title: str = Field(min_length=1, max_length=200)
    owner_id: Id
    due_on: Day
    opportunity_id: Id | None = None
    note: str = Field("", max_length=5000)


class KamPlanActionPatchIn(PatchIn):
    nullable = frozenset({"opportunity_id"})

    version: Version
    title: str | None = Field(None, min_length=1, max_length=200)
    owner_id: Id | None = None
    due_on: Day | None = None
    status: Literal["open", "done", "cancelled"] | None = None
    opportunity_id: Id | None = None
    note: str | None = Field(None, max_length=5000)


class KamPlanAttachIn(In):
    version: Version
    activity_id: Id
    detach: bool = False


class KamPlanRowOut(Schema):
    id: int
    title: str
    account_id: int
    account: str
    owner_id: int
    owner: str
    period_start: date
    period_end: date
    status: str
    target_revenue: Money | None
    actions: int
    actions_done: int
    version: int


class KamPlanActionOut(Schema):
    id: int
    title: str
    owner_id: int
    owner: str
    due_on: date
    status: str
    state: str
    opportunity_id: int | None
    activity_ids: list[int]
    note: str
    done_on: date | None
    version: int


class KamPlanQuarterOut(Schema):
    id: int
    key: str
    start: date
    end: date
    expected_revenue: Money
    actual_revenue: Money
    attainment: Money | None
    gap: Money
    actions_due: int
    actions_done: int
    actions_overdue: int
    review_note: str
    reviewed_at: datetime | None
    version: int


class KamPlanOut(KamPlanRowOut):
    strengths: str
    weaknesses: str
    opportunities: str
    threats: str
    evaluation: str
    objectives: str
    strategies: str
    resources: str
    activated_at: datetime | None
    closed_at: datetime | None
    facts: dict[str, Any]
    facts_from_snapshot: bool
    quarters: list[KamPlanQuarterOut]
    action_items: list[KamPlanActionOut]


def _row(plan: AccountPlan, n_actions: int | None = None, n_done: int | None = None) -> dict[str, Any]:
    if n_actions is None:
        actions = list(plan.actions.all())
        n_actions = sum(1 for a in actions if a.status != "cancelled")
        n_done = sum(1 for a in actions if a.status == "done")
    return {
        "id": plan.pk,
        "title": plan.title,
        "account_id": plan.account_id,
        "account": plan.account.name,
        "owner_id": plan.owner_id,
        "owner": plan.owner.label,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "status": plan.status,
        "target_revenue": plan.target_revenue,
        "actions": n_actions,
        "actions_done": n_done or 0,
        "version": plan.version,
    }


def plan_out(user: Any, plan_id: int) -> dict[str, Any]:
    plan = access_account_plan(user, plan_id, related=("owner",))
    today = timezone.localdate()
    policy = PlanPolicy.current()
    facts, from_snapshot = selectors.plan_facts(plan, today)
    review = selectors.plan_review(plan, today)
    stored = {q.key: q for q in plan.quarters.all()}
    rows = selectors.action_rows(plan, today, policy.due_soon_days)
    return {
        **_row(plan),
        **{f: getattr(plan, f) for f in services.LONG_TEXT},
        "activated_at": plan.activated_at,
        "closed_at": plan.closed_at,
        "facts": facts,
        "facts_from_snapshot": from_snapshot,
        "quarters": [
            {
                "id": stored[r.quarter.key].pk,
                "key": r.quarter.key,
                "start": r.quarter.start,
                "end": r.quarter.end,
                "expected_revenue": r.expected,
                "actual_revenue": r.actual,
                "attainment": r.attainment,
                "gap": r.gap,
                "actions_due": r.actions_due,
                "actions_done": r.actions_done,
                "actions_overdue": r.actions_overdue,
                "review_note": stored[r.quarter.key].review_note,
                "reviewed_at": stored[r.quarter.key].reviewed_at,
                "version": stored[r.quarter.key].version,
            }
            for r in review.quarters
        ],
        "action_items": [
            {
                "id": r.action.pk,
                "title": r.action.title,
                "owner_id": r.action.owner_id,
                "owner": r.action.owner.label,
                "due_on": r.action.due_on,
                "status": r.action.status,
                "state": r.state,
                "opportunity_id": r.action.opportunity_id,
                "activity_ids": sorted(a.pk for a in r.action.activities.all()),
                "note": r.action.note,
                "done_on": r.action.done_on,
                "version": r.action.version,
            }
            for r in rows
        ],
    }


@router.get(PREFIX, response={200: PageOut[KamPlanRowOut], codes_4xx: ErrorOut})
def plan_list(request: ApiRequest, query: Query[KamPlanListQuery]) -> dict[str, Any]:
    """The plans of the accounts you see, newest period first."""
    qs = selectors.plan_list(request.auth, status=query.status, account_id=query.account_id, mine=query.mine)
    page = paginate(qs, query.page, query.page_size)
    out = page_out(page)
    out["items"] = [_row(p, p.n_actions, p.n_done) for p in page.items]
    return out


@router.post(PREFIX, response={201: KamPlanOut, codes_4xx: ErrorOut})
def plan_create(request: ApiRequest, payload: KamPlanIn) -> Status[dict[str, Any]]:
    """A draft plan for an account you may write (403 otherwise, 404 when you do not see it)."""
    plan = services.plan_create(request.auth, **payload.dict())
    return Status(201, plan_out(request.auth, plan.pk))


@router.get(f"{PREFIX}/{{plan_id}}", response={200: KamPlanOut, codes_4xx: ErrorOut})
def plan_detail(request: ApiRequest, plan_id: IdPath) -> dict[str, Any]:
    """A plan: its fields, step 1's data (the snapshot once active), quarters with plan vs actual, actions."""
    return plan_out(request.auth, plan_id)


@router.patch(f"{PREFIX}/{{plan_id}}", response={200: KamPlanOut, codes_4xx: ErrorOut})
def plan_update(request: ApiRequest, plan_id: IdPath, payload: KamPlanPatchIn) -> dict[str, Any]:
    """Change a plan's fields; `version` as read (409 when stale); the period only while a draft."""
    services.plan_update(request.auth, plan_id, version=payload.version, **payload.changes("version"))
    return plan_out(request.auth, plan_id)


@router.post(f"{PREFIX}/{{plan_id}}/status", response={200: KamPlanOut, codes_4xx: ErrorOut})
def plan_status(request: ApiRequest, plan_id: IdPath, payload: KamPlanStatusIn) -> dict[str, Any]:
    """draft → active (step 1's data is snapshotted) → closed."""
    services.plan_set_status(request.auth, plan_id, version=payload.version, status=payload.status)
    return plan_out(request.auth, plan_id)


@router.patch(
    f"{PREFIX}/{{plan_id}}/quarters/{{quarter_id}}", response={200: KamPlanOut, codes_4xx: ErrorOut}
)
def quarter_update(
    request: ApiRequest, plan_id: IdPath, quarter_id: IdPath, payload: KamPlanQuarterIn
) -> dict[str, Any]:
    """A quarter's expected revenue and/or review note; `version` is the quarter's."""
    services.quarter_update(
        request.auth,
        plan_id,
        quarter_id,
        version=payload.version,
        expected_revenue=payload.expected_revenue,
        review_note=payload.review_note,
    )
    return plan_out(request.auth, plan_id)


@router.post(f"{PREFIX}/{{plan_id}}/actions", response={201: KamPlanOut, codes_4xx: ErrorOut})
def action_create(request: ApiRequest, plan_id: IdPath, payload: KamPlanActionIn) -> Status[dict[str, Any]]:
    """An action: its owner must see the account; a linked deal must be the account's."""
    services.action_create(request.auth, plan_id, **payload.dict())
    return Status(201, plan_out(request.auth, plan_id))


@router.patch(f"{PREFIX}/{{plan_id}}/actions/{{action_id}}", response={200: KamPlanOut, codes_4xx: ErrorOut})
def action_update(
    request: ApiRequest, plan_id: IdPath, action_id: IdPath, payload: KamPlanActionPatchIn
) -> dict[str, Any]:
    """Change an action (its owner: status and note only); `version` is the action's."""
    services.action_update(
        request.auth, plan_id, action_id, version=payload.version, **payload.changes("version")
    )
    return plan_out(request.auth, plan_id)


@router.post(
    f"{PREFIX}/{{plan_id}}/actions/{{action_id}}/activities", response={200: KamPlanOut, codes_4xx: ErrorOut}
)
def action_attach(
    request: ApiRequest, plan_id: IdPath, action_id: IdPath, payload: KamPlanAttachIn
) -> dict[str, Any]:
    """Attach (or, with `detach`, remove) an activity logged against the account; `version` the action's."""
    services.action_attach_activity(
        request.auth,
        plan_id,
        action_id,
        activity_id=payload.activity_id,
        version=payload.version,
        detach=payload.detach,
    )
    return plan_out(request.auth, plan_id)


# --- settings ---------------------------------------------------------------------------------------


class KamPlanSettingsOut(Schema):
    due_soon_days: int
    recent_activity_days: int
    home_limit: int
    version: int


def _setting(name: str) -> Any:
    low, high = services.POLICY_LIMITS[name]  # the service's ranges, written once
    return Field(None, ge=low, le=high)


class KamPlanSettingsIn(In):
    version: Version
    due_soon_days: int | None = _setting("due_soon_days")
    recent_activity_days: int | None = _setting("recent_activity_days")
    home_limit: int | None = _setting("home_limit")
    reason: Reason = ""


@router.get("/key-accounts/plan-settings", response={200: KamPlanSettingsOut, codes_4xx: ErrorOut})
def plan_settings(request: ApiRequest) -> PlanPolicy:
    """The account plans' settings (everyone reads them): the due-soon window of an action, the window of
    the recent activities a plan consolidates, the number of actions on the home page."""
    return PlanPolicy.current()


@router.put("/key-accounts/plan-settings", response={200: KamPlanSettingsOut, codes_4xx: ErrorOut})
def set_plan_settings(request: ApiRequest, payload: KamPlanSettingsIn) -> PlanPolicy:
    """An admin changes them (`version` as read; 409 when stale; a field left out stays)."""
    return services.policy_update(request.auth, **payload.dict())
