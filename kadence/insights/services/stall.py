"""The required outcome for a stalled deal (METHODOLOGY §8.2): each stalled deal gets one of a dated
next step, a downgrade (back to an earlier stage) or closing it lost. `stall_act` records what was
decided (a StallAction with the reasons the deal was stalled at that moment) and does it through the
pipeline services, in one transaction: when the pipeline refuses (a stale version, a missing loss
reason, a closed deal…) nothing is recorded.

Who: whoever may write the deal (its owner, a manager or director with it in scope, an admin).

A dated next step must be after today and at most NEXT_STEP_MAX_DAYS ahead. It becomes the deal's
next step ("2025-07-03: call the CIO"), a planned activity on that date (when the actor may log one:
they sit in a team and see the deal's account), and it holds the "no customer activity" reason off up to
and including that date (kadence.domain.stall); the other reasons still count. Recording it updates
the deal's stall summary (`refresh_next_step`, kadence.pipeline.stall) under the deal's row lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.activities.models import Activity
from kadence.activities.services import activity_create
from kadence.core.audit import audit_changes
from kadence.core.concurrency import require_version
from kadence.core.errors import ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_text
from kadence.core.visibility import access_opportunity, visible_accounts
from kadence.deals.models import StallAction
from kadence.insights.selectors.stalled import deal_stall_reasons, next_steps
from kadence.pipeline.models import Opportunity, Stage
from kadence.pipeline.services import opportunity_close_lost, opportunity_move_stage, opportunity_update
from kadence.pipeline.stall import refresh

ENTITY = "pipeline.opportunity"
NEXT_STEP_MAX_DAYS = 30
NEXT_STEP_MAX_LENGTH = 280  # leaves room for the date in the deal's 300-character next step


def _next_step(text: Any, when: Any, today: date) -> tuple[str, date]:
    errors: dict[str, list[str]] = {}
    text = clean_text(text, "next_step", NEXT_STEP_MAX_LENGTH).strip()
    if not text:
        errors["next_step"] = [_("Say what the next step is.")]
    if not isinstance(when, date):
        errors["next_step_on"] = [_("Give the date of the next step.")]
    elif not today < when <= date.fromordinal(today.toordinal() + NEXT_STEP_MAX_DAYS):
        errors["next_step_on"] = [
            _("Use a date after today and at most %(days)d days ahead.") % {"days": NEXT_STEP_MAX_DAYS}
        ]
    if errors:
        raise ValidationFailed(
            _("A next step needs a text and a date within %(days)d days.") % {"days": NEXT_STEP_MAX_DAYS},
            errors,
        )
    return text, when


def _earlier_stage(opp: Opportunity, stage_id: Any) -> Stage:
    target = None
    if isinstance(stage_id, int) and not isinstance(stage_id, bool):
        target = Stage.objects.filter(
            pk=stage_id, template_id=opp.template_id, is_won=False, order__lt=opp.stage.order
        ).first()
    if target is None:
        raise ValidationFailed(
            _("A downgrade moves the deal back to an earlier stage of its process."),
            {"stage_id": [_("Choose an earlier stage.")]},
            code="not_earlier",
        )
    return target


def refresh_next_step(opp_ids: Iterable[int]) -> None:
    """Recompute the deals' latest dated next step in their stall summary (kadence.pipeline.stall);
    the caller holds their row locks."""
    latest = next_steps()
    refresh(
        opp_ids,
        stall_next_step_on=Subquery(latest.values("next_step_on")[:1]),
        stall_next_step_at=Subquery(latest.values("acted_at")[:1]),
    )


@transaction.atomic
def stall_act(
    user: User,
    opp_id: int,
    outcome: str,
    *,
    next_step: str = "",
    next_step_on: date | None = None,
    activity_kind: str = Activity.Kind.CALL_OUT,
    stage_id: int | None = None,
    loss_reason_id: int | None = None,
    note: str = "",
    version: int,
    today: date | None = None,
) -> StallAction:
    """Record and perform the outcome for a stalled deal: "next_step" (next_step + next_step_on, and
    the kind of the planned activity), "downgrade" (stage_id: an earlier stage) or "close_lost"
    (loss_reason_id). `version` (the deal's, as read; required) guards against a concurrent change
    (409). The deal is locked first, so the reasons recorded are those of the deal being changed."""
    require_version(version)
    opp = access_opportunity(user, opp_id, for_write=True, lock=True)
    if opp.status != Opportunity.Status.OPEN:
        raise ValidationFailed(_("This opportunity is closed; it cannot be stalled."), code="closed")
    if outcome not in StallAction.Outcome.values:
        raise ValidationFailed(
            _("Choose a dated next step, a downgrade or close lost."), {"outcome": [_("Unknown outcome.")]}
        )
    note = clean_text(note, "note", 500, multiline=True).strip()
    today = today or timezone.localdate()
    reasons = deal_stall_reasons(opp.pk, as_of=today)
    if not reasons:
        raise ValidationFailed(_("This deal is not stalled; there is nothing to decide."), code="not_stalled")
    text, when, target = "", None, None
    if outcome == StallAction.Outcome.NEXT_STEP:
        text, when = _next_step(next_step, next_step_on, today)
        if activity_kind not in Activity.Kind.values:
            raise ValidationFailed(
                _("Unknown activity kind."), {"activity_kind": [_("Choose a listed kind.")]}
            )
    elif outcome == StallAction.Outcome.DOWNGRADE:
        target = _earlier_stage(opp, stage_id)
    action = StallAction.objects.create(
        opportunity=opp,
        outcome=outcome,
        reasons=[r.as_json() for r in reasons],
        next_step=text,
        next_step_on=when,
        note=note,
        acted_by=user,
        acted_at=timezone.now(),
    )
    audit_changes(ENTITY, opp.pk, {"stall_action": ("", outcome)}, user, note)
    if outcome == StallAction.Outcome.NEXT_STEP:
        refresh_next_step([opp.pk])  # under the deal's lock, taken above
    reason = note or _("Stalled deal: %(outcome)s") % {"outcome": action.get_outcome_display()}
    if outcome == StallAction.Outcome.NEXT_STEP:
        assert when is not None
        opportunity_update(
            user, opp.pk, version=version, reason=reason, next_step=f"{when.isoformat()}: {text}"
        )
        if user.org_unit_id is not None and visible_accounts(user).filter(pk=opp.account_id).exists():
            activity_create(
                user, opportunity_id=opp.pk, kind=activity_kind, subject=text[:200], date=when, done=False
            )
    elif outcome == StallAction.Outcome.DOWNGRADE:
        assert target is not None
        opportunity_move_stage(user, opp.pk, stage_id=target.pk, version=version, reason=reason)
    else:
        opportunity_close_lost(
            user, opp.pk, loss_reason_id=loss_reason_id or 0, version=version, reason=reason
        )
    action.opportunity = Opportunity.objects.select_related("stage", "level").get(pk=opp.pk)
    return action
