"""Stage gates over the API: the checklist of a deal, evidence (upload, list, download, withdraw)
and approvals. Moves and overrides are POST /api/opportunities/{id}/move (pipeline)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.errors import NotFound, ValidationFailed
from kadence.core.schemas import ErrorOut, IdPath, PageOut, page_out
from kadence.core.visibility import access_evidence, access_opportunity
from kadence.deals.models import Evidence
from kadence.deals.schemas.gates import (
    ApprovalIn,
    ApprovalOut,
    EvidenceIn,
    EvidenceOut,
    GatesOut,
    OverrideOut,
    OverrideQuery,
)
from kadence.deals.selectors.expenses import year_bounds
from kadence.deals.selectors.gates import gate_checklist, gate_overrides
from kadence.deals.services import gates as services

router = Router(tags=["stage gates"])

OppId = IdPath
EvidenceId = IdPath
CriterionId = IdPath


def _gates(user, opp_id: int) -> dict[str, Any]:
    checklist = gate_checklist(user, opp_id)
    opp, outlook = checklist.opportunity, checklist.outlook
    return {
        "opportunity_id": opp.pk,
        "stage": opp.stage,
        "level": opp.level,
        "staging_flag": opp.staging_flag,
        "c139_result": opp.c139_result,
        "verified_stage_id": checklist.verified_stage_id,
        "next_level": outlook.next_level if outlook else None,
        "next_level_needs": [
            {
                "stage_id": r.criterion.stage_id,
                "criterion_id": r.criterion.pk,
                "code": r.criterion.code,
                "kind": r.criterion.kind,
                "name": r.criterion.name,
                "detail": r.detail,
                "message": r.message,
            }
            for r in (outlook.needs if outlook else [])
        ],
        "next_stage": checklist.next_stage,
        "other_evidence": checklist.other_evidence,
        "stages": [
            {
                "stage": sc.stage,
                "buying_step": sc.stage.buying_step,
                "default_level": sc.stage.default_level.code,
                "state": sc.state,
                "all_met": sc.all_met,
                "criteria": [
                    {
                        "id": r.criterion.pk,
                        "code": r.criterion.code,
                        "kind": r.criterion.kind,
                        "name": r.criterion.name,
                        "config": r.criterion.config or {},
                        "met": r.met,
                        "detail": r.detail,
                        "message": r.message,
                        "evidence": r.evidence,
                        "approval": r.approval,
                    }
                    for r in sc.rows
                ],
            }
            for sc in checklist.stages
        ],
    }


@router.get("/opportunities/{opp_id}/gates", response={200: GatesOut, codes_4xx: ErrorOut})
def get_gates(request: ApiRequest, opp_id: OppId) -> dict[str, Any]:
    """The deal's stage gates: every stage's exit criteria, met or not and why, with their proof."""
    return _gates(request.auth, opp_id)


@router.get("/opportunities/{opp_id}/evidence", response={200: list[EvidenceOut], codes_4xx: ErrorOut})
def list_evidence(request: ApiRequest, opp_id: OppId) -> Any:
    """Live evidence of the deal, newest first."""
    opp = access_opportunity(request.auth, opp_id)
    return list(
        Evidence.objects.filter(opportunity=opp, removed_at__isnull=True)
        .select_related("added_by")
        .order_by("-added_at", "-id")[:500]
    )


@router.post("/opportunities/{opp_id}/evidence", response={201: EvidenceOut, codes_4xx: ErrorOut})
def add_evidence(
    request: ApiRequest,
    opp_id: OppId,
    payload: Form[EvidenceIn],
    file: File[UploadedFile] = None,  # type: ignore[assignment]  # optional, as ninja documents it
) -> Status[Evidence]:
    """Attach evidence (multipart/form-data): a file (size and type limits of the deal-control
    policy; 422 `too_large` / `file_type`), or a link, or a note; for an exit criterion or a free
    evidence type. The deal's level is rechecked."""
    evidence = services.evidence_add(
        request.auth,
        opp_id,
        title=payload.title,
        criterion_id=payload.criterion_id,
        evidence_type=payload.evidence_type,
        url=payload.url,
        note=payload.note,
        upload=file,
    )
    return Status(201, evidence)


@router.get(
    "/evidence/{evidence_id}/download",
    url_name="evidence_download",
    response={codes_4xx: ErrorOut},
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, with the content type it was uploaded with.",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_evidence(request: ApiRequest, evidence_id: EvidenceId) -> Any:
    """The evidence file, to whoever can see its deal."""
    evidence = access_evidence(request.auth, evidence_id)
    if not evidence.file:
        raise NotFound(_("This evidence has no file."))
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The file is missing from storage; ask an admin.")) from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.file_name or "evidence",
        content_type=evidence.content_type or "application/octet-stream",
    )


@router.delete("/evidence/{evidence_id}", response={204: None, codes_4xx: ErrorOut})
def remove_evidence(request: ApiRequest, evidence_id: EvidenceId, reason: Query[str] = "") -> Status[None]:
    """Withdraw evidence (kept in the record as removed); the deal's level is rechecked."""
    services.evidence_remove(request.auth, evidence_id, reason=reason[:500])
    return Status(204, None)


@router.post("/opportunities/{opp_id}/approvals", response={201: ApprovalOut, codes_4xx: ErrorOut})
def approve(request: ApiRequest, opp_id: OppId, payload: ApprovalIn) -> Status[Any]:
    """Approve an `approval` exit criterion: a manager, director or admin responsible for the deal,
    never its owner (403 otherwise)."""
    approval = services.gate_approve(
        request.auth, opp_id, criterion_id=payload.criterion_id, note=payload.note
    )
    return Status(201, approval)


@router.delete("/opportunities/{opp_id}/approvals/{criterion_id}", response={204: None, codes_4xx: ErrorOut})
def revoke(
    request: ApiRequest, opp_id: OppId, criterion_id: CriterionId, reason: Query[str] = ""
) -> Status[None]:
    services.gate_approval_revoke(request.auth, opp_id, criterion_id=criterion_id, reason=reason[:500])
    return Status(204, None)


@router.get("/reports/gate-overrides", response={200: PageOut[OverrideOut], codes_4xx: ErrorOut})
def list_gate_overrides(request: ApiRequest, query: Query[OverrideQuery]) -> dict[str, Any]:
    """Stage moves made without the evidence ("advanced without evidence") on deals you can see,
    in [date_from, date_to] (default: this calendar year), newest first."""
    start, end = year_bounds(timezone.localdate())
    date_from, date_to = query.date_from or start, query.date_to or end
    if date_from > date_to:
        raise ValidationFailed(
            _("The period ends before it starts."), {"date_to": [_("Use a date after the start.")]}
        )
    return page_out(
        gate_overrides(request.auth, date_from, date_to, page=query.page, page_size=query.page_size)
    )
