"""Opportunity reads: lists, detail, history, the pipeline board. Every one starts from
core.visibility, so what a user cannot see is never counted or listed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from kadence.core.models import AuditEntry, OrgUnit, User
from kadence.core.pagination import Page, paginate
from kadence.core.validation import clean_search
from kadence.core.visibility import (
    access_opportunity,
    can_approve_for_opportunity,
    can_reassign_opportunity,
    can_write_opportunity,
    summary_cover,
    visible_opportunities,
)
from kadence.domain.periods import month_bounds
from kadence.pipeline.expressions import WEIGHTED
from kadence.pipeline.models import (
    ForecastCategory,
    Opportunity,
    PipelineTotal,
    ProcessTemplate,
    Stage,
    StageChange,
)

SORTS = {
    "name": "name",
    "-name": "-name",
    "amount": "amount",
    "-amount": "-amount",
    "close": "expected_close_date",
    "-close": "-expected_close_date",
    "updated": "updated_at",
    "-updated": "-updated_at",
    "created": "created_at",
    "-created": "-created_at",
    "stage": "stage__order",
    "-stage": "-stage__order",
    "probability": "probability",
    "-probability": "-probability",
    "account": "account__name",
    "-account": "-account__name",
}
DEFAULT_SORT = "-updated"

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=20, decimal_places=2))


@dataclass
class OpportunityFilters:
    """List filters shared by the page, the API and exports. Empty values mean "any"."""

    q: str = ""
    status: str = ""
    stage_id: int | None = None
    level_id: int | None = None
    template_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    account_id: int | None = None
    forecast_category: str = ""
    staging: str = ""
    product_line_id: int | None = None
    close_from: date | None = None
    close_to: date | None = None
    mine: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _filtered(user: User, f: OpportunityFilters) -> QuerySet[Opportunity]:
    qs = visible_opportunities(user)
    q = clean_search(f.q)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(account__name__icontains=q))
    if f.status:
        qs = qs.filter(status=f.status)
    for attr in ("stage_id", "level_id", "template_id", "owner_id", "account_id"):
        value = getattr(f, attr)
        if value:
            qs = qs.filter(**{attr: value})
    if f.team_id:
        unit = OrgUnit.objects.filter(pk=f.team_id).first()
        qs = qs.filter(team__path__startswith=unit.path) if unit else qs.none()
    if f.forecast_category:
        qs = qs.filter(forecast_category=f.forecast_category)
    if f.staging:
        qs = qs.filter(staging_flag=f.staging)
    if f.product_line_id:
        qs = qs.filter(product_lines=f.product_line_id)
    if f.close_from:
        qs = qs.filter(expected_close_date__gte=f.close_from)
    if f.close_to:
        qs = qs.filter(expected_close_date__lte=f.close_to)
    if f.mine:
        qs = qs.filter(owner=user)
    return qs


def opportunity_list(
    user: User,
    filters: OpportunityFilters | None = None,
    *,
    sort: str = DEFAULT_SORT,
    page: int | str | None = 1,
    page_size: int = 25,
    cursor: str | None = None,
) -> Page:
    """One page of the opportunities `user` may see, filtered and sorted (unknown sort → default), by
    number or after `cursor` (core.pagination)."""
    qs = opportunity_rows(user, filters, sort=sort)
    qs = qs.select_related("account", "owner", "stage", "level", "team", "template")
    return paginate(qs, page, page_size, cursor=cursor, keyset=True)


def opportunity_rows(
    user: User, filters: OpportunityFilters | None = None, *, sort: str = DEFAULT_SORT
) -> QuerySet[Opportunity]:
    """The opportunities `user` may see, filtered and in the list's order: the list pages them, an
    export reads them all."""
    order = SORTS.get(sort, SORTS[DEFAULT_SORT])
    return _filtered(user, filters or OpportunityFilters()).order_by(order, "-id")


def opportunity_totals(
    user: User, filters: OpportunityFilters | None = None, *, page: Page | None = None
) -> dict[str, Any]:
    """Count, amount and weighted amount of the filtered list (`exact` true), in one aggregate query,
    or for the open deals alone (the filter status=open and nothing else) from the PipelineTotal
    summary. When `page` (the list's page) says the list is larger than the exact-count limit and the
    summary cannot answer, the amounts are left out (None) and the count is the page's estimate
    (`exact` false): summing a million rows on every view of the list is not worth its cost."""
    filters = filters or OpportunityFilters()
    if filters == OpportunityFilters(status=Opportunity.Status.OPEN):
        row = open_totals(user)[None]
        return {"count": row["count"], "amount": row["amount"], "weighted": row["weighted"], "exact": True}
    if page is not None and not page.count_exact:
        return {"count": page.count, "amount": None, "weighted": None, "exact": False}
    row = _filtered(user, filters).aggregate(
        n=Count("id"), total=Coalesce(Sum("amount"), ZERO), total_weighted=Coalesce(Sum(WEIGHTED), ZERO)
    )
    return {"count": row["n"], "amount": row["total"], "weighted": row["total_weighted"], "exact": True}


def open_totals(
    user: User,
    *,
    own: bool = False,
    by: str | None = None,
    template: ProcessTemplate | None = None,
    month: date | None = None,
) -> dict[Any, dict[str, Any]]:
    """Count, amount, weighted amount and committed count of the open deals `user` sees (with `own`,
    of their own deals), as one row (key None) or per `by` ("team_id" or "stage_id"); only `template`'s
    stages, only deals closing in `month` (its first day). Read from the PipelineTotal summary for
    the rows the user sees whole plus, one by one, the few deals seen beyond them (core.visibility
    .summary_cover), so a director's or admin's totals cost what the summary holds, not a scan of
    their open deals; exact, like the summary. Groups without an open deal are left out."""
    whole, beyond = summary_cover(user, own=own)
    summary = PipelineTotal.objects.all() if whole is None else PipelineTotal.objects.filter(whole)
    direct = beyond.filter(status=Opportunity.Status.OPEN)
    if template is not None:
        summary = summary.filter(stage__template=template)
        direct = direct.filter(template=template)
    if month is not None:
        _first, last = month_bounds(month)
        summary = summary.filter(close_month=month)
        direct = direct.filter(expected_close_date__gte=month, expected_close_date__lte=last)
    commit = Q(forecast_category=ForecastCategory.COMMIT)
    from_summary = {
        "n": Sum("count"),
        "total": Sum("amount"),
        "w": Sum("weighted"),
        "committed": Sum("count", filter=commit),
    }
    one_by_one = {
        "n": Count("id"),
        "total": Sum("amount"),
        "w": Sum(WEIGHTED),
        "committed": Count("id", filter=commit),
    }
    if by:
        rows = [
            *summary.values(by).annotate(**from_summary).order_by(),
            *direct.values(by).annotate(**one_by_one).order_by(),
        ]
    else:
        rows = [summary.aggregate(**from_summary), direct.aggregate(**one_by_one)]
    totals: dict[Any, dict[str, Any]] = {}
    for row in rows:
        if not row["n"]:
            continue
        into = totals.setdefault(
            row[by] if by else None,
            {"count": 0, "amount": Decimal(0), "weighted": Decimal(0), "committed": 0},
        )
        into["count"] += row["n"]
        into["amount"] += Decimal(str(row["total"] or 0))
        into["weighted"] += Decimal(str(row["w"] or 0))
        into["committed"] += row["committed"] or 0
    if not by and None not in totals:
        totals[None] = {"count": 0, "amount": Decimal(0), "weighted": Decimal(0), "committed": 0}
    return totals


def opportunity_detail(user: User, opp_id: int) -> Opportunity:
    """The opportunity with what its page and API detail show, in a fixed number of queries."""
    opp = access_opportunity(user, opp_id)
    return (
        Opportunity.objects.select_related(
            "account", "owner", "team", "template", "stage", "level", "loss_reason", "winning_competitor"
        )
        .prefetch_related("product_lines", "competitors", "team_members__user", "team_members__role")
        .get(pk=opp.pk)
    )


def opportunity_permissions(user: User, opp: Opportunity) -> dict[str, bool]:
    return {
        "can_edit": can_write_opportunity(user, opp),
        "can_reassign": can_reassign_opportunity(user, opp),
        "can_approve": can_approve_for_opportunity(user, opp),
    }


def stage_history(user: User, opp_id: int) -> list[StageChange]:
    """The opp's history (every change of stage, status, level, amount, close date, owner or forecast
    category), oldest first."""
    opp = access_opportunity(user, opp_id)
    return list(
        StageChange.objects.filter(opportunity=opp)
        .select_related("from_stage", "to_stage", "from_level", "to_level", "changed_by", "owner")
        .order_by("changed_at", "id")
    )


def opportunity_audit(user: User, opp_id: int) -> list[AuditEntry]:
    opp = access_opportunity(user, opp_id)
    return list(
        AuditEntry.objects.filter(entity="pipeline.opportunity", entity_id=opp.pk).select_related("actor")
    )


@dataclass
class BoardColumn:
    stage: Stage
    count: int
    amount: Decimal
    weighted: Decimal
    page: Page


def pipeline_board(
    user: User,
    template: ProcessTemplate | None = None,
    filters: OpportunityFilters | None = None,
    *,
    column_pages: dict[int, int] | None = None,
    per_column: int = 10,
) -> tuple[ProcessTemplate | None, list[BoardColumn]]:
    """Open opportunities of one template as columns per stage: count, amount and weighted amount
    per stage from one grouped aggregate, and one page of cards per column (biggest first)."""
    template = (
        template or ProcessTemplate.objects.filter(is_default=True).first() or ProcessTemplate.objects.first()
    )
    if template is None:
        return None, []
    stages = list(template.stages.filter(is_won=False).select_related("default_level").order_by("order"))
    filters = filters or OpportunityFilters()
    base = _filtered(user, filters).filter(template=template, status=Opportunity.Status.OPEN)
    if filters == OpportunityFilters():  # the whole board: its totals from the summary
        totals = {
            stage_id: {"n": row["count"], "total": row["amount"], "total_weighted": row["weighted"]}
            for stage_id, row in open_totals(user, by="stage_id", template=template).items()
        }
    else:
        totals = {
            row["stage_id"]: row
            for row in base.order_by()
            .values("stage_id")
            .annotate(
                n=Count("id"),
                total=Coalesce(Sum("amount"), ZERO),
                total_weighted=Coalesce(Sum(WEIGHTED), ZERO),
            )
        }
    column_pages = column_pages or {}
    columns = []
    for stage in stages:
        agg = totals.get(stage.pk, {"n": 0, "total": Decimal(0), "total_weighted": Decimal(0)})
        cards = base.filter(stage=stage).select_related("account", "owner", "level").order_by("-amount", "id")
        number = column_pages.get(stage.pk, 1)
        size = per_column
        count = agg["n"]
        last = max(1, -(-count // size))
        number = min(max(number, 1), last)
        items = list(cards[(number - 1) * size : number * size]) if count else []
        columns.append(
            BoardColumn(
                stage=stage,
                count=count,
                amount=agg["total"],
                weighted=agg["total_weighted"],
                page=Page(items=items, count=count, page=number, page_size=size),
            )
        )
    return template, columns
