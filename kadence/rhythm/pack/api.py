"""The weekly 1x1 pack over the API: the packs a user may open, one pack (its sections' data, the
manager's note and the actions in force that week), and the writes of the note and the actions
(`version` → 409 when stale). Money is a decimal string, dates ISO."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.errors import NotFound, ValidationFailed
from kadence.core.schemas import Day, ErrorOut, Id, IdPath, In, PatchIn, RefOut, Version, decimal_text
from kadence.rhythm.pack import services
from kadence.rhythm.pack.models import PackAction
from kadence.rhythm.pack.selectors import ActionRow, Pack, pack, pack_list

router = Router(tags=["rhythm: 1x1 pack"])


def plain(value: Any) -> Any:
    """A section's context as JSON holds it: decimals as strings, dates ISO, lazy text as text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    return value


class PackRowOut(Schema):
    rep: RefOut
    team: str
    open_actions: int


class PackSectionOut(Schema):
    key: str
    title: str
    error: str = Field(description="Why the section could not be computed (empty when it was).")
    data: dict[str, Any]


class PackNoteOut(Schema):
    text: str
    version: int
    written_by: str
    updated_at: datetime


class PackActionOut(Schema):
    id: int
    text: str
    owner: RefOut
    due_on: date | None
    week_start: date = Field(description="The Monday of the week's pack the action was agreed in.")
    done_at: datetime | None
    version: int
    carried: bool = Field(description="Agreed in an earlier week and not done before this one.")
    overdue: bool
    can_mark: bool


class PackOut(Schema):
    rep: RefOut
    week_start: date
    week_end: date
    as_of: date
    can_write: bool
    sections: list[PackSectionOut]
    note: PackNoteOut | None
    actions: list[PackActionOut]


class PackNoteIn(In):
    text: str = Field(max_length=20000)
    version: int | None = Field(None, ge=1, description="The version you read; leave out for the first note.")


class PackActionIn(In):
    text: str = Field(max_length=500)
    owner_id: Id | None = Field(None, description="The rep (default) or one of their managers.")
    due_on: Day | None = None


class PackActionPatch(PatchIn):
    nullable = frozenset({"due_on"})
    version: Version
    text: str | None = Field(None, max_length=500)
    owner_id: Id | None = None
    due_on: Day | None = None
    done: bool | None = Field(None, description="true: done now; false: open again.")


def action_out(row: ActionRow) -> dict[str, Any]:
    a = row.action
    return {
        "id": a.pk,
        "text": a.text,
        "owner": {"id": a.owner_id, "name": a.owner.label},
        "due_on": a.due_on,
        "week_start": a.week_start,
        "done_at": a.done_at,
        "version": a.version,
        "carried": row.carried,
        "overdue": row.overdue,
        "can_mark": row.can_mark,
    }


def pack_out(found: Pack) -> dict[str, Any]:
    note = found.note
    return {
        "rep": {"id": found.rep.pk, "name": found.rep.label},
        "week_start": found.week_start,
        "week_end": found.week_end,
        "as_of": found.as_of,
        "can_write": found.can_write,
        "sections": [
            {"key": v.key, "title": v.title, "error": v.error, "data": plain(v.context)}
            for v in found.sections
        ],
        "note": {
            "text": note.text,
            "version": note.version,
            "written_by": note.written_by.label if note.written_by else "",
            "updated_at": note.updated_at,
        }
        if note
        else None,
        "actions": [action_out(r) for r in found.actions],
    }


@router.get("/rhythm/packs", response={200: list[PackRowOut], codes_4xx: ErrorOut})
def list_packs(request: ApiRequest) -> list[dict[str, Any]]:
    """The sellers whose weekly packs you may open (yourself, for a seller), with their open actions."""
    return [
        {
            "rep": {"id": r.rep.pk, "name": r.rep.label},
            "team": r.rep.org_unit.name if r.rep.org_unit else "",
            "open_actions": r.open_actions,
        }
        for r in pack_list(request.auth)
    ]


@router.get("/rhythm/packs/{rep_id}/{week}", response={200: PackOut, codes_4xx: ErrorOut})
def get_pack(request: ApiRequest, rep_id: IdPath, week: str) -> dict[str, Any]:
    """The 1x1 pack of a seller for the week holding `week` (any day of it, YYYY-MM-DD; this week or an
    earlier one): each section's data, the manager's note, the actions in force that week."""
    return pack_out(pack(request.auth, rep_id, week))


@router.put("/rhythm/packs/{rep_id}/{week}/note", response={200: PackNoteOut, codes_4xx: ErrorOut})
def put_note(request: ApiRequest, rep_id: IdPath, week: str, payload: PackNoteIn) -> dict[str, Any]:
    """Write the manager's note of the pack (the rep's manager and above)."""
    note = services.note_save(request.auth, rep_id, week, text=payload.text, version=payload.version)
    return {
        "text": note.text,
        "version": note.version,
        "written_by": request.auth.label,
        "updated_at": note.updated_at,
    }


def _row(user: Any, action: PackAction) -> dict[str, Any]:
    """The action as the pack of the week it was agreed in shows it (it is always there: it was not
    done before that week started)."""
    found = pack(user, action.rep_id, action.week_start, with_sections=False)
    row = next((r for r in found.actions if r.action.pk == action.pk), None)
    if row is None:
        raise NotFound(_("Action not found."))
    return action_out(row)


@router.post("/rhythm/packs/{rep_id}/{week}/actions", response={201: PackActionOut, codes_4xx: ErrorOut})
def post_action(
    request: ApiRequest, rep_id: IdPath, week: str, payload: PackActionIn
) -> Status[dict[str, Any]]:
    """Agree an action in the pack (the rep's manager and above); it carries over until done."""
    action = services.action_add(request.auth, rep_id, week, **payload.dict())
    return Status(201, _row(request.auth, action))


@router.patch("/rhythm/pack-actions/{action_id}", response={200: PackActionOut, codes_4xx: ErrorOut})
def patch_action(request: ApiRequest, action_id: IdPath, payload: PackActionPatch) -> dict[str, Any]:
    """Change an action (text, owner, due date: the rep's manager and above) or mark it done / open
    again (`done`; the rep may for the actions they own). `version` is the one you read."""
    changes = payload.changes("version", "done")
    version = payload.version
    action = None
    if changes:
        action = services.action_update(request.auth, action_id, version=version, **changes)
        version = action.version
    if payload.done is not None:
        action = services.action_mark(request.auth, action_id, version=version, done=payload.done)
    if action is None:
        raise ValidationFailed(_("Send a change: text, owner_id, due_on or done."), code="nothing_to_change")
    return _row(request.auth, action)
