"""Target negotiations over the API (三上三下, issue 14 §2). Figures are decimal strings (year totals).

- GET  /api/performance/negotiations — the negotiations you read; POST — open one on a draft grid;
- GET  /api/performance/negotiations/{id} — every round of every unit you read;
- POST /api/performance/negotiations/{id}/answers — a unit's committed figure (its figure's `version`);
- POST /api/performance/negotiations/{id}/proposals — the top's adjustment (the negotiation's `version`);
- POST /api/performance/negotiations/{id}/close — apply the settled figures and approve the grid;
- GET/PUT /api/performance/negotiation-policy — the rules (rounds at most, the agreed gap; PUT: admin)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.pagination import paginate
from kadence.core.schemas import (
    ErrorOut,
    Id,
    IdPath,
    In,
    Money,
    MoneyIn,
    PageOut,
    PageQuery,
    Version,
    page_out,
)
from kadence.performance.negotiation import services
from kadence.performance.negotiation.models import Negotiation, NegotiationFigure, NegotiationPolicy
from kadence.performance.negotiation.selectors import access_negotiation, negotiation_list, negotiation_view

router = Router(tags=["performance: target negotiation"])


class NegotiationOut(Schema):
    id: int
    grid_id: int
    grid_version: int
    root_id: int
    root_name: str
    year: int
    status: str
    outcome: str
    round: int
    max_rounds: int
    gap_threshold: Decimal
    note: str
    opened_at: datetime
    closed_at: datetime | None
    version: int


class NegotiationRoundOut(Schema):
    round: int
    proposed: Money
    committed: Money | None
    gap_pct: Decimal | None
    bottom_up: Money | None
    booked: Money | None
    pipeline: Money | None
    new_business: Money | None
    pipeline_source: str
    note: str
    version: int


class NegotiationUnitOut(Schema):
    unit_id: int
    name: str
    row_id: int
    can_answer: bool
    final: Money | None
    rounds: list[NegotiationRoundOut]


class NegotiationDetailOut(Schema):
    negotiation: NegotiationOut
    can_manage: bool
    units: list[NegotiationUnitOut]


class ProposalIn(In):
    unit_id: Id
    amount: MoneyIn


class NegotiationOpenIn(In):
    grid_id: Id
    version: Version = Field(description="The grid's version as read.")
    proposals: list[ProposalIn] = Field(default_factory=list, max_length=1000)
    note: str = Field("", max_length=500)


class NegotiationAnswerIn(In):
    unit_id: Id
    committed: MoneyIn
    version: Version = Field(description="The unit's figure of the current round, as read.")
    note: str = Field("", max_length=500)


class NegotiationProposeIn(In):
    version: Version
    proposals: list[ProposalIn] = Field(default_factory=list, max_length=1000)


class NegotiationVersionIn(In):
    version: Version


class NegotiationPolicyOut(Schema):
    max_rounds: int
    gap_threshold: Decimal
    version: int


class NegotiationPolicyIn(In):
    max_rounds: int = Field(ge=1, le=9)
    gap_threshold: Decimal = Field(ge=0, lt=1, decimal_places=4, description="0.05 is 5 %.")
    version: Version


def negotiation_out(n: Negotiation) -> dict[str, Any]:
    return {
        "id": n.pk,
        "grid_id": n.grid_id,
        "grid_version": n.grid.version,
        "root_id": n.root_id,
        "root_name": str(n.root),
        "year": n.grid.year,
        "status": n.status,
        "outcome": n.outcome,
        "round": n.round,
        "max_rounds": n.max_rounds,
        "gap_threshold": n.gap_threshold,
        "note": n.note,
        "opened_at": n.opened_at,
        "closed_at": n.closed_at,
        "version": n.version,
    }


def _round(f: NegotiationFigure) -> dict[str, Any]:
    return {
        "round": f.round,
        "proposed": f.proposed,
        "committed": f.committed,
        "gap_pct": f.gap_pct,
        "bottom_up": f.bottom_up,
        "booked": f.booked,
        "pipeline": f.pipeline,
        "new_business": f.new_business,
        "pipeline_source": f.pipeline_source,
        "note": f.note,
        "version": f.version,
    }


def _detail(request: ApiRequest, negotiation_id: int) -> dict[str, Any]:
    view = negotiation_view(request.auth, access_negotiation(request.auth, negotiation_id))
    return {
        "negotiation": negotiation_out(view.negotiation),
        "can_manage": view.can_manage,
        "units": [
            {
                "unit_id": p.party.unit_id,
                "name": p.name,
                "row_id": p.party.row_id,
                "can_answer": p.can_answer,
                "final": p.party.final,
                "rounds": [_round(f) for f in p.rounds],
            }
            for p in view.parties
        ],
    }


def _proposals(items: list[ProposalIn]) -> dict[int, Decimal]:
    return {p.unit_id: p.amount for p in items}


@router.get("/performance/negotiations", response={200: PageOut[NegotiationOut], codes_4xx: ErrorOut})
def list_negotiations(request: ApiRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """The negotiations on grids you read (managers, directors and admins), newest first."""
    page = paginate(negotiation_list(request.auth), query.page, query.page_size)
    return {**page_out(page), "items": [negotiation_out(n) for n in page.items]}


@router.post("/performance/negotiations", response={201: NegotiationDetailOut, codes_4xx: ErrorOut})
def open_negotiation(request: ApiRequest, payload: NegotiationOpenIn) -> Status[dict[str, Any]]:
    """Open a negotiation on a draft grid (whoever may manage it) with round 1's proposed year figure per
    unit right below the grid's unit (a unit left out: its year in the grid). 409 `stale` on an old grid
    version, `duplicate` when one is open; 422 `not_draft`, `not_additive`, `no_units`."""
    n = services.negotiation_open(
        request.auth,
        grid_id=payload.grid_id,
        version=payload.version,
        proposals=_proposals(payload.proposals),
        note=payload.note,
    )
    return Status(201, _detail(request, n.pk))


@router.get(
    "/performance/negotiations/{negotiation_id}", response={200: NegotiationDetailOut, codes_4xx: ErrorOut}
)
def get_negotiation(request: ApiRequest, negotiation_id: IdPath) -> dict[str, Any]:
    """Every round of every unit you read: proposed, committed, the gap, and the bottom-up figure."""
    return _detail(request, negotiation_id)


@router.post(
    "/performance/negotiations/{negotiation_id}/answers",
    response={200: NegotiationDetailOut, codes_4xx: ErrorOut},
)
def answer_negotiation(
    request: ApiRequest, negotiation_id: IdPath, payload: NegotiationAnswerIn
) -> dict[str, Any]:
    """A unit's committed figure for the current round (its lead; 409 `stale`, `not_answering`)."""
    services.negotiation_answer(
        request.auth,
        negotiation_id,
        unit_id=payload.unit_id,
        committed=payload.committed,
        version=payload.version,
        note=payload.note,
    )
    return _detail(request, negotiation_id)


@router.post(
    "/performance/negotiations/{negotiation_id}/proposals",
    response={200: NegotiationDetailOut, codes_4xx: ErrorOut},
)
def propose_negotiation(
    request: ApiRequest, negotiation_id: IdPath, payload: NegotiationProposeIn
) -> dict[str, Any]:
    """The top's adjustment: opens the next round (409 `stale`, `not_adjusting`)."""
    services.negotiation_propose(
        request.auth, negotiation_id, version=payload.version, proposals=_proposals(payload.proposals)
    )
    return _detail(request, negotiation_id)


@router.post(
    "/performance/negotiations/{negotiation_id}/close",
    response={200: NegotiationDetailOut, codes_4xx: ErrorOut},
)
def close_negotiation(
    request: ApiRequest, negotiation_id: IdPath, payload: NegotiationVersionIn
) -> dict[str, Any]:
    """Apply the settled figures to the grid and approve it (409 `stale`, `not_settled`)."""
    services.negotiation_close(request.auth, negotiation_id, version=payload.version)
    return _detail(request, negotiation_id)


def _policy_out(p: NegotiationPolicy) -> dict[str, Any]:
    return {"max_rounds": p.max_rounds, "gap_threshold": p.gap_threshold, "version": p.version}


@router.get("/performance/negotiation-policy", response={200: NegotiationPolicyOut, codes_4xx: ErrorOut})
def get_policy(request: ApiRequest) -> dict[str, Any]:
    """The negotiation rules in force for new negotiations."""
    return _policy_out(NegotiationPolicy.current())


@router.put("/performance/negotiation-policy", response={200: NegotiationPolicyOut, codes_4xx: ErrorOut})
def put_policy(request: ApiRequest, payload: NegotiationPolicyIn) -> dict[str, Any]:
    """Set the rules (an admin; 409 `stale`)."""
    return _policy_out(
        services.policy_update(
            request.auth,
            max_rounds=payload.max_rounds,
            gap_threshold=payload.gap_threshold,
            version=payload.version,
        )
    )
