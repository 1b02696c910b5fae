"""The single-deal diagnosis over the API."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from ninja import Router
from ninja.responses import codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import ErrorOut, IdPath
from kadence.deals.schemas.diagnosis import DiagnosisOut
from kadence.deals.selectors.diagnosis import deal_diagnosis

router = Router(tags=["deal control"])

OppId = IdPath


@router.get("/opportunities/{opp_id}/diagnosis", response={200: DiagnosisOut, codes_4xx: ErrorOut})
def get_diagnosis(request: ApiRequest, opp_id: OppId) -> dict[str, Any]:
    """Diagnose one deal (项目型销售七步分析法): the seven parts and a dated action list with owners."""
    d = deal_diagnosis(request.auth, opp_id, timezone.localdate())
    opp = d.opportunity
    return {
        "opportunity_id": opp.pk,
        "as_of": d.as_of,
        "level": opp.level.code,
        "staging_flag": opp.staging_flag,
        "days_in_stage": d.days_in_stage,
        "stalled": d.stalled,
        "progress": [
            {
                "stage_id": sc.stage.pk,
                "stage": sc.stage.name,
                "state": sc.state,
                "met": sc.met_count,
                "total": len(sc.rows),
            }
            for sc in d.gates.stages
        ],
        "next_steps": [
            {
                "stage_id": r.criterion.stage_id,
                "code": r.criterion.code,
                "kind": r.criterion.kind,
                "name": r.criterion.name,
                "message": r.message,
            }
            for r in d.next_steps
        ],
        "competitors": d.competitors,
        "competition_notes": [{"source": s, "note": n} for s, n in d.competition_notes],
        "bid_outcome": d.bid.outcome if d.bid else None,
        "c139_result": d.c139_result,
        "problems": d.problems,
        "information": [
            {
                "stage_id": i.stage.pk,
                "stage": i.stage.name,
                "buying_step": i.buying_step,
                "planned_on": i.planned_on,
                "actual_on": i.actual_on,
                "evidence_count": i.evidence_count,
            }
            for i in d.information
        ],
        "relationships": [
            {
                "contact_id": m.contact.pk,
                "name": m.contact.name,
                "roles": list(m.member.roles or []),
                "attitude": m.member.attitude,
                "influence": m.member.influence,
                "last_contact": m.last_contact,
                "stale": m.stale,
            }
            for m in d.buying_centre.members
        ],
        "coverage_percent": d.buying_centre.coverage.percent,
        "red_flags": [f.code for f in d.buying_centre.red_flags],
        "expenses": {
            "budget": d.expenses.total.budget,
            "spent": d.expenses.total.spent,
            "used_pct": d.expenses.total.used_pct,
            "state": d.expenses.total.state,
        },
        "actions": [
            {"kind": a.kind, "text": a.text, "actor": a.actor, "due": a.due, "severity": a.severity}
            for a in d.actions
        ],
    }
