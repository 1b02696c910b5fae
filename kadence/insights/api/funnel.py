"""The funnel over the API (METHODOLOGY §8.1, §8.5): the funnel of a scope at any date, the weighted
pipeline over time, and the manager's analysis with its anomalies. Money and rates are decimal
strings; rates are fractions ("0.2500" = 25 %)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import codes_4xx

from kadence.accounts.models import Account
from kadence.core.api import ApiRequest
from kadence.core.errors import ValidationFailed
from kadence.core.schemas import Clean, Day, ErrorOut, Id, Money
from kadence.core.visibility import Scope, resolve_scope
from kadence.insights.api.common import ScopeOut, TemplateRef, scope_out
from kadence.insights.selectors.analysis import (
    AnalysisReport,
    Metrics,
    check_as_of,
    funnel_analysis,
    funnel_slice,
    funnel_template,
    funnel_totals,
    funnel_trend,
    source_label,
)
from kadence.insights.selectors.funnel import FunnelReport, funnel_report

router = Router(tags=["funnel"])
RATE = Decimal("0.0001")
CENT = Decimal("0.01")


def _c(value: Decimal | None) -> Decimal | None:
    """Money at cents (SQLite sums decimals without their scale)."""
    return None if value is None else Decimal(value).quantize(CENT)


def _r(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(RATE)


if TYPE_CHECKING:  # mypy reads no Literal built at run time: to it, a choice is a str
    AccountSize = str
else:  # the model's choices, an enum in the OpenAPI schema
    AccountSize = Literal[tuple(Account.Size.values)]


# --- schemas -------------------------------------------------------------------------------------


class ScopeQuery(Clean):
    unit_id: Id | None = Field(
        None, description="A unit of yours (and the units below it). Default: all of your scope."
    )
    owner_id: Id | None = Field(None, description="One seller in your scope (not with unit_id).")


class FunnelQuery(ScopeQuery):
    template_id: Id | None = Field(None, description="Process template; default: the default template.")
    product_line_id: Id | None = Field(None, description="Only deals of this product line.")
    industry_id: Id | None = Field(None, description="Only deals of accounts in this industry.")
    account_size: AccountSize | None = Field(None, description="Only deals of accounts of this size.")


class FunnelAtQuery(FunnelQuery):
    as_of: Day | None = Field(
        None,
        description="The funnel as it stood at the end of this day (default today); "
        "a past day is reconstructed from the stage history.",
    )


class SliceOut(Schema):
    product_line_id: int | None
    industry_id: int | None
    account_size: str


class FunnelStageOut(Schema):
    stage_id: int
    code: str
    name: str
    order: int
    count: int
    amount: Money
    weighted: Money
    avg_age: Money | None = Field(description="Average days in the stage (null when empty).")
    advanced: int = Field(description="Deals that moved on from this stage in the window.")
    lost: int = Field(description="Deals lost from this stage in the window.")
    conversion: Money | None = Field(description="advanced ÷ (advanced + lost); null without either.")


class FunnelTotalsOut(Schema):
    count: int
    amount: Money
    weighted: Money
    avg_age: Money | None


class FunnelOut(Schema):
    scope: ScopeOut
    template: TemplateRef
    as_of: date
    window_start: date = Field(description="Start of the history window of the rates (whole months).")
    slice: SliceOut
    source: str = Field(description='"summary", "live" or "history" (reconstructed from the stage history).')
    source_label: str
    probabilities: str
    stages: list[FunnelStageOut]
    totals: FunnelTotalsOut
    won: int
    lost: int
    won_amount: Money
    win_rate: Money | None
    avg_won_amount: Money | None
    cycle_days: Money | None = Field(description="Average days from creation to win.")
    open_qualified: int
    velocity: Money | None = Field(description="Sales velocity, money per day.")


class TrendPointOut(Schema):
    as_of: date
    count: int
    amount: Money
    weighted: Money
    source: str


class TrendOut(Schema):
    scope: ScopeOut
    template: TemplateRef
    slice: SliceOut
    points: list[TrendPointOut] = Field(description="End of each of the last 6 months, then today.")


class MetricsOut(Schema):
    open_count: int
    amount: Money
    weighted: Money
    quarter_amount: Money = Field(description="Open amount expected to close in the current quarter.")
    target: Money | None = Field(description="The quarter's target, when one is set.")
    coverage: Money | None = Field(description="quarter_amount ÷ target.")
    won: int
    lost: int
    win_rate: Money | None
    avg_won_amount: Money | None
    cycle_days: Money | None
    velocity: Money | None = Field(description="Sales velocity, money per day.")
    sellers: int = Field(description="Active sellers of the unit (1 for a seller).")
    velocity_per_seller: Money | None = Field(description="velocity ÷ sellers: what the anomalies compare.")
    stalled: int
    stall_rate: Money | None = Field(
        description="Share of open deals longer than stall factor × standard days in their stage."
    )
    spent: Money
    budget: Money
    expense_execution: Money | None = Field(description="spent ÷ budget.")


class AnomalyOut(Schema):
    metric: str = Field(description="win_rate, velocity (per seller), coverage or stall_rate.")
    value: Money
    parent: Money
    relative: Money | None = Field(description="(value − parent) ÷ parent; null when the parent is 0.")
    direction: str = Field(description='"better" or "worse".')


class AnalysisRowOut(Schema):
    kind: str = Field(description='"unit", "owner" (a seller) or "direct" (deals booked on the parent unit).')
    label: str
    unit_id: int | None
    owner_id: int | None
    metrics: MetricsOut
    anomalies: list[AnomalyOut]


class AnalysisOut(Schema):
    scope: ScopeOut
    parent_label: str
    child_kind: str
    today: date
    window_start: date
    quarter_start: date
    quarter_end: date
    anomaly_threshold: Money
    stall_factor: Money
    parent: MetricsOut
    rows: list[AnalysisRowOut]


# --- conversions ---------------------------------------------------------------------------------


def _template(template: Any) -> dict[str, Any]:
    return {"id": template.pk, "code": template.code, "name": template.name}


def _slice(cut: Any) -> dict[str, Any]:
    return {
        "product_line_id": cut.product_line_id,
        "industry_id": cut.industry_id,
        "account_size": cut.account_size,
    }


def funnel_out(report: FunnelReport) -> dict[str, Any]:
    totals = funnel_totals(report)
    return {
        "scope": scope_out(report.scope),
        "template": _template(report.template),
        "as_of": report.as_of,
        "window_start": report.window_start,
        "slice": _slice(report.slice),
        "source": report.source,
        "source_label": source_label(report.source),
        "probabilities": report.probabilities,
        "stages": [
            {
                "stage_id": r.stage.pk,
                "code": r.stage.code,
                "name": r.stage.name,
                "order": r.stage.order,
                "count": r.count,
                "amount": _c(r.amount),
                "weighted": _c(r.weighted),
                "avg_age": r.avg_age,
                "advanced": r.advanced,
                "lost": r.lost,
                "conversion": _r(r.conversion),
            }
            for r in report.stages
        ],
        "totals": {
            "count": totals.count,
            "amount": _c(totals.amount),
            "weighted": _c(totals.weighted),
            "avg_age": totals.avg_age,
        },
        "won": report.won,
        "lost": report.lost,
        "won_amount": _c(report.won_amount),
        "win_rate": _r(report.win_rate),
        "avg_won_amount": _c(report.avg_won_amount),
        "cycle_days": report.cycle_days,
        "open_qualified": report.open_qualified,
        "velocity": _c(report.velocity),
    }


def metrics_out(m: Metrics) -> dict[str, Any]:
    return {
        "open_count": m.open_count,
        "amount": _c(m.amount),
        "weighted": _c(m.weighted),
        "quarter_amount": _c(m.quarter_amount),
        "target": _c(m.target),
        "coverage": m.coverage,
        "won": m.won,
        "lost": m.lost,
        "win_rate": m.win_rate,
        "avg_won_amount": _c(m.avg_won_amount),
        "cycle_days": m.cycle_days,
        "velocity": _c(m.velocity),
        "sellers": m.sellers,
        "velocity_per_seller": _c(m.velocity_per_seller),
        "stalled": m.stalled,
        "stall_rate": m.stall_rate,
        "spent": _c(m.spent),
        "budget": _c(m.budget),
        "expense_execution": m.expense_execution,
    }


def analysis_out(report: AnalysisReport) -> dict[str, Any]:
    return {
        "scope": scope_out(report.scope),
        "parent_label": report.parent_label,
        "child_kind": report.child_kind,
        "today": report.today,
        "window_start": report.window_start,
        "quarter_start": report.quarter_start,
        "quarter_end": report.quarter_end,
        "anomaly_threshold": _c(report.threshold),
        "stall_factor": _c(report.stall_factor),
        "parent": metrics_out(report.parent),
        "rows": [
            {
                "kind": r.kind,
                "label": r.label,
                "unit_id": r.unit.pk if r.unit else None,
                "owner_id": r.owner.pk if r.owner else None,
                "metrics": metrics_out(r.metrics),
                "anomalies": [
                    {
                        "metric": a.metric,
                        "value": a.value,
                        "parent": a.parent,
                        "relative": _r(a.relative),
                        "direction": a.direction,
                    }
                    for a in r.anomalies
                ],
            }
            for r in report.rows
        ],
    }


def resolve(user: Any, query: ScopeQuery) -> Scope:
    """The scope of a query: unit or seller (not both), checked against the user's reach."""
    if query.unit_id is not None and query.owner_id is not None:
        raise ValidationFailed(
            _("Choose a unit or a seller, not both."),
            {"owner_id": [_("Leave this out when you give a unit.")]},
        )
    return resolve_scope(user, unit_id=query.unit_id, owner_id=query.owner_id)


# --- endpoints -----------------------------------------------------------------------------------


@router.get("/reports/funnel", response={200: FunnelOut, codes_4xx: ErrorOut})
def get_funnel(request: ApiRequest, query: Query[FunnelAtQuery]) -> dict[str, Any]:
    """The funnel of a scope (you, a unit or seller in your reach) for a process template and an
    optional slice, at the end of `as_of`: per stage the open deals, amount, weighted amount, average
    age and conversion; win rate, average won amount, cycle and sales velocity over the history
    window; and where the open deals were read from (`source`)."""
    today = timezone.localdate()
    scope = resolve(request.auth, query)
    template = funnel_template(query.template_id)
    cut = funnel_slice(query.product_line_id, query.industry_id, query.account_size)
    as_of = check_as_of(query.as_of or today, today)
    return funnel_out(
        funnel_report(request.auth, scope, template=template, as_of=as_of, today=today, cut=cut)
    )


@router.get("/reports/funnel/trend", response={200: TrendOut, codes_4xx: ErrorOut})
def get_funnel_trend(request: ApiRequest, query: Query[FunnelQuery]) -> dict[str, Any]:
    """The open pipeline (count, amount, weighted) of the scope at the end of each of the last six
    months and today, for a process template and an optional slice."""
    today = timezone.localdate()
    scope = resolve(request.auth, query)
    template = funnel_template(query.template_id)
    cut = funnel_slice(query.product_line_id, query.industry_id, query.account_size)
    points = funnel_trend(request.auth, scope, template=template, today=today, cut=cut)
    return {
        "scope": scope_out(scope),
        "template": _template(template),
        "slice": _slice(cut),
        "points": [
            {
                "as_of": p.as_of,
                "count": p.count,
                "amount": _c(p.amount),
                "weighted": _c(p.weighted),
                "source": p.source,
            }
            for p in points
        ],
    }


@router.get("/reports/analysis", response={200: AnalysisOut, codes_4xx: ErrorOut})
def get_analysis(request: ApiRequest, query: Query[ScopeQuery]) -> dict[str, Any]:
    """The manager's funnel analysis (METHODOLOGY §8.5) of a scope: one row per child (company →
    regions, region → teams, team → sellers) with open pipeline, coverage of the quarter's target,
    win rate, velocity, stall rate and expense execution, and the anomalies: a row whose win rate,
    velocity, coverage or stall rate deviates from the parent's by more than the policy's threshold."""
    scope = resolve(request.auth, query)
    return analysis_out(funnel_analysis(request.auth, scope, today=timezone.localdate()))
