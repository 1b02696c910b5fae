"""Writes to a deal's customer milestones (项目里程碑四步分析法, METHODOLOGY §2): date a stage's
buying step (planned), record when it happened (actual), and note where we lag the competition.

Whoever may contribute to the deal may do so, open or closed. One milestone per stage of the deal's
template; the first save creates it. Concurrency: `version` is the version read, or None when the
stage had no milestone yet — a save based on a state that has since changed (also: someone created
the milestone meanwhile) is a Conflict (409). Changes are audited on the opportunity (field
"milestone", one line per stage).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.concurrency import versioned_update
from kadence.core.errors import Conflict, NotFound, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_date, clean_text, not_in_future
from kadence.core.visibility import access_opportunity
from kadence.deals.models import Milestone
from kadence.pipeline.models import Stage

ENTITY = "pipeline.opportunity"
FIELD = "milestone"


def _date(value: Any, field: str) -> date | None:
    if value is not None and not isinstance(value, date):
        raise ValidationFailed(_("Enter a valid date."), {field: [_("Enter a valid date.")]})
    return clean_date(value, field)


def summary(stage: Stage, milestone: Milestone | None) -> str:
    """One audit line: "<stage code>: planned <date>; actual <date>[; lag: <competition note>]"."""
    if milestone is None:
        return ""
    line = (
        f"{stage.code}: planned {milestone.planned_on.isoformat() if milestone.planned_on else '-'}; "
        f"actual {milestone.actual_on.isoformat() if milestone.actual_on else '-'}"
    )
    return line + (f"; lag: {milestone.competition_note}" if milestone.competition_note else "")


def _stale(current: int | None, yours: int | None) -> Conflict:
    return Conflict(
        _(
            "This milestone was changed by someone else (version %(current)s, you edited version %(yours)s). "
            "Reload it and apply your change again."
        )
        % {"current": current or "-", "yours": yours or "-"},
        current_version=current,
    )


@transaction.atomic
def milestone_save(
    user: User,
    opp_id: int,
    stage_id: int,
    *,
    planned_on: date | None = None,
    actual_on: date | None = None,
    competition_note: str = "",
    note: str = "",
    version: int | None,
) -> Milestone:
    """Set the milestone of one stage of the deal's template (all four fields, like a PUT). The
    actual date cannot be in the future; the planned one may. A stage of another template is not
    found (404). `version` is required: the milestone's version read, or None (explicitly) when the
    stage had none yet."""
    opp = access_opportunity(user, opp_id, lock=True)
    stage = Stage.objects.filter(pk=stage_id, template_id=opp.template_id).first()
    if stage is None:
        raise NotFound(_("That stage is not part of this deal's process."))
    values = {
        "planned_on": _date(planned_on, "planned_on"),
        "actual_on": _date(actual_on, "actual_on"),
        "competition_note": clean_text(competition_note, "competition_note", 500, multiline=True).strip(),
        "note": clean_text(note, "note", 500, multiline=True).strip(),
    }
    not_in_future(values["actual_on"], timezone.localdate(), "actual_on")
    milestone = Milestone.objects.filter(opportunity=opp, stage=stage).first()
    before = summary(stage, milestone)
    if milestone is None:
        if version is not None:
            raise _stale(None, version)
        try:
            with transaction.atomic():
                milestone = Milestone.objects.create(
                    opportunity=opp, stage=stage, updated_by=user, updated_at=timezone.now(), **values
                )
        except IntegrityError:  # created by someone else at the same moment
            raise _stale(
                Milestone.objects.filter(opportunity=opp, stage=stage)
                .values_list("version", flat=True)
                .first(),
                None,
            ) from None
    else:
        if version is None:
            raise _stale(milestone.version, None)
        versioned_update(milestone, version, {**values, "updated_by": user})
    audit_changes(ENTITY, opp.pk, {FIELD: (before, summary(stage, milestone))}, user)
    return milestone
