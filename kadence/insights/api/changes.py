"""What changed in the pipeline between two dates over the API (漏斗变化, issue 11 §4). Reads go through
kadence.insights.selectors.changes."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import Day, ErrorOut, Id, Money, PageQuery, RefOut, UserRef
from kadence.insights.api.common import ScopeOut, scope_out
from kadence.insights.selectors.changes import MAX_DAYS_BACK, DealChange, State, pipeline_changes

router = Router(tags=["insights"])

BarCode = Literal[
    "new",
    "reopened",
    "amount_up",
    "amount_down",
    "won",
    "lost",
    "pulled_in",
    "pushed_out",
    "moved_forward",
    "moved_back",
]


class ChangesQuery(PageQuery):
    date_from: Day | None = Field(
        None,
        description=f"The window opens at the end of this day (default: 7 days before date_to; at most {MAX_DAYS_BACK} days ago).",
    )
    date_to: Day | None = Field(
        None, description="The window closes at the end of this day (default: today)."
    )
    unit_id: Id | None = Field(
        None, description="A unit in your reach (its subtree); default: your whole scope."
    )
    owner_id: Id | None = Field(None, description="One seller in your reach.")
    bar: BarCode | None = Field(None, description="List the deals behind this bar.")


class BarOut(Schema):
    """`sign`: +1 adds to the pipeline, −1 takes from it, 0 moves inside it (opening and closing are
    totals). `amount` ≥ 0: the change it makes, or (sign 0) its deals' closing amount."""

    code: str
    label: str
    sign: int
    count: int
    amount: Money


class StateOut(Schema):
    status: str
    amount: Money
    stage: RefOut
    expected_close_date: date


class ChangeOpportunityOut(Schema):
    id: int
    name: str
    currency: str


class DealChangeOut(Schema):
    opportunity: ChangeOpportunityOut
    account: RefOut
    owner: UserRef
    team: RefOut
    before: StateOut | None = Field(description="At the opening (null: it did not exist yet).")
    after: StateOut | None = Field(description="At the closing.")
    bars: list[str]


class ChangesOut(Schema):
    date_from: date
    date_to: date
    scope: ScopeOut
    bars: list[BarOut] = Field(
        description="Opening, the changes that move the total, closing, then the moves inside it. "
        "closing = opening + new + reopened + amount_up − amount_down − won − lost (counts: without the amount bars)."
    )
    bar: str | None
    items: list[DealChangeOut]
    count: int
    page: int
    page_size: int
    pages: int


def _state(state: State | None, stages: dict[int, Any]) -> dict[str, Any] | None:
    if state is None:
        return None
    stage = stages[state.stage_id]
    return {
        "status": state.status,
        "amount": state.amount,
        "stage": {"id": stage.pk, "name": stage.name},
        "expected_close_date": state.close,
    }


def _item(change: DealChange, stages: dict[int, Any]) -> dict[str, Any]:
    opp = change.opp
    return {
        "opportunity": opp,
        "account": {"id": opp.account_id, "name": opp.account.name},
        "owner": opp.owner,
        "team": {"id": opp.team_id, "name": opp.team.name},
        "before": _state(change.before, stages),
        "after": _state(change.after, stages),
        "bars": list(change.bars),
    }


@router.get("/reports/pipeline-changes", response={200: ChangesOut, codes_4xx: ErrorOut})
def pipeline_changes_api(request: ApiRequest, query: Query[ChangesQuery]) -> dict[str, Any]:
    """What changed in the scope's pipeline between the end of `date_from` and the end of `date_to`
    (default: the last week): opening and closing pipelines, the changes between them, which
    reconcile exactly, and one page of the deals behind `bar` (largest first). A unit or seller out of
    reach: 404; a bad window: 422."""
    report = pipeline_changes(
        request.auth,
        date_from=query.date_from,
        date_to=query.date_to,
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        bar=query.bar,
        page=query.page,
        page_size=query.page_size,
    )
    scope = report.scope
    return {
        "date_from": report.date_from,
        "date_to": report.date_to,
        "scope": scope_out(scope),
        "bars": [
            {"code": b.code, "label": b.label, "sign": b.sign, "count": b.count, "amount": b.amount}
            for b in report.bars
        ],
        "bar": report.bar,
        "items": [_item(change, report.stages) for change in report.page.items],
        "count": report.page.count,
        "page": report.page.page,
        "page_size": report.page.page_size,
        "pages": report.page.pages,
    }
