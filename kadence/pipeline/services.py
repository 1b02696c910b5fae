"""Opportunity use cases (writes). The API, the pages and the CLI all call these.

Every service runs in one transaction, takes the deal's row lock first and reads what it changes
under it (access_opportunity(..., lock=True); `changes.keeps_history` takes the same lock before it
reads the deal's old contribution), checks access through core.visibility, requires the `version`
the user read and refuses a stale one with Conflict, writes a history row (StageChange) for every
change of stage, status, level, amount, close date, owner or forecast category (kadence.pipeline.changes)
and an AuditEntry for every change to amount, close date, owner, level and forecast category. A change
of the close date also recounts the deal's pushes in its stall summary (kadence.pipeline.stall).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import GateNotMet, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import (
    MoneyInput,
    clean_currency,
    clean_date,
    clean_ids,
    clean_money,
    clean_text,
    not_in_future,
)
from kadence.core.visibility import (
    access_account,
    access_opportunity,
    can_approve_for_opportunity,
    can_reassign_opportunity,
    in_scope,
    visible_users,
)
from kadence.pipeline import changes, stall, summary
from kadence.pipeline.gates import after_stage_entry, missing_exit_criteria, verified_level
from kadence.pipeline.ladder import lowest_open_level
from kadence.pipeline.models import (
    Competitor,
    DealRole,
    ForecastCategory,
    LossReason,
    Opportunity,
    OpportunityTeamMember,
    ProbabilityLevel,
    ProcessTemplate,
    ProductLine,
    Stage,
    StageChange,
)
from kadence.pipeline.signals import opportunity_team_changed

ENTITY = "pipeline.opportunity"
AUDITED = ("amount", "currency", "expected_close_date", "forecast_category")


class OpportunityChanges(TypedDict, total=False):
    """What opportunity_update changes; a field not given stays as it is."""

    name: str
    amount: MoneyInput
    currency: str
    expected_close_date: date  # required: None is refused
    forecast_category: str
    description: str
    next_step: str


# Callers may also pass a dict (`**form.service_kwargs()`): a key outside these is refused.
EDITABLE = tuple(OpportunityChanges.__annotations__)


def _money(value: Any, field: str = "amount") -> Decimal:
    return clean_money(value, field)


def _category(value: str) -> str:
    if value not in ForecastCategory.values:
        raise ValidationFailed(
            _("Unknown forecast category."), {"forecast_category": [_("Choose a listed category.")]}
        )
    return value


def _name(value: str) -> str:
    name = clean_text(value, "name", 200).strip()
    if not name:
        raise ValidationFailed(_("The opportunity needs a name."), {"name": [_("This field is required.")]})
    return name[:200]


def _by_ids(model, ids: Iterable[int] | None, field: str):
    if ids is None:
        return None
    ids = clean_ids(ids, field)
    rows = list(model.objects.filter(pk__in=ids))
    if len(rows) != len(ids):
        raise ValidationFailed(_("Some of the chosen items do not exist."), {field: [_("Unknown id.")]})
    return rows


def _open_only(opp: Opportunity) -> None:
    if opp.status != Opportunity.Status.OPEN:
        raise ValidationFailed(
            _("This opportunity is closed (%(status)s); reopen it first.")
            % {"status": opp.get_status_display()},
            code="closed",
        )


def _level_values(level: ProbabilityLevel) -> dict[str, Any]:
    return {"level": level, "probability": level.probability}


@transaction.atomic
def opportunity_create(
    user: User,
    *,
    account_id: int,
    name: str,
    amount: Any,
    expected_close_date: date,
    currency: str = "CNY",
    template_id: int | None = None,
    stage_id: int | None = None,
    owner_id: int | None = None,
    forecast_category: str | None = None,
    product_line_ids: Iterable[int] | None = None,
    competitor_ids: Iterable[int] | None = None,
    description: str = "",
    next_step: str = "",
) -> Opportunity:
    """Open a new opportunity at an account the user can see. It starts at the template's first
    stage (or `stage_id`) at the level its verified checkpoints support (a deal created at a later
    stage without evidence is over-staged); the stage's tasks are created; the first history row
    records it."""
    account = access_account(user, account_id)
    owner = user
    if owner_id is not None and int(owner_id) != user.pk:
        chosen = visible_users(user).filter(pk=owner_id).select_related("org_unit").first()
        if chosen is None:
            raise ValidationFailed(_("Unknown owner."), {"owner_id": [_("Choose an active user.")]})
        owner = chosen
        if not in_scope(user, owner.org_unit_id):
            raise PermissionDenied(_("You can only give opportunities to people in your own scope."))
    if owner.org_unit_id is None:
        raise ValidationFailed(
            _("The owner belongs to no team; an admin must place them in one first."),
            {"owner_id": [_("Owner has no team.")]},
        )
    if template_id is None:
        template = ProcessTemplate.objects.filter(is_default=True, is_active=True).first()
    else:
        template = ProcessTemplate.objects.filter(pk=template_id, is_active=True).first()
    if template is None:
        raise ValidationFailed(
            _("Unknown or inactive process template."), {"template_id": [_("Choose a template.")]}
        )
    stages = template.stages.select_related("default_level")
    stage = stages.filter(pk=stage_id).first() if stage_id is not None else stages.order_by("order").first()
    if stage is None or stage.is_won:
        raise ValidationFailed(
            _("Choose an open stage of the template."), {"stage_id": [_("Not a stage of this process.")]}
        )
    if expected_close_date is None:
        raise ValidationFailed(
            _("Expected close date is required."), {"expected_close_date": [_("Required.")]}
        )
    clean_date(expected_close_date, "expected_close_date")
    now = timezone.now()
    level = lowest_open_level()  # a placeholder: the verified level is set once the deal exists
    opp = Opportunity(
        name=_name(name),
        account=account,
        owner=owner,
        team_id=owner.org_unit_id,
        template=template,
        stage=stage,
        level=level,
        probability=level.probability,
        amount=_money(amount),
        currency=clean_currency(currency),
        expected_close_date=expected_close_date,
        forecast_category=_category(forecast_category)
        if forecast_category
        else level.default_forecast_category,
        description=clean_text(description, "description", 10000, multiline=True),
        next_step=clean_text(next_step, "next_step", 300),
        stage_entered_at=now,
        created_at=now,
        updated_at=now,
    )
    opp.save()
    product_lines = _by_ids(ProductLine, product_line_ids, "product_line_ids")
    competitors = _by_ids(Competitor, competitor_ids, "competitor_ids")
    if product_lines:
        opp.product_lines.set(product_lines)
    if competitors:
        opp.competitors.set(competitors)
    found = verified_level(opp)
    if not forecast_category:  # the category the earned level suggests
        opp.forecast_category = found.level.default_forecast_category
    Opportunity.objects.filter(pk=opp.pk).update(
        **_level_values(found.level), staging_flag=found.staging, forecast_category=opp.forecast_category
    )
    opp.level, opp.probability, opp.staging_flag = found.level, found.level.probability, found.staging
    changes.write(opp, StageChange.Kind.CREATED, from_stage=None, from_level=None, actor=user, at=now)
    after_stage_entry(opp, stage, user)
    summary.added(opp.pk)
    return opp


@transaction.atomic
@changes.keeps_history
def opportunity_update(
    user: User,
    opp_id: int,
    *,
    version: int,
    reason: str = "",
    product_line_ids: Iterable[int] | None = None,
    competitor_ids: Iterable[int] | None = None,
    **fields: Unpack[OpportunityChanges],
) -> Opportunity:
    """Change the editable fields of an opportunity. `version` must be the one the user read."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            {f: [_("Not editable.")] for f in unknown},
        )
    require_version(version)
    opp = access_opportunity(user, opp_id, for_write=True, lock=True)
    values: dict[str, Any] = {}
    if "name" in fields:
        values["name"] = _name(fields["name"])
    if "amount" in fields:
        values["amount"] = _money(fields["amount"])
    if "currency" in fields:
        values["currency"] = clean_currency(fields["currency"])
    if "expected_close_date" in fields:
        if fields["expected_close_date"] is None:
            raise ValidationFailed(
                _("Expected close date is required."), {"expected_close_date": [_("Required.")]}
            )
        values["expected_close_date"] = clean_date(fields["expected_close_date"], "expected_close_date")
    if "forecast_category" in fields:
        values["forecast_category"] = _category(fields["forecast_category"])
    for key in ("description", "next_step"):
        if key in fields:
            values[key] = clean_text(
                fields[key], key, 300 if key == "next_step" else 10000, multiline=key != "next_step"
            )
    changes = {f: (getattr(opp, f), v) for f, v in values.items() if f in AUDITED}
    versioned_update(opp, version, values)
    product_lines = _by_ids(ProductLine, product_line_ids, "product_line_ids")
    competitors = _by_ids(Competitor, competitor_ids, "competitor_ids")
    if product_lines is not None:
        opp.product_lines.set(product_lines)
    if competitors is not None:
        opp.competitors.set(competitors)
    audit_changes(ENTITY, opp.pk, changes, user, reason)
    if (
        "expected_close_date" in changes
        and changes["expected_close_date"][0] != values["expected_close_date"]
    ):
        stall.refresh_close_pushes(opp.pk)  # under the deal's lock, taken above
    return opp


def _days_in_stage(opp: Opportunity, now) -> int:
    return max(0, (now - opp.stage_entered_at).days)


def _gate_check(
    user: User, opp: Opportunity, leaving: list[Stage], *, override: bool, reason: str
) -> list[dict[str, Any]]:
    """The criteria of `leaving` not met. Refuses the move with GateNotMet (listing them) unless a
    manager, director or admin responsible for the deal, never its owner, overrides with a reason;
    then returns them for the history row ("advanced without evidence")."""
    missing = missing_exit_criteria(opp, leaving)
    if not missing:
        return []
    if not override:
        raise GateNotMet(
            _("Exit criteria not met: %(count)d missing.") % {"count": len(missing)}, missing=missing
        )
    if not can_approve_for_opportunity(user, opp):
        raise PermissionDenied(
            _(
                "Only a manager, director or admin responsible for this deal, and not its owner, "
                "can advance it without evidence."
            )
        )
    if not reason.strip():
        raise ValidationFailed(
            _("An override needs a written reason."),
            {"reason": [_("Say why the gate is overridden.")]},
            code="reason_required",
        )
    return missing


@transaction.atomic
@changes.keeps_history
def opportunity_move_stage(
    user: User, opp_id: int, *, stage_id: int, version: int | None, reason: str = "", override: bool = False
) -> Opportunity:
    """Move an open opportunity to another stage of its template. Forward moves must pass the exit
    criteria of every stage they leave (gates.missing_exit_criteria), or be overridden by a manager
    with a written reason (recorded as "advanced without evidence"); backward moves are allowed and
    recorded. The level is what the checkpoints verify at the new stage. Entering a stage creates its
    tasks. Moving onto the template's closing stage closes the deal won."""
    version = require_version(version)
    opp = access_opportunity(user, opp_id, for_write=True, lock=True)
    _open_only(opp)
    reason = clean_text(reason, "reason", 500, multiline=True)
    target = (
        Stage.objects.select_related("default_level").filter(pk=stage_id, template_id=opp.template_id).first()
    )
    if target is None:
        raise ValidationFailed(
            _("That stage is not part of this opportunity's process."), {"stage_id": [_("Unknown stage.")]}
        )
    if target.pk == opp.stage_id:
        raise ValidationFailed(
            _("The opportunity is already at this stage."),
            {"stage_id": [_("Same stage.")]},
            code="same_stage",
        )
    if target.is_won:
        return opportunity_close_won(user, opp_id, version=version, reason=reason, override=override)
    current = opp.stage
    forward = target.order > current.order
    overridden: list[dict[str, Any]] = []
    if forward:
        leaving = list(
            Stage.objects.filter(
                template_id=opp.template_id, order__gte=current.order, order__lt=target.order
            ).order_by("order")
        )
        overridden = _gate_check(user, opp, leaving, override=override, reason=reason)
    now = timezone.now()
    old_level = opp.level
    days = _days_in_stage(opp, now)
    found = verified_level(opp, target)
    versioned_update(
        opp,
        version,
        {
            "stage": target,
            "stage_entered_at": now,
            "staging_flag": found.staging,
            **_level_values(found.level),
        },
    )
    opp.stage = target
    audit_changes(ENTITY, opp.pk, {"level": (old_level.code, opp.level.code)}, user, reason)
    changes.write(
        opp,
        StageChange.Kind.ADVANCED if forward else StageChange.Kind.MOVED_BACK,
        from_stage=current,
        from_level=old_level,
        actor=user,
        reason=reason,
        days=days,
        at=now,
        overridden=bool(overridden),
        overridden_criteria=overridden,
    )
    after_stage_entry(opp, target, user)
    return opp


@transaction.atomic
@changes.keeps_history
def opportunity_close_won(
    user: User,
    opp_id: int,
    *,
    version: int | None,
    closed_on: date | None = None,
    reason: str = "",
    override: bool = False,
) -> Opportunity:
    """Close as won: level Won (100%), category booked, the template's closing stage if it has one.
    The exit criteria of the current stage and of every stage before the closing one must be met
    (or overridden by a manager with a reason), as for any forward move."""
    version = require_version(version)
    opp = access_opportunity(user, opp_id, for_write=True, lock=True)
    _open_only(opp)
    not_in_future(closed_on, timezone.localdate(), "closed_on")
    reason = clean_text(reason, "reason", 500, multiline=True)
    closing = Stage.objects.filter(template_id=opp.template_id, is_won=True).order_by("order").first()
    leaving = list(
        Stage.objects.filter(
            template_id=opp.template_id,
            order__gte=opp.stage.order,
            is_won=False,
            **({"order__lt": closing.order} if closing else {}),
        ).order_by("order")
    )
    overridden = _gate_check(user, opp, leaving, override=override, reason=reason)
    won = ProbabilityLevel.objects.filter(is_won=True).first()
    if won is None:
        raise ValidationFailed(
            _("The probability ladder has no 'won' level; an admin must add one."), code="config"
        )
    final = (
        Stage.objects.filter(template_id=opp.template_id, is_won=True).order_by("order").first() or opp.stage
    )
    now = timezone.now()
    old_stage, old_level, old_category = opp.stage, opp.level, opp.forecast_category
    days = _days_in_stage(opp, now)
    values = {
        "status": Opportunity.Status.WON,
        "closed_on": closed_on or timezone.localdate(),
        "stage": final,
        "forecast_category": ForecastCategory.BOOKED,
        "staging_flag": "",
        **_level_values(won),
    }
    if final.pk != old_stage.pk:
        values["stage_entered_at"] = now
    versioned_update(opp, version, values)
    audit_changes(
        ENTITY,
        opp.pk,
        {"level": (old_level.code, won.code), "forecast_category": (old_category, ForecastCategory.BOOKED)},
        user,
        reason,
    )
    changes.write(
        opp,
        StageChange.Kind.WON,
        from_stage=old_stage,
        from_level=old_level,
        actor=user,
        reason=reason,
        days=days,
        at=now,
        overridden=bool(overridden),
        overridden_criteria=overridden,
    )
    if final.pk != old_stage.pk:
        after_stage_entry(opp, final, user)
    return opp


@transaction.atomic
@changes.keeps_history
def opportunity_close_lost(
    user: User,
    opp_id: int,
    *,
    loss_reason_id: int | None,
    winning_competitor_id: int | None = None,
    version: int | None,
    closed_on: date | None = None,
    reason: str = "",
) -> Opportunity:
    """Close as lost, with a loss reason (required) and the winning competitor (if known)."""
    version = require_version(version)
    opp = access_opportunity(user, opp_id, for_write=True, lock=True)
    _open_only(opp)
    not_in_future(closed_on, timezone.localdate(), "closed_on")
    reason = clean_text(reason, "reason", 500, multiline=True)
    loss_reason = LossReason.objects.filter(pk=loss_reason_id).first() if loss_reason_id else None
    if loss_reason is None:
        raise ValidationFailed(_("Choose why the deal was lost."), {"loss_reason_id": [_("Required.")]})
    competitor = None
    if winning_competitor_id:
        competitor = Competitor.objects.filter(pk=winning_competitor_id).first()
        if competitor is None:
            raise ValidationFailed(_("Unknown competitor."), {"winning_competitor_id": [_("Unknown id.")]})
    lost = ProbabilityLevel.objects.filter(is_lost=True).first()
    if lost is None:
        raise ValidationFailed(
            _("The probability ladder has no 'lost' level; an admin must add one."), code="config"
        )
    now = timezone.now()
    old_level, old_category = opp.level, opp.forecast_category
    days = _days_in_stage(opp, now)
    versioned_update(
        opp,
        version,
        {
            "status": Opportunity.Status.LOST,
            "closed_on": closed_on or timezone.localdate(),
            "loss_reason": loss_reason,
            "winning_competitor": competitor,
            "forecast_category": ForecastCategory.OMITTED,
            "staging_flag": "",
            **_level_values(lost),
        },
    )
    if competitor is not None:  # the winner was in the race, recorded there or not
        opp.competitors.add(competitor)
    audit_changes(
        ENTITY,
        opp.pk,
        {"level": (old_level.code, lost.code), "forecast_category": (old_category, ForecastCategory.OMITTED)},
        user,
        reason,
    )
    changes.write(
        opp,
        StageChange.Kind.LOST,
        from_stage=opp.stage,
        from_level=old_level,
        actor=user,
        reason=reason or loss_reason.name_zh,
        days=days,
        at=now,
    )
    return opp


@transaction.atomic
@changes.keeps_history
def opportunity_reopen(user: User, opp_id: int, *, version: int | None, reason: str = "") -> Opportunity:
    """Reopen a closed opportunity at its current stage (a won one at the stage before closing)."""
    version = require_version(version)
    opp = access_opportunity(user, opp_id, for_write=True, lock=True)
    if opp.status == Opportunity.Status.OPEN:
        raise ValidationFailed(_("The opportunity is already open."), code="already_open")
    if not reason.strip():
        raise ValidationFailed(_("Say why the deal is reopened."), {"reason": [_("Required.")]})
    stage = opp.stage
    if stage.is_won:
        stage = (
            Stage.objects.filter(template_id=opp.template_id, order__lt=stage.order)
            .order_by("-order")
            .first()
            or stage
        )
    now = timezone.now()
    old_stage, old_level = opp.stage, opp.level
    opp.status = Opportunity.Status.OPEN  # judged as an open deal at `stage`
    found = verified_level(opp, stage)
    level = found.level
    versioned_update(
        opp,
        version,
        {
            "status": Opportunity.Status.OPEN,
            "closed_on": None,
            "loss_reason": None,
            "winning_competitor": None,
            "stage": stage,
            "stage_entered_at": now,
            "staging_flag": found.staging,
            "forecast_category": level.default_forecast_category,
            **_level_values(level),
        },
    )
    opp.stage = stage
    audit_changes(ENTITY, opp.pk, {"level": (old_level.code, level.code)}, user, reason)
    changes.write(
        opp,
        StageChange.Kind.REOPENED,
        from_stage=old_stage,
        from_level=old_level,
        actor=user,
        reason=reason,
        at=now,
    )
    return opp


@transaction.atomic
@changes.keeps_history
def opportunity_reassign(
    user: User, opp_id: int, *, owner_id: int, version: int | None, reason: str = ""
) -> Opportunity:
    """Give the opportunity to another person (manager, director or admin with the deal in scope).
    The deal follows the new owner's team."""
    version = require_version(version)
    opp = access_opportunity(user, opp_id, lock=True)
    if not can_reassign_opportunity(user, opp):
        raise PermissionDenied(
            _("Only a manager, director or admin responsible for this deal can reassign it.")
        )
    owner = visible_users(user).filter(pk=owner_id).first()
    if owner is None or owner.org_unit_id is None:
        raise ValidationFailed(
            _("Choose an active user who belongs to a team."), {"owner_id": [_("Unknown owner.")]}
        )
    if not in_scope(user, owner.org_unit_id):
        raise PermissionDenied(_("You can only give opportunities to people in your own scope."))
    if owner.pk == opp.owner_id:
        raise ValidationFailed(
            _("This person already owns the opportunity."), {"owner_id": [_("Same owner.")]}
        )
    old_owner = opp.owner
    old_key = (opp.owner_id, opp.team_id)
    versioned_update(opp, version, {"owner": owner, "team_id": owner.org_unit_id})
    if old_key[1] != owner.org_unit_id:
        opportunity_team_changed.send(Opportunity, opportunity_id=opp.pk, team_id=owner.org_unit_id)
    audit_changes(ENTITY, opp.pk, {"owner": (old_owner.username, owner.username)}, user, reason)
    return opp


@transaction.atomic
def opportunity_team_add(user: User, opp_id: int, *, user_id: int, role_id: int) -> OpportunityTeamMember:
    """Put someone on the deal team with a role (or change their role)."""
    opp = access_opportunity(user, opp_id, for_write=True)
    member = visible_users(user).filter(pk=user_id).first()
    if member is None:
        raise ValidationFailed(_("Unknown user."), {"user_id": [_("Choose an active user.")]})
    role = DealRole.objects.filter(pk=role_id).first()
    if role is None:
        raise ValidationFailed(_("Unknown deal role."), {"role_id": [_("Choose a role.")]})
    row, created = OpportunityTeamMember.objects.update_or_create(
        opportunity=opp, user=member, defaults={"role": role}
    )
    audit_changes(
        ENTITY,
        opp.pk,
        {"team_member": ("" if created else member.username, f"{member.username}:{role.code}")},
        user,
    )
    return row


@transaction.atomic
def opportunity_team_remove(user: User, opp_id: int, *, user_id: int) -> None:
    opp = access_opportunity(user, opp_id, for_write=True)
    deleted, _rows = OpportunityTeamMember.objects.filter(opportunity=opp, user_id=user_id).delete()
    if not deleted:
        raise NotFound(_("This person is not on the deal team."))
    audit_changes(ENTITY, opp.pk, {"team_member": (str(user_id), "")}, user)
