"""Stage gates (METHODOLOGY §1d, §2): evidence, approvals, and the level that follows them.

`opportunity_recheck` is the one place that sets an open deal's level from its verified checkpoints:
every service that adds or removes proof calls it in the same transaction. The level, probability,
staging flag and C139 result are derived fields, so the recheck writes them without bumping the
deal's `version` (adding evidence must not make someone's open edit form stale); a level change is
audited with the reason "checkpoints".
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.errors import NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_text
from kadence.core.visibility import (
    access_evidence,
    access_opportunity,
    can_approve_for_opportunity,
    can_remove_evidence,
)
from kadence.deals.models import ControlPolicy, Evidence, GateApproval
from kadence.deals.selectors.assessments import c139_rules
from kadence.deals.selectors.gates import deal_facts, template_gates
from kadence.domain import gates as domain
from kadence.pipeline import changes
from kadence.pipeline.ladder import level_ladder, lowest_open_level
from kadence.pipeline.models import ExitCriterion, Opportunity, ProbabilityLevel, Stage

ENTITY = "pipeline.opportunity"


@dataclass(frozen=True)
class Verdict:
    """What the checkpoints say about an open deal at a stage: its level, staging flag, C139 result."""

    level: ProbabilityLevel
    staging: str
    c139_result: str


def verdicts(opps: Iterable[Opportunity], *, stage_of: dict[int, Stage] | None = None) -> dict[int, Verdict]:
    """Verdicts for open deals in a fixed number of queries per template. `stage_of` may name the
    stage to judge a deal at (the target of a move) instead of its current one."""
    opps = [o for o in opps if o.status == Opportunity.Status.OPEN]
    if not opps:
        return {}
    policy = ControlPolicy.current()
    rule = c139_rules(policy).rule
    ladder = level_ladder()
    facts = deal_facts([o.pk for o in opps], policy)
    levels_by_order = {lv.order: lv for lv in ProbabilityLevel.objects.all()}
    floor = lowest_open_level()
    structures = {}
    result = {}
    for opp in opps:
        if opp.template_id not in structures:
            structures[opp.template_id] = template_gates(opp.template_id)
        structure = structures[opp.template_id]
        stage = (stage_of or {}).get(opp.pk) or next(s for s in structure.stages if s.pk == opp.stage_id)
        standing = domain.earned(structure.gates, stage.pk, facts[opp.pk], floor.order)
        level = levels_by_order.get(standing.level_order, floor)
        c139 = facts[opp.pk].c139
        flag = domain.staging(standing.outruns, level.order, c139, rule, ladder)
        result[opp.pk] = Verdict(level, flag, str(c139) if c139 else "")
    return result


def verdict(opp: Opportunity, stage: Stage | None = None) -> Verdict:
    return verdicts([opp], stage_of={opp.pk: stage} if stage else None)[opp.pk]


def apply_verdict(opp: Opportunity, found: Verdict, actor: User | None, reason: str = "") -> bool:
    """Write a verdict onto the deal if it changes anything; audit a level change. True if written.
    `opp` must have been read under its row lock (callers lock it first), so the verdict is about
    the deal as it stands; the write is limited to an open deal all the same."""
    values: dict[str, Any] = {}
    if opp.level_id != found.level.pk or opp.probability != found.level.probability:
        values.update(level=found.level, probability=found.level.probability)
    if opp.staging_flag != found.staging:
        values["staging_flag"] = found.staging
    if opp.c139_result != found.c139_result:
        values["c139_result"] = found.c139_result
    if not values:
        return False
    old_level = ProbabilityLevel.objects.get(pk=opp.level_id).code if "level" in values else None
    with changes.tracking(opp.pk, actor, reason or _("checkpoints")):
        if not Opportunity.objects.filter(pk=opp.pk, status=Opportunity.Status.OPEN).update(**values):
            return False
    for key, value in values.items():
        setattr(opp, key, value)
    if old_level is not None:
        audit_changes(
            ENTITY, opp.pk, {"level": (old_level, found.level.code)}, actor, reason or _("checkpoints")
        )
    return True


@transaction.atomic
def opportunity_recheck(
    opp_or_id: Opportunity | int, actor: User | None = None, reason: str = ""
) -> Opportunity:
    """Re-derive an open deal's level, probability, staging flag and C139 result from its verified
    checkpoints (closed deals are left alone). No access check: callers have done theirs, and have
    read the deal under its row lock (access_opportunity(..., lock=True)); given an id, the deal is
    locked and read here."""
    opp = (
        opp_or_id
        if isinstance(opp_or_id, Opportunity)
        else Opportunity.objects.select_for_update(no_key=True).get(pk=opp_or_id)
    )
    if opp.status != Opportunity.Status.OPEN:
        return opp
    apply_verdict(opp, verdict(opp), actor, reason)
    return opp


def opportunities_recheck(opp_ids: Iterable[int], actor: User | None = None, batch: int = 500) -> int:
    """Recheck many deals (the demo, an import, a changed methodology); returns how many changed."""
    ids = sorted(set(opp_ids))
    changed = 0
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            # Locked in id order, so a batch and a service writing one of its deals cannot deadlock.
            chunk = list(
                Opportunity.objects.select_for_update(no_key=True)
                .order_by("pk")
                .filter(pk__in=ids[start : start + batch], status=Opportunity.Status.OPEN)
            )
            found = verdicts(chunk)
            changed += sum(1 for opp in chunk if apply_verdict(opp, found[opp.pk], actor))
    return changed


# --- evidence ----------------------------------------------------------------------------------------


def _criterion_of(opp: Opportunity, criterion_id: int | None) -> ExitCriterion | None:
    if criterion_id is None:
        return None
    criterion = ExitCriterion.objects.filter(pk=criterion_id, stage__template_id=opp.template_id).first()
    if criterion is None:
        raise ValidationFailed(
            _("That exit criterion is not part of this deal's process."),
            {"criterion_id": [_("Unknown criterion.")]},
        )
    return criterion


def _check_file(upload: UploadedFile, policy: ControlPolicy) -> tuple[str, str, int]:
    """The upload's file name, content type and size, or ValidationFailed."""
    name = os.path.basename(upload.name or "").strip()
    if not name:
        raise ValidationFailed(_("The file has no name."), {"file": [_("Choose a file.")]})
    if upload.size is None or upload.size == 0:
        raise ValidationFailed(_("The file is empty."), {"file": [_("Choose a file with content.")]})
    if upload.size > policy.evidence_max_bytes:
        limit = policy.evidence_max_bytes / (1024 * 1024)
        raise ValidationFailed(
            _("The file is too large (%(size).1f MB); the limit is %(limit).1f MB.")
            % {"size": upload.size / (1024 * 1024), "limit": limit},
            {"file": [_("At most %(limit).1f MB.") % {"limit": limit}]},
            code="too_large",
        )
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    allowed = policy.allowed_extensions()
    if extension not in allowed:
        raise ValidationFailed(
            _("Files of type “%(ext)s” are not accepted. Allowed: %(allowed)s.")
            % {"ext": extension or "?", "allowed": ", ".join(sorted(allowed))},
            {"file": [_("File type not allowed.")]},
            code="file_type",
        )
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return name[:255], content_type, upload.size


@transaction.atomic
def evidence_add(
    user: User,
    opp_id: int,
    *,
    title: str,
    criterion_id: int | None = None,
    evidence_type: str = "",
    url: str = "",
    note: str = "",
    upload: UploadedFile | None = None,
) -> Evidence:
    """Attach proof to a deal: a file, a link or a note (exactly one kind; a file or link may carry a
    note too), for an exit criterion (its evidence type is copied) or a free evidence type. The deal
    is then rechecked, so the level may rise."""
    opp = access_opportunity(user, opp_id, lock=True)
    if opp.status != Opportunity.Status.OPEN:
        raise ValidationFailed(_("The deal is closed; reopen it to add evidence."), code="closed")
    criterion = _criterion_of(opp, criterion_id)
    title = clean_text(title, "title", 200)
    if not title:
        raise ValidationFailed(_("Give the evidence a title."), {"title": [_("Required.")]})
    note = clean_text(note, "note", 10000, multiline=True)
    url = clean_text(url, "url", 1000)
    if url and not url.lower().startswith(("http://", "https://")):
        raise ValidationFailed(
            _("A link must start with http:// or https://."), {"url": [_("Enter a web address.")]}
        )
    kinds = [k for k, present in (("file", upload is not None), ("link", bool(url))) if present]
    if len(kinds) > 1:
        raise ValidationFailed(
            _("Attach a file or a link, not both."), {"url": [_("Leave empty when attaching a file.")]}
        )
    if not kinds and not note:
        raise ValidationFailed(
            _("Attach a file, give a link or write a note."),
            {"note": [_("A note, link or file is required.")]},
        )
    kind = kinds[0] if kinds else Evidence.Kind.NOTE
    wanted = (criterion.config or {}).get("evidence") if criterion else None
    kind_code = str(wanted or evidence_type or "").strip()[:60]
    evidence = Evidence(
        opportunity=opp,
        criterion=criterion,
        evidence_type=kind_code,
        stage_id=opp.stage_id,
        kind=kind,
        title=title,
        url=url if kind == Evidence.Kind.LINK else "",
        note=note,
        added_by=user,
        added_at=timezone.now(),
    )
    if upload is not None:
        policy = ControlPolicy.current()
        name, content_type, size = _check_file(upload, policy)
        evidence.file_name, evidence.content_type, evidence.size = name, content_type, size
        evidence.file.save(name, upload, save=False)
    evidence.save()
    audit_changes(ENTITY, opp.pk, {"evidence": ("", f"{evidence.pk}:{title}")}, user)
    opportunity_recheck(opp, user)
    return evidence


@transaction.atomic
def evidence_remove(user: User, evidence_id: int, *, reason: str = "") -> Evidence:
    """Withdraw evidence (who added it, or whoever may write the deal). The row stays, marked removed;
    the deal is rechecked, so its level may fall."""
    evidence = access_evidence(user, evidence_id)
    opp = access_opportunity(user, evidence.opportunity_id, lock=True)
    if not can_remove_evidence(user, evidence, opp):
        raise PermissionDenied(_("Only who added the evidence or who may change the deal can remove it."))
    reason = clean_text(reason, "reason", 500, multiline=True)
    Evidence.objects.filter(pk=evidence.pk).update(
        removed_at=timezone.now(), removed_by=user, removed_reason=reason
    )
    audit_changes(ENTITY, opp.pk, {"evidence": (f"{evidence.pk}:{evidence.title}", "")}, user, reason)
    opportunity_recheck(opp, user)
    return evidence


# --- approvals ---------------------------------------------------------------------------------------


@transaction.atomic
def gate_approve(user: User, opp_id: int, *, criterion_id: int, note: str = "") -> GateApproval:
    """A manager, director or admin with the deal in scope approves an `approval` criterion. The
    owner never approves their own deal, whatever their role."""
    opp = access_opportunity(user, opp_id, lock=True)
    if not can_approve_for_opportunity(user, opp):
        raise PermissionDenied(
            _(
                "Only a manager, director or admin responsible for this deal, and not its owner, "
                "can approve a gate."
            )
        )
    criterion = _criterion_of(opp, criterion_id)
    if criterion is None or criterion.kind != ExitCriterion.Kind.APPROVAL:
        raise ValidationFailed(
            _("Only approval criteria are approved; the others need their proof."),
            {"criterion_id": [_("Not an approval criterion.")]},
        )
    if GateApproval.objects.filter(opportunity=opp, criterion=criterion, revoked_at__isnull=True).exists():
        raise ValidationFailed(_("This criterion is already approved."), code="already_approved")
    approval = GateApproval.objects.create(
        opportunity=opp,
        criterion=criterion,
        approved_by=user,
        note=clean_text(note, "note", 500, multiline=True),
    )
    audit_changes(ENTITY, opp.pk, {"approval": ("", criterion.code)}, user, approval.note)
    opportunity_recheck(opp, user)
    return approval


@transaction.atomic
def gate_approval_revoke(user: User, opp_id: int, *, criterion_id: int, reason: str = "") -> None:
    opp = access_opportunity(user, opp_id, lock=True)
    if not can_approve_for_opportunity(user, opp):
        raise PermissionDenied(
            _(
                "Only a manager, director or admin responsible for this deal, and not its owner, "
                "can revoke an approval."
            )
        )
    updated = GateApproval.objects.filter(
        opportunity=opp, criterion_id=criterion_id, revoked_at__isnull=True
    ).update(revoked_at=timezone.now(), revoked_by=user)
    if not updated:
        raise NotFound(_("There is no approval of this criterion to revoke."))
    code = ExitCriterion.objects.filter(pk=criterion_id).values_list("code", flat=True).first() or str(
        criterion_id
    )
    audit_changes(
        ENTITY, opp.pk, {"approval": (code, "")}, user, clean_text(reason, "reason", 500, multiline=True)
    )
    opportunity_recheck(opp, user)
