"""Opportunities over the API (list, detail, create, edit, stage moves, closing, reassigning, the
deal team, history and audit) and the methodology configuration (read-only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from ninja import Query, Router
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.models import AuditEntry
from kadence.core.schemas import ErrorOut, IdPath, PageOut, page_out
from kadence.pipeline import selectors, services
from kadence.pipeline.models import (
    Competitor,
    DealRole,
    LossReason,
    Opportunity,
    OpportunityTeamMember,
    ProbabilityLevel,
    ProcessTemplate,
    ProductLine,
    Stage,
    StageChange,
)
from kadence.pipeline.schemas import (
    AuditEntryOut,
    CloseLostIn,
    CloseWonOverrideIn,
    CompetitorOut,
    LevelOut,
    MoveIn,
    NamedOut,
    OpportunityDetailOut,
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    OpportunityQuery,
    OrderedNamedOut,
    ReassignIn,
    ReopenIn,
    StageChangeOut,
    TeamMemberIn,
    TeamMemberOut,
    TemplateOut,
)

router = Router(tags=["opportunities"])
catalog_router = Router(tags=["configuration"])

OppId = IdPath
UserId = IdPath
DETAIL = {200: OpportunityDetailOut, codes_4xx: ErrorOut}


def _detail(request: ApiRequest, opp_id: int) -> Opportunity:
    return selectors.opportunity_detail(request.auth, opp_id)


@router.get("/opportunities", response={200: PageOut[OpportunityOut], codes_4xx: ErrorOut})
def list_opportunities(request: ApiRequest, query: Query[OpportunityQuery]) -> dict[str, Any]:
    """Opportunities you may see (own, deal team, or in your managed units), filtered, sorted and
    paginated; `count` counts only those."""
    page = selectors.opportunity_list(
        request.auth,
        query.filters(),
        sort=query.sort,
        page=query.page,
        page_size=query.page_size,
        cursor=query.cursor,
    )
    return page_out(page)


@router.get("/opportunities/{opp_id}", response=DETAIL)
def get_opportunity(request: ApiRequest, opp_id: OppId) -> Opportunity:
    """One opportunity with its stage, level, deal team, product lines, competitors and what you may do."""
    return _detail(request, opp_id)


@router.post("/opportunities", response={201: OpportunityDetailOut, codes_4xx: ErrorOut})
def create_opportunity(request: ApiRequest, payload: OpportunityIn) -> Status[Opportunity]:
    """Open an opportunity at an account you can see; it starts at the template's first stage
    (or `stage_id`) and gets a first history row."""
    opp = services.opportunity_create(request.auth, **payload.dict())
    return Status(201, _detail(request, opp.pk))


@router.patch("/opportunities/{opp_id}", response=DETAIL)
def update_opportunity(request: ApiRequest, opp_id: OppId, payload: OpportunityPatch) -> Opportunity:
    """Change the fields sent (name, amount, currency, close date, forecast category, description,
    next step, product lines, competitors). `version` must be the one you read (409 `conflict`
    otherwise); stage, level, status and owner change through their own actions."""
    services.opportunity_update(
        request.auth,
        opp_id,
        version=payload.version,
        reason=payload.reason,
        **payload.changes("version", "reason"),
    )
    return _detail(request, opp_id)


@router.post("/opportunities/{opp_id}/move", response=DETAIL)
def move_opportunity(request: ApiRequest, opp_id: OppId, payload: MoveIn) -> Opportunity:
    """Move to another stage of its process: forward moves must meet the exit criteria (409
    `gate_not_met` lists what is missing) unless a manager responsible for the deal, not its owner,
    overrides with a reason; backward moves are recorded; the closing stage closes won."""
    services.opportunity_move_stage(
        request.auth,
        opp_id,
        stage_id=payload.stage_id,
        version=payload.version,
        reason=payload.reason,
        override=payload.override,
    )
    return _detail(request, opp_id)


@router.post("/opportunities/{opp_id}/close-won", response=DETAIL)
def close_won(request: ApiRequest, opp_id: OppId, payload: CloseWonOverrideIn) -> Opportunity:
    """Close as won (level Won, 100 %, category booked). The exit criteria of the stages before the
    closing one must be met (409 `gate_not_met` lists them) unless a manager overrides."""
    services.opportunity_close_won(
        request.auth,
        opp_id,
        version=payload.version,
        closed_on=payload.closed_on,
        reason=payload.reason,
        override=payload.override,
    )
    return _detail(request, opp_id)


@router.post("/opportunities/{opp_id}/close-lost", response=DETAIL)
def close_lost(request: ApiRequest, opp_id: OppId, payload: CloseLostIn) -> Opportunity:
    """Close as lost, with a loss reason and (if known) the winning competitor."""
    services.opportunity_close_lost(
        request.auth,
        opp_id,
        loss_reason_id=payload.loss_reason_id,
        winning_competitor_id=payload.winning_competitor_id,
        version=payload.version,
        closed_on=payload.closed_on,
        reason=payload.reason,
    )
    return _detail(request, opp_id)


@router.post("/opportunities/{opp_id}/reopen", response=DETAIL)
def reopen(request: ApiRequest, opp_id: OppId, payload: ReopenIn) -> Opportunity:
    """Reopen a closed opportunity (a reason is required)."""
    services.opportunity_reopen(request.auth, opp_id, version=payload.version, reason=payload.reason)
    return _detail(request, opp_id)


@router.post("/opportunities/{opp_id}/reassign", response=DETAIL)
def reassign(request: ApiRequest, opp_id: OppId, payload: ReassignIn) -> Opportunity:
    """Give the opportunity to someone else (managers, directors, admins with the deal in scope);
    the deal follows the new owner's team."""
    services.opportunity_reassign(
        request.auth, opp_id, owner_id=payload.owner_id, version=payload.version, reason=payload.reason
    )
    return _detail(request, opp_id)


@router.get("/opportunities/{opp_id}/history", response={200: list[StageChangeOut], codes_4xx: ErrorOut})
def history(request: ApiRequest, opp_id: OppId) -> list[StageChange]:
    """The stage history, oldest first: one row per creation, move, close and reopen."""
    return selectors.stage_history(request.auth, opp_id)


@router.get("/opportunities/{opp_id}/audit", response={200: list[AuditEntryOut], codes_4xx: ErrorOut})
def audit(request: ApiRequest, opp_id: OppId) -> list[AuditEntry]:
    """Field changes (amount, close date, owner, level, forecast category, deal team), newest first."""
    return selectors.opportunity_audit(request.auth, opp_id)


@router.get("/opportunities/{opp_id}/team", response={200: list[TeamMemberOut], codes_4xx: ErrorOut})
def list_team(request: ApiRequest, opp_id: OppId) -> list[OpportunityTeamMember]:
    """The deal team: who works on the deal, in which role."""
    return list(_detail(request, opp_id).team_members.all())


@router.post("/opportunities/{opp_id}/team", response={201: TeamMemberOut, codes_4xx: ErrorOut})
def add_team_member(request: ApiRequest, opp_id: OppId, payload: TeamMemberIn) -> Status[Any]:
    """Put someone on the deal team with a role (or change their role). Team members may read the deal."""
    row = services.opportunity_team_add(
        request.auth, opp_id, user_id=payload.user_id, role_id=payload.role_id
    )
    return Status(201, row)


@router.delete("/opportunities/{opp_id}/team/{user_id}", response={204: None, codes_4xx: ErrorOut})
def remove_team_member(request: ApiRequest, opp_id: OppId, user_id: UserId) -> Status[None]:
    """Take someone off the deal team."""
    services.opportunity_team_remove(request.auth, opp_id, user_id=user_id)
    return Status(204, None)


# --- configuration (read-only) -----------------------------------------------------------------


@catalog_router.get("/templates", response={200: list[TemplateOut], codes_4xx: ErrorOut})
def list_templates(request: ApiRequest, include_inactive: bool = False) -> Any:
    """Process templates with their stages (buying step, default level, standard days) and exit criteria."""
    stages = Stage.objects.select_related("default_level").prefetch_related("exit_criteria").order_by("order")
    qs = ProcessTemplate.objects.prefetch_related(Prefetch("stages", queryset=stages))
    return qs if include_inactive else qs.filter(is_active=True)


@catalog_router.get("/levels", response={200: list[LevelOut], codes_4xx: ErrorOut})
def list_levels(request: ApiRequest) -> Any:
    """The win-probability ladder, lowest rung first."""
    return ProbabilityLevel.objects.order_by("order")


@catalog_router.get("/product-lines", response={200: list[NamedOut], codes_4xx: ErrorOut})
def list_product_lines(request: ApiRequest) -> Any:
    """Product lines an opportunity may include."""
    return ProductLine.objects.order_by("code")


@catalog_router.get("/competitors", response={200: list[CompetitorOut], codes_4xx: ErrorOut})
def list_competitors(request: ApiRequest) -> Any:
    """Competing vendors."""
    return Competitor.objects.order_by("name")


@catalog_router.get("/loss-reasons", response={200: list[OrderedNamedOut], codes_4xx: ErrorOut})
def list_loss_reasons(request: ApiRequest) -> Any:
    """Why deals are lost (one is required to close lost)."""
    return LossReason.objects.order_by("order", "code")


@catalog_router.get("/deal-roles", response={200: list[OrderedNamedOut], codes_4xx: ErrorOut})
def list_deal_roles(request: ApiRequest) -> Any:
    """Roles on a deal team."""
    return DealRole.objects.order_by("order", "code")
