"""Writes of the weekly 1x1 pack: the manager's note, the agreed actions (add, change, done / undone).
Each is atomic, locks the row it changes, checks the `version` the writer read (409 when stale) and
is audited. Only the rep's manager and above write (kadence.core.visibility.can_write_pack); the rep
may mark done (or undo) the actions they own."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes, diff
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_date, clean_text
from kadence.core.visibility import access_pack_rep, can_mark_pack_action, can_write_pack
from kadence.rhythm.pack.models import PackAction, PackNote
from kadence.rhythm.pack.selectors import parse_week

NOTE = "rhythm.packnote"
ACTION = "rhythm.packaction"


def _writer(user: User, rep_id: int) -> User:
    rep = access_pack_rep(user, rep_id)
    if not can_write_pack(user, rep):
        raise PermissionDenied(_("Only the rep's manager and above write in the 1x1 pack."))
    return rep


@transaction.atomic
def note_save(user: User, rep_id: int, week: Any, *, text: Any, version: int | None = None) -> PackNote:
    """Write the manager's note of a pack: the first save creates it (no version), later saves name the
    version they read (409 when someone saved meanwhile)."""
    rep = _writer(user, rep_id)
    week_start = parse_week(week)
    text = clean_text(text, "text", 20000, multiline=True)
    note = PackNote.objects.select_for_update().filter(rep=rep, week_start=week_start).first()
    if note is None:
        if version not in (None, 0):
            raise Conflict(_("This note was removed meanwhile; reload the pack."), current_version=None)
        try:
            with transaction.atomic():
                note = PackNote.objects.create(rep=rep, week_start=week_start, text=text, written_by=user)
        except IntegrityError:
            raise Conflict(
                _("Someone saved a note for this pack meanwhile; reload it and apply your change again."),
                current_version=1,
            ) from None
        audit_changes(NOTE, note.pk, {"text": ("", text)}, user)
        return note
    changes = diff(note, {"text": text})
    versioned_update(note, require_version(version), {"text": text, "written_by": user})
    audit_changes(NOTE, note.pk, changes, user)
    return note


def _owner(user: User, rep: User, owner_id: Any) -> User:
    """The action's owner: the rep, or someone who writes the rep's pack."""
    if owner_id in (None, ""):
        return rep
    try:
        pk = int(owner_id)
    except (TypeError, ValueError):
        pk = 0
    owner = User.objects.filter(pk=pk, is_active=True).select_related("org_unit").first()
    if owner is None or not (owner.pk == rep.pk or can_write_pack(owner, rep)):
        raise ValidationFailed(
            _("The owner is the rep or one of their managers."),
            {"owner_id": [_("Choose the rep or one of their managers.")]},
        )
    return owner


def _due(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(
                _("Enter a date as YYYY-MM-DD."), {"due_on": [_("Enter a date as YYYY-MM-DD.")]}
            ) from None
    return clean_date(value, "due_on")


def _text(value: Any) -> str:
    text = clean_text(value, "text", 500).strip()
    if not text:
        raise ValidationFailed(_("Say what was agreed."), {"text": [_("This field is required.")]})
    return text


@transaction.atomic
def action_add(
    user: User, rep_id: int, week: Any, *, text: Any, owner_id: Any = None, due_on: Any = None
) -> PackAction:
    """Agree an action in the pack of that week; it carries over to the next weeks' packs until done."""
    rep = _writer(user, rep_id)
    week_start = parse_week(week)
    action = PackAction.objects.create(
        rep=rep,
        week_start=week_start,
        text=_text(text),
        owner=_owner(user, rep, owner_id),
        due_on=_due(due_on),
        created_by=user,
    )
    audit_changes(
        ACTION,
        action.pk,
        {"text": ("", action.text), "owner": ("", action.owner_id), "due_on": ("", action.due_on)},
        user,
    )
    return action


def _locked(user: User, action_id: int) -> tuple[PackAction, User]:
    action = PackAction.objects.select_for_update().filter(pk=action_id).first()
    if action is None:
        raise NotFound(_("Action not found."))
    try:
        rep = access_pack_rep(user, action.rep_id)
    except NotFound:
        raise NotFound(_("Action not found.")) from None
    return action, rep


@transaction.atomic
def action_update(user: User, action_id: int, *, version: Any, **changes: Any) -> PackAction:
    """Change an action's text, owner or due date (the rep's manager and above)."""
    action, rep = _locked(user, action_id)
    if not can_write_pack(user, rep):
        raise PermissionDenied(_("Only the rep's manager and above change an agreed action."))
    values: dict[str, Any] = {}
    if "text" in changes:
        values["text"] = _text(changes["text"])
    if "owner_id" in changes:
        values["owner_id"] = _owner(user, rep, changes["owner_id"]).pk
    if "due_on" in changes:
        values["due_on"] = _due(changes["due_on"])
    found = diff(action, values)
    versioned_update(action, require_version(version), values)
    audit_changes(ACTION, action.pk, found, user)
    return action


@transaction.atomic
def action_mark(user: User, action_id: int, *, version: Any, done: bool = True) -> PackAction:
    """Mark an action done (or not done again): the rep's manager and above, or the rep for their own."""
    action, rep = _locked(user, action_id)
    if not can_mark_pack_action(user, rep, action.owner_id):
        raise PermissionDenied(_("You may mark done only the actions you own."))
    values: dict[str, Any] = (
        {"done_at": timezone.now(), "done_by": user} if done else {"done_at": None, "done_by": None}
    )
    before = action.done_at
    versioned_update(action, require_version(version), values)
    audit_changes(ACTION, action.pk, {"done_at": (before, action.done_at)}, user)
    return action
