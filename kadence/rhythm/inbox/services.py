"""What a manager does from the approval inbox that the deal and forecast services do not already do:
refuse a gate approval (with a reason; the deal's audit trail keeps it) and mark an override or a
forecast submission reviewed. Approving a gate and adjusting a forecast are the existing services
(kadence.deals.services.gates.gate_approve, kadence.planning.services.forecast.forecast_adjust)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_text
from kadence.core.visibility import (
    access_opportunity,
    can_approve_for_opportunity,
    in_scope,
    uses_inbox,
)
from kadence.deals.models import GateApproval
from kadence.pipeline.models import ExitCriterion, StageChange
from kadence.planning.models import ForecastSubmission
from kadence.rhythm.inbox.models import InboxReview

OPPORTUNITY = "pipeline.opportunity"


def _create(user: User, kind: str, ref: str, decision: str, note: str) -> InboxReview:
    try:
        with transaction.atomic():
            return InboxReview.objects.create(
                kind=kind, ref=ref, decision=decision, note=note, reviewed_by=user
            )
    except IntegrityError:
        raise Conflict(_("You have already dealt with this item."), code="already_reviewed") from None


@transaction.atomic
def gate_reject(user: User, opp_id: int, *, criterion_id: int, note: Any) -> InboxReview:
    """Refuse to approve an approval criterion of a deal's current stage, saying why: the deal stays
    where it is, the owner reads the reason in the deal's history, the item leaves the inbox."""
    opp = access_opportunity(user, opp_id, lock=True)
    if not can_approve_for_opportunity(user, opp):
        raise PermissionDenied(
            _(
                "Only a manager, director or admin responsible for this deal, and not its owner, can refuse a gate."
            )
        )
    criterion = ExitCriterion.objects.filter(
        pk=criterion_id, stage_id=opp.stage_id, kind=ExitCriterion.Kind.APPROVAL, is_active=True
    ).first()
    if criterion is None:
        raise NotFound(_("This deal's stage has no such approval criterion."))
    if GateApproval.objects.filter(opportunity=opp, criterion=criterion, revoked_at__isnull=True).exists():
        raise Conflict(_("This criterion is already approved."), code="already_approved")
    text = clean_text(note, "note", 500, multiline=True).strip()
    if not text:
        raise ValidationFailed(_("Say why you refuse."), {"note": [_("This field is required.")]})
    review = _create(
        user, InboxReview.Kind.GATE, f"{opp.pk}:{criterion.pk}", InboxReview.Decision.REJECTED, text
    )
    audit_changes(OPPORTUNITY, opp.pk, {"approval_refused": ("", criterion.code)}, user, text)
    return review


@transaction.atomic
def mark_reviewed(user: User, kind: str, ref_id: int, *, note: Any = "") -> InboxReview:
    """Mark an override (a StageChange id) or a forecast submission (its id) reviewed: it leaves the
    user's inbox. The item must be one the user's inbox would list (404 otherwise)."""
    if not uses_inbox(user):
        raise NotFound(_("The approval inbox is for managers, directors and admins."))
    text = clean_text(note, "note", 500, multiline=True).strip()
    if kind == InboxReview.Kind.OVERRIDE:
        row = StageChange.objects.filter(pk=ref_id, overridden=True).values("opportunity__team_id").first()
        if row is None or not in_scope(user, row["opportunity__team_id"]):
            raise NotFound(_("Override not found."))
    elif kind == InboxReview.Kind.FORECAST:
        sub = (
            ForecastSubmission.objects.filter(pk=ref_id, kind=ForecastSubmission.Kind.SUBMISSION)
            .values("unit_id", "user_id")
            .first()
        )
        if sub is None or sub["user_id"] == user.pk or not in_scope(user, sub["unit_id"]):
            raise NotFound(_("Forecast submission not found."))
    else:
        raise ValidationFailed(
            _("Choose override or forecast."), {"kind": [_("Choose override or forecast.")]}
        )
    review = _create(user, kind, str(ref_id), InboxReview.Decision.REVIEWED, text)
    audit_changes("rhythm.inboxreview", review.pk, {kind: ("", str(ref_id))}, user, text)
    return review
