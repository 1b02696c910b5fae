"""A deal's buying centre over the API (METHODOLOGY §4): the members with roles, attitude, influence
and last contact, the coverage of the required roles, and the red flags."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from ninja import Router
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import ErrorOut, IdPath
from kadence.deals.schemas.buying_centre import BuyingCentreOut, MemberIn, MemberOut, MemberPatch
from kadence.deals.selectors import buying_centre as selectors
from kadence.deals.services import buying_centre as services

router = Router(tags=["deal control"])

OppId = IdPath
MemberId = IdPath
BASE = "/opportunities/{opp_id}/buying-centre"


def member_out(row: selectors.MemberRow) -> dict[str, Any]:
    m = row.member
    return {
        "id": m.pk,
        "contact": {"id": m.contact.pk, "name": m.contact.name, "title": m.contact.title},
        "roles": [{"code": code, "label": selectors.role_label(code)} for code in m.roles or []],
        "attitude": m.attitude,
        "influence": m.influence,
        "is_key": m.is_key,
        "is_key_contact": row.is_key_contact,
        "last_contact_on": m.last_contact_on,
        "last_contact": row.last_contact,
        "days_since_contact": row.days_since,
        "stale": row.stale,
        "note": m.note,
        "added_at": m.added_at,
        "updated_at": m.updated_at,
        "version": m.version,
    }


def view_out(view: selectors.BuyingCentreView) -> dict[str, Any]:
    cov = view.coverage
    return {
        "opportunity_id": view.opportunity.pk,
        "as_of": view.as_of,
        "stale_days": view.stale_days,
        "coverage": {
            "required": cov.required_count,
            "covered": cov.covered_count,
            "ratio": cov.ratio,
            "percent": cov.percent,
        },
        "required_roles": [{"code": r.code, "label": r.label, "covered": r.covered} for r in view.roles],
        "red_flags": [
            {
                "code": f.code,
                "message": f.message,
                "member_id": f.flag.member_id,
                "name": f.flag.name,
                "days": f.flag.days,
            }
            for f in view.red_flags
        ],
        "members": [member_out(row) for row in view.members],
    }


def _member(request: ApiRequest, opp_id: int, member_id: int) -> dict[str, Any]:
    return member_out(selectors.buying_centre_member(request.auth, opp_id, member_id, timezone.localdate()))


@router.get(BASE, response={200: BuyingCentreOut, codes_4xx: ErrorOut})
def get_buying_centre(request: ApiRequest, opp_id: OppId) -> dict[str, Any]:
    """The deal's buying centre: members (with the last contact, typed or from the activity log),
    the coverage of the required roles and the red flags."""
    return view_out(selectors.buying_centre(request.auth, opp_id, timezone.localdate()))


@router.post(BASE, response={201: MemberOut, codes_4xx: ErrorOut})
def add_member(request: ApiRequest, opp_id: OppId, payload: MemberIn) -> Status[dict[str, Any]]:
    """Put a contact of the deal's account into its buying centre (deal writers and deal team).
    Roles, attitude and influence left out are copied from the contact. 422 `already_member` if
    the contact is already in."""
    member = services.buying_centre_add(request.auth, opp_id, **payload.dict())
    return Status(201, _member(request, opp_id, member.pk))


@router.patch(BASE + "/{member_id}", response={200: MemberOut, codes_4xx: ErrorOut})
def update_member(
    request: ApiRequest, opp_id: OppId, member_id: MemberId, payload: MemberPatch
) -> dict[str, Any]:
    """Change the fields sent. `version` must be the member's version you read (409 `conflict`
    otherwise); `last_contact_on` may not be in the future."""
    services.buying_centre_update(
        request.auth, opp_id, member_id, version=payload.version, **payload.changes("version")
    )
    return _member(request, opp_id, member_id)


@router.delete(BASE + "/{member_id}", response={204: None, codes_4xx: ErrorOut})
def remove_member(request: ApiRequest, opp_id: OppId, member_id: MemberId) -> Status[None]:
    """Take a contact out of the buying centre (the contact stays on the account)."""
    services.buying_centre_remove(request.auth, opp_id, member_id)
    return Status(204, None)
