"""Writes of the 1-15-30 cadence and of the debriefs (DESIGN rule 4): each in one transaction, the
subject's row (deal or account) locked first, then the items it changes; a stale `version` answers
409; every change audited. The effects of a judgement on a deal go through the pipeline services
(next step, forecast category, close lost), so the deal's history, audit and summaries stay exact.

Who: the rep of the subject, a manager or director with its team in scope, an admin
(core.visibility.can_act_on_cadence); for a deal also whoever may write it (the pipeline decides).

A "continue" judgement writes the next step on the deal ("2026-12-20: meet the CIO", the deal's
next-step field, opportunity_update) and plans an activity on that date (activity_create, not done)
— for an account, the planned activity only. A "downgrade" lowers the deal's forecast category one
step (kadence.domain.cadence.lower_category); for an account it is recorded only (an account has no
priority of its own: the judgement is the record that it was downgraded). "Stop" closes the deal lost
with a loss reason (opportunity_close_lost); for an account it is recorded only.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.models import Account
from kadence.activities.models import Activity
from kadence.activities.services import activity_create
from kadence.core.audit import audit_changes
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_date, clean_text, not_in_future
from kadence.core.visibility import (
    access_account,
    access_cadence_item,
    access_debrief,
    access_opportunity,
    can_act_on_cadence,
    can_record_debrief,
    visible_accounts,
    visible_users,
)
from kadence.domain import cadence
from kadence.pipeline.models import Opportunity
from kadence.pipeline.services import opportunity_close_lost, opportunity_update
from kadence.rhythm.cadence.models import CadenceItem, CadencePolicy, Debrief, Review

REVIEW = "rhythm.review"
ITEM = "rhythm.cadence_item"
DEBRIEF = "rhythm.debrief"
NOTE_MAX = 5000
NEXT_STEP_MAX = 280  # leaves room for the date in the deal's 300-character next step
BACKDATE_MAX_DAYS = 365


def _required(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field: [_("This field is required.")]})


def _lock_subject(
    user: User, *, opportunity_id: int | None, account_id: int | None
) -> tuple[Opportunity | None, Account | None]:
    """The subject, under its row lock, if `user` may act on it (the deal's writers, the account's
    writers, and can_act_on_cadence for its owner and team)."""
    if (opportunity_id is None) == (account_id is None):
        raise ValidationFailed(
            _("Review either a deal or a customer."),
            {"opportunity_id": [_("Choose one subject.")], "account_id": [_("Choose one subject.")]},
        )
    if opportunity_id is not None:
        opp = access_opportunity(user, opportunity_id, for_write=True, lock=True)
        if not can_act_on_cadence(user, opp.owner_id, opp.team_id):
            raise PermissionDenied(_("Only the deal's rep, their manager or above may review it."))
        return opp, None
    account = access_account(user, account_id, for_write=True)  # type: ignore[arg-type]
    if not can_act_on_cadence(user, account.owner_id, account.team_id):
        raise PermissionDenied(_("Only the customer's rep, their manager or above may review it."))
    Account.objects.select_for_update().filter(pk=account.pk).values_list("pk").first()
    return None, account


@transaction.atomic
def review_create(
    user: User,
    *,
    opportunity_id: int | None = None,
    account_id: int | None = None,
    work_done: str = "",
    progress: str = "",
    problems: str = "",
    reviewed_on: date | None = None,
    today: date | None = None,
) -> Review:
    """Record a review of a deal or a customer and schedule its follow-up and judgement with the
    policy's intervals; the open items of earlier reviews of the same subject are superseded."""
    today = today or timezone.localdate()
    reviewed_on = reviewed_on or today
    not_in_future(reviewed_on, today, "reviewed_on")
    if reviewed_on < today - timedelta(days=BACKDATE_MAX_DAYS):
        raise ValidationFailed(
            _("A review can be dated at most a year back."), {"reviewed_on": [_("Too early.")]}
        )
    texts = {
        "work_done": clean_text(work_done, "work_done", NOTE_MAX, multiline=True).strip(),
        "progress": clean_text(progress, "progress", NOTE_MAX, multiline=True).strip(),
        "problems": clean_text(problems, "problems", NOTE_MAX, multiline=True).strip(),
    }
    if not any(texts.values()):
        raise ValidationFailed(
            _("Say what was done, the progress or the problems."),
            {"work_done": [_("This field is required.")]},
        )
    opp, account = _lock_subject(user, opportunity_id=opportunity_id, account_id=account_id)
    subject = opp or account
    assert subject is not None
    policy = CadencePolicy.current()
    review = Review.objects.create(
        subject=Review.Subject.DEAL if opp else Review.Subject.ACCOUNT,
        opportunity=opp,
        account=account,
        reviewer=user,
        rep_id=subject.owner_id,
        team_id=subject.team_id,
        reviewed_on=reviewed_on,
        created_at=timezone.now(),
        **texts,
    )
    same_subject = Q(review__opportunity=opp) if opp else Q(review__account=account)
    earlier = CadenceItem.objects.filter(same_subject, status=CadenceItem.Status.OPEN).exclude(review=review)
    superseded = list(earlier.select_for_update(of=("self",)).values_list("pk", flat=True))
    if superseded:
        now = timezone.now()
        CadenceItem.objects.filter(pk__in=superseded).update(
            status=CadenceItem.Status.SUPERSEDED,
            superseded_by=review,
            done_at=now,
            done_on=today,
            done_by=user,
        )
        for pk in superseded:
            audit_changes(ITEM, pk, {"status": ("open", "superseded")}, user, f"review {review.pk}")
    due = cadence.schedule(reviewed_on, policy.follow_up_days, policy.judgement_days)
    CadenceItem.objects.bulk_create(
        [
            CadenceItem(review=review, kind=kind, rep_id=review.rep_id, team_id=review.team_id, due_on=on)
            for kind, on in (
                (CadenceItem.Kind.FOLLOW_UP, due.follow_up_on),
                (CadenceItem.Kind.JUDGEMENT, due.judgement_on),
            )
        ]
    )
    audit_changes(REVIEW, review.pk, {"subject": ("", f"{review.subject}:{subject.pk}")}, user)
    return review


def _item_for_write(user: User, item_id: int, version: Any) -> tuple[CadenceItem, Opportunity | None]:
    """The item, its deal (if any) locked first and the item second, open and at `version`."""
    version = require_version(version)
    item = access_cadence_item(user, item_id, for_write=True)
    opp = None
    if item.review.opportunity_id is not None:
        opp = access_opportunity(user, item.review.opportunity_id, lock=True)
    item = access_cadence_item(user, item_id, for_write=True, lock=True)
    if item.version != version:
        raise Conflict(
            _(
                "This item was changed by someone else (version %(current)s, you read version %(yours)s). "
                "Reload it."
            )
            % {"current": item.version, "yours": version},
            current_version=item.version,
        )
    if item.status != CadenceItem.Status.OPEN:
        raise Conflict(
            _("This item was superseded by a later review.")
            if item.status == CadenceItem.Status.SUPERSEDED
            else _("This item was already recorded."),
            code="not_open",
            current_version=item.version,
        )
    return item, opp


def _close(
    item: CadenceItem, user: User, version: int, values: dict[str, Any], note: str, today: date | None
) -> None:
    now = timezone.now()
    old = {"status": item.status, "outcome": item.outcome}
    versioned_update(
        item,
        version,
        {
            "status": CadenceItem.Status.DONE,
            "done_at": now,
            "done_on": today or timezone.localdate(now),
            "done_by": user,
            "note": note,
            **values,
        },
    )
    audit_changes(
        ITEM,
        item.pk,
        {"status": (old["status"], item.status), "outcome": (old["outcome"], item.outcome)},
        user,
        note,
    )


@transaction.atomic
def follow_up_record(
    user: User, item_id: int, *, version: Any, note: str, today: date | None = None
) -> CadenceItem:
    """Record the 15-day follow-up of a review: what the subject's progress is now (a note)."""
    item, _opp = _item_for_write(user, item_id, version)
    if item.kind != CadenceItem.Kind.FOLLOW_UP:
        raise ValidationFailed(_("This item is a judgement; record a judgement."), code="wrong_kind")
    note = clean_text(note, "note", NOTE_MAX, multiline=True).strip()
    if not note:
        raise _required("note", _("Say how the customer's progress was followed up."))
    _close(item, user, version, {"outcome": CadenceItem.Outcome.FOLLOWED_UP}, note, today)
    return item


def _next_step(policy: CadencePolicy, text: Any, when: Any, today: date) -> tuple[str, date]:
    errors: dict[str, list[str]] = {}
    text = clean_text(text, "next_step", NEXT_STEP_MAX).strip()
    if not text:
        errors["next_step"] = [_("Say what the next step is.")]
    if not isinstance(when, date):
        errors["next_step_on"] = [_("Give the date of the next step.")]
    else:
        clean_date(when, "next_step_on")
        if not today < when <= today + timedelta(days=policy.next_step_max_days):
            errors["next_step_on"] = [
                _("Use a date after today and at most %(days)d days ahead.")
                % {"days": policy.next_step_max_days}
            ]
    if errors:
        raise ValidationFailed(_("Continuing needs a next step and its date."), errors)
    assert isinstance(when, date)
    return text, when


@transaction.atomic
def judgement_record(
    user: User,
    item_id: int,
    *,
    version: Any,
    outcome: str,
    note: str = "",
    next_step: str = "",
    next_step_on: date | None = None,
    activity_kind: str = Activity.Kind.VISIT,
    loss_reason_id: int | None = None,
    today: date | None = None,
) -> CadenceItem:
    """Record the 30-day intent judgement of a review and do it: "continue" (a dated next step),
    "downgrade" (the deal's forecast category one step lower) or "stop" (a deal closed lost with
    `loss_reason_id`). When the pipeline refuses (a closed deal, no loss reason…) nothing is recorded."""
    today = today or timezone.localdate()
    if outcome not in (
        CadenceItem.Outcome.CONTINUE,
        CadenceItem.Outcome.DOWNGRADE,
        CadenceItem.Outcome.STOP,
    ):
        raise ValidationFailed(
            _("Choose continue, downgrade or stop investing."), {"outcome": [_("Unknown outcome.")]}
        )
    item, opp = _item_for_write(user, item_id, version)
    if item.kind != CadenceItem.Kind.JUDGEMENT:
        raise ValidationFailed(_("This item is a follow-up; record a follow-up."), code="wrong_kind")
    note = clean_text(note, "note", NOTE_MAX, multiline=True).strip()
    policy = CadencePolicy.current()
    values: dict[str, Any] = {"outcome": outcome}
    reason = note or _("1-15-30 judgement: %(outcome)s") % {"outcome": CadenceItem.Outcome(outcome).label}
    if opp is not None and opp.status != Opportunity.Status.OPEN and outcome != CadenceItem.Outcome.STOP:
        raise ValidationFailed(
            _("This deal is closed; only 'stop investing' can be recorded."), code="closed"
        )
    if outcome == CadenceItem.Outcome.CONTINUE:
        text, when = _next_step(policy, next_step, next_step_on, today)
        if activity_kind not in Activity.Kind.values:
            raise ValidationFailed(
                _("Unknown activity kind."), {"activity_kind": [_("Choose a listed kind.")]}
            )
        values.update(next_step=text, next_step_on=when)
        account_id = opp.account_id if opp else item.review.account_id
        if opp is not None:
            opportunity_update(
                user, opp.pk, version=opp.version, reason=reason, next_step=f"{when.isoformat()}: {text}"
            )
        visible = account_id is not None and visible_accounts(user).filter(pk=account_id).exists()
        if user.org_unit_id is not None and visible:
            activity_create(
                user,
                account_id=account_id,
                opportunity_id=opp.pk if opp else None,
                kind=activity_kind,
                subject=text[:200],
                date=when,
                done=False,
                next_step=text,
                next_step_date=when,
            )
    elif outcome == CadenceItem.Outcome.DOWNGRADE and opp is not None:
        lower = cadence.lower_category(opp.forecast_category)
        if lower is None:
            raise ValidationFailed(
                _("This deal is at the lowest forecast category; stop investing instead."),
                code="lowest_category",
            )
        opportunity_update(user, opp.pk, version=opp.version, reason=reason, forecast_category=lower)
    elif outcome == CadenceItem.Outcome.STOP and opp is not None and opp.status == Opportunity.Status.OPEN:
        if not loss_reason_id:
            raise ValidationFailed(_("Choose why the deal is lost."), {"loss_reason_id": [_("Required.")]})
        opportunity_close_lost(
            user, opp.pk, loss_reason_id=loss_reason_id, version=opp.version, reason=reason
        )
        values["loss_reason_id"] = loss_reason_id
    _close(item, user, version, values, note, today)
    return item


# --- debriefs and ride-alongs -------------------------------------------------------------------

DEBRIEF_TEXTS = ("customer_situation", "rep_ability", "market_conditions", "coaching", "findings", "actions")


def _debrief_values(user: User, rep: User, data: dict[str, Any], today: date) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "kind" in data:
        if data["kind"] not in Debrief.Kind.values:
            raise ValidationFailed(
                _("Choose a debrief talk or a ride-along."), {"kind": [_("Unknown kind.")]}
            )
        values["kind"] = data["kind"]
    if "held_on" in data:
        if data["held_on"] is None:
            raise _required("held_on", _("Give the date."))
        not_in_future(data["held_on"], today, "held_on")
        values["held_on"] = data["held_on"]
    for key in DEBRIEF_TEXTS:
        if key in data:
            values[key] = clean_text(data[key], key, NOTE_MAX, multiline=True).strip()
    if "opportunity_id" in data:
        values["opportunity"] = None
        if data["opportunity_id"]:
            opp = access_opportunity(user, data["opportunity_id"])
            if opp.owner_id != rep.pk:
                raise ValidationFailed(
                    _("The deal must be the rep's."), {"opportunity_id": [_("Another rep's deal.")]}
                )
            values["opportunity"] = opp
            values["account_id"] = opp.account_id  # the deal's customer
    if "account_id" in data and "account_id" not in values:
        values["account"] = access_account(user, data["account_id"]) if data["account_id"] else None
    return values


@transaction.atomic
def debrief_create(user: User, *, rep_id: int, today: date | None = None, **data: Any) -> Debrief:
    """Record a debrief talk or a ride-along with a seller of the user's scope."""
    today = today or timezone.localdate()
    rep = visible_users(user).filter(pk=rep_id).first()
    if rep is None:
        raise ValidationFailed(_("Unknown rep."), {"rep_id": [_("Unknown id.")]})
    if not can_record_debrief(user, rep):
        raise PermissionDenied(_("Managers and above record debriefs, about the sellers of their units."))
    for field in ("kind", "held_on"):
        if data.get(field) is None:
            raise _required(field, _("Give the kind and the date."))
    values = _debrief_values(user, rep, data, today)
    if not any(values.get(key) for key in DEBRIEF_TEXTS):
        raise ValidationFailed(
            _("Write down at least one observation, finding or action."),
            {"findings": [_("This field is required.")]},
        )
    if rep.org_unit_id is None:
        raise ValidationFailed(_("The rep belongs to no team."), {"rep_id": [_("No team.")]}, code="no_team")
    now = timezone.now()
    debrief = Debrief.objects.create(
        rep=rep, team_id=rep.org_unit_id, manager=user, created_at=now, updated_at=now, **values
    )
    audit_changes(DEBRIEF, debrief.pk, {"kind": ("", debrief.kind), "rep": ("", rep.pk)}, user)
    return debrief


@transaction.atomic
def debrief_update(
    user: User, debrief_id: int, *, version: Any, today: date | None = None, **data: Any
) -> Debrief:
    """Change a debrief (who recorded it, or an admin); a stale `version` answers 409."""
    version = require_version(version)
    today = today or timezone.localdate()
    debrief = access_debrief(user, debrief_id, for_write=True)
    Debrief.objects.select_for_update().filter(pk=debrief.pk).values_list("pk").first()
    values = _debrief_values(user, debrief.rep, data, today)
    changes = {k: (getattr(debrief, k), v) for k, v in values.items() if k in ("kind", "held_on")}
    versioned_update(debrief, version, values)
    audit_changes(DEBRIEF, debrief.pk, changes, user)
    return debrief
