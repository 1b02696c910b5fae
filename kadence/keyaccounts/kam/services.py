"""KAM writes: a writer of the account moves it to a stage (recorded: who, when, from, to, the note;
audited; `version` as read, 0 when the account has no stage yet; stale → 409), ticks or unticks a
checklist item, records a CSI survey (answers 1–5 per question on a date; the CSI computed by
kadence.domain.kam.importance.csi with each question's weight at the time)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, NotFound, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import MAX_ID, clean_date, clean_text
from kadence.core.visibility import access_account
from kadence.domain.kam import importance as di
from kadence.keyaccounts.kam.models import (
    AccountKam,
    CsiAnswer,
    CsiQuestion,
    CsiSurvey,
    KamChecklistItem,
    KamStage,
    KamStageChange,
    KamTick,
)


def _locked_kam(account_id: int, version: int | None) -> AccountKam:
    """The account's KAM row, locked; created (version 1) when it has none and the writer read none
    (`version` 0; None: no version check, for the surveys)."""
    row = AccountKam.objects.select_for_update().filter(pk=account_id).first()
    if row is not None:
        return row
    if version not in (None, 0):
        raise Conflict(_("This record was changed by someone else. Reload it."), current_version=0)
    try:
        with transaction.atomic():
            AccountKam.objects.create(account_id=account_id, version=0)
    except IntegrityError as exc:  # created at the same moment by someone else
        raise Conflict(_("This record was changed by someone else. Reload it."), current_version=1) from exc
    return AccountKam.objects.select_for_update().get(pk=account_id)


@transaction.atomic
def stage_set(user: User, account_id: int, *, stage: str, version: int, note: str = "") -> AccountKam:
    """Move the account to `stage` (a stage code) with an optional note."""
    version = require_version(version)
    account = access_account(user, account_id, for_write=True)
    note = clean_text(note, "note", 500, multiline=True)
    target = KamStage.objects.filter(code=stage).first() if isinstance(stage, str) else None
    if target is None:
        raise ValidationFailed(_("Unknown KAM stage."), {"stage": [_("Choose a stage.")]})
    row = _locked_kam(account.pk, version)
    if row.stage_id == target.pk:
        raise ValidationFailed(
            _("The account is at this stage already."), {"stage": [_("Choose another stage.")]}
        )
    before = row.stage
    versioned_update(row, version, {"stage": target})
    KamStageChange.objects.create(
        account=account, from_stage=before, to_stage=target, changed_by=user, note=note
    )
    audit_changes(
        "keyaccounts.accountkam",
        account.pk,
        {"stage": (before.code if before else None, target.code)},
        user,
        note,
    )
    return row


@transaction.atomic
def tick_set(user: User, account_id: int, item_id: int, *, done: bool) -> bool:
    """Tick (done) or untick a checklist item for the account; idempotent. Returns the state."""
    account = access_account(user, account_id, for_write=True)
    if not isinstance(done, bool):
        raise ValidationFailed(_("Choose yes or no."), {"done": [_("Choose yes or no.")]})
    item = KamChecklistItem.objects.filter(pk=item_id, is_active=True).first()
    if item is None:
        raise NotFound(_("Unknown checklist item."))
    _locked_kam(account.pk, None)
    exists = KamTick.objects.filter(account=account, item=item).exists()
    if done and not exists:
        KamTick.objects.create(account=account, item=item, ticked_by=user)
    elif not done and exists:
        KamTick.objects.filter(account=account, item=item).delete()
    if done != exists:
        audit_changes("keyaccounts.kamtick", account.pk, {f"item {item.pk}": (exists, done)}, user)
    return done


def _an_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


@transaction.atomic
def survey_create(
    user: User,
    account_id: int,
    *,
    surveyed_on: date,
    answers: Mapping[Any, Any],
    note: str = "",
) -> CsiSurvey:
    """Record a CSI survey: `answers` {question id: 1–5} for active questions (at least one)."""
    account = access_account(user, account_id, for_write=True)
    surveyed_on = clean_date(surveyed_on, "surveyed_on")  # type: ignore[assignment]
    if surveyed_on is None:
        raise ValidationFailed(_("Give the survey's date."), {"surveyed_on": [_("This field is required.")]})
    if surveyed_on > timezone.localdate():
        raise ValidationFailed(
            _("A survey cannot be dated in the future."), {"surveyed_on": [_("Not in the future.")]}
        )
    note = clean_text(note, "note", 500, multiline=True)
    if not answers:
        raise ValidationFailed(
            _("Answer at least one question."), {"answers": [_("Answer at least one question.")]}
        )
    questions = CsiQuestion.objects.in_bulk([q for q in answers if _an_id(q)])
    pairs: list[tuple[CsiQuestion, int]] = []
    for qid, score in answers.items():
        question = questions.get(qid) if _an_id(qid) else None
        if question is None or not question.is_active:
            raise ValidationFailed(
                _("Unknown question."), {"answers": [_("Unknown question: %(id)s") % {"id": str(qid)[:20]}]}
            )
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationFailed(
                _("Answers are whole numbers from 1 to 5."), {f"answers.{qid}": [_("Enter 1 to 5.")]}
            )
        pairs.append((question, score))
    try:
        value = di.csi([(q.weight, s) for q, s in pairs])
    except di.RuleError as exc:
        raise ValidationFailed(
            _("The questions answered all weigh 0."), {"answers": [_("Answer a question that counts.")]}
        ) from exc
    row = _locked_kam(account.pk, None)
    survey = CsiSurvey.objects.create(
        account=account, surveyed_on=surveyed_on, csi=value, note=note, recorded_by=user
    )
    CsiAnswer.objects.bulk_create(
        CsiAnswer(survey=survey, question=q, score=s, weight=q.weight) for q, s in pairs
    )
    if row.last_csi_on is None or surveyed_on >= row.last_csi_on:
        AccountKam.objects.filter(pk=row.pk).update(last_csi=value, last_csi_on=surveyed_on)
    audit_changes(
        "keyaccounts.csisurvey", survey.pk, {"csi": (None, value), "surveyed_on": (None, surveyed_on)}, user
    )
    return survey
