"""Commission writes: an admin makes plans, sets a plan's terms from a period (a new version, or the
version of that period changed), assigns plans to sellers or roles and sets the split-credit rules; a
manager, director or admin (or the job, or `kadence compute_commissions`) computes a period's
statements. Atomic, audited, versioned (a stale plan edit is a 409)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes, diff
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import (
    SELLER_ROLES,
    Scope,
    can_compute_commission,
    can_configure_commission,
    quota_sellers,
    resolve_scope,
)
from kadence.domain import commission as dc
from kadence.domain.periods import Period
from kadence.performance.commission import selectors as sel
from kadence.performance.commission.models import (
    CommissionAssignment,
    CommissionLine,
    CommissionPlan,
    CommissionPlanVersion,
    CommissionRun,
    CommissionStatement,
    CreditRule,
    PlanKind,
    PlanPeriod,
)
from kadence.pipeline.models import DealRole

MAX_MONEY = Decimal("999999999999.99")  # the columns hold 12 digits before the point
MAX_RATE = Decimal(100)
TERM_FIELDS = ("salary", "tiers", "cap", "group_rate", "expense_cap")


def _require_admin(user: User) -> None:
    if not can_configure_commission(user):
        raise PermissionDenied(_("Only an admin configures commission plans."))


def _number(value: Any, field: str, *, high: Decimal, places: str = "0.01") -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(_("Enter a number."), {field: [_("Enter a number.")]}) from exc
    if not number.is_finite() or not Decimal(0) <= number <= high:
        raise ValidationFailed(_("Out of range."), {field: [_("Out of range.")]})
    if number != number.quantize(Decimal(places)):
        raise ValidationFailed(_("Too many decimals."), {field: [_("Too many decimals.")]})
    return number.quantize(Decimal(places))


def _optional(value: Any, field: str) -> Decimal | None:
    return None if value is None or value == "" else _number(value, field, high=MAX_MONEY)


def clean_terms(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """The terms of a version, checked: money ≥ 0, rates 0–100 % (four decimals), tiers sorted from 0 %
    of quota with distinct starts (a plan paying commission needs at least one)."""
    tiers_in = values.get("tiers") or []
    if not isinstance(tiers_in, list) or len(tiers_in) > 20:
        raise ValidationFailed(_("Give at most 20 tiers."), {"tiers": [_("Give at most 20 tiers.")]})
    tiers = []
    for tier in tiers_in:
        if not isinstance(tier, dict):
            raise ValidationFailed(_("A tier has a start and a rate."), {"tiers": [_("Invalid tier.")]})
        tiers.append(
            {
                "from_pct": _number(tier.get("from_pct"), "tiers", high=Decimal(100000)),
                "rate": _number(tier.get("rate"), "tiers", high=MAX_RATE, places="0.0001"),
            }
        )
    tiers.sort(key=lambda t: t["from_pct"])
    clean: dict[str, Any] = {
        "salary": _number(values.get("salary") or 0, "salary", high=MAX_MONEY),
        "tiers": tiers,
        "cap": _optional(values.get("cap"), "cap"),
        "group_rate": _number(values.get("group_rate") or 0, "group_rate", high=MAX_RATE, places="0.0001"),
        "expense_cap": _optional(values.get("expense_cap"), "expense_cap"),
    }
    terms = dc.Terms(
        kind=kind,  # type: ignore[arg-type]
        salary=clean["salary"],
        tiers=tuple(dc.Tier(t["from_pct"], t["rate"]) for t in tiers),
        cap=clean["cap"],
        group_rate=clean["group_rate"],
        expense_cap=clean["expense_cap"],
    )
    try:
        dc.check_terms(terms)
    except dc.PlanError as exc:
        # xgettext:no-python-format
        message = _("Tiers start at 0 % of quota, each at a different attainment.")
        raise ValidationFailed(message, {"tiers": [message]}) from exc
    clean["tiers"] = [{"from_pct": str(t["from_pct"]), "rate": str(t["rate"])} for t in tiers]
    return clean


def _version_text(version: CommissionPlanVersion) -> dict[str, Any]:
    return {f: getattr(version, f) for f in TERM_FIELDS}


@transaction.atomic
def plan_create(
    user: User,
    *,
    code: str,
    name_zh: str,
    name_en: str,
    kind: str,
    period_kind: str = PlanPeriod.MONTH,
    effective_from: date,
    **terms: Any,
) -> CommissionPlan:
    """A new plan with its first version, effective from the period holding `effective_from` (409
    `duplicate` for a code in use)."""
    _require_admin(user)
    if kind not in PlanKind.values:
        raise ValidationFailed(_("Unknown plan type."), {"kind": [_("Choose a plan type.")]})
    when = sel.commission_period(period_kind, effective_from)
    if not str(name_zh).strip() or not str(name_en).strip():
        raise ValidationFailed(_("Give the plan a name."), {"name_en": [_("This field is required.")]})
    clean = clean_terms(kind, terms)
    try:
        with transaction.atomic():
            plan = CommissionPlan.objects.create(
                code=code, name_zh=name_zh, name_en=name_en, kind=kind, period_kind=period_kind
            )
    except IntegrityError as exc:
        raise Conflict(_("A plan with this code exists."), code="duplicate") from exc
    version = CommissionPlanVersion.objects.create(
        plan=plan, effective_from=when.start, changed_by=user, **clean
    )
    audit_changes(
        "performance.commissionplan",
        plan.pk,
        {
            "kind": (None, kind),
            "effective_from": (None, version.effective_from),
            **{k: (None, v) for k, v in clean.items()},
        },
        user,
        "created",
    )
    return plan


@transaction.atomic
def plan_update(user: User, plan_id: int, *, version: int, **values: Any) -> CommissionPlan:
    """Rename, (de)activate or change the pay period of a plan (`version` as read; 409 when stale)."""
    _require_admin(user)
    version = require_version(version)
    plan = CommissionPlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("Unknown commission plan."))
    allowed = {"name_zh", "name_en", "is_active", "period_kind"}
    clean = {k: v for k, v in values.items() if k in allowed and v is not None}
    if "period_kind" in clean and clean["period_kind"] not in PlanPeriod.values:
        raise ValidationFailed(
            _("Choose month or quarter."), {"period_kind": [_("Choose month or quarter.")]}
        )
    for name in ("name_zh", "name_en"):
        if name in clean and not str(clean[name]).strip():
            raise ValidationFailed(_("Give the plan a name."), {name: [_("This field is required.")]})
    changes = diff(plan, clean)
    versioned_update(plan, version, clean)
    audit_changes("performance.commissionplan", plan.pk, changes, user)
    return plan


@transaction.atomic
def plan_terms_set(
    user: User, plan_id: int, *, version: int, effective_from: date, **terms: Any
) -> CommissionPlanVersion:
    """Set a plan's terms from the period holding `effective_from`: a new version, or the one of that
    period changed. `version` is the plan's as read (409 when stale: someone changed the plan since).
    Statements already computed keep the terms they were computed with."""
    _require_admin(user)
    version = require_version(version)
    plan = CommissionPlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("Unknown commission plan."))
    versioned_update(plan, version, {})  # a stale edit is a 409 before anything else
    when = sel.commission_period(plan.period_kind, effective_from)
    clean = clean_terms(plan.kind, terms)
    row = CommissionPlanVersion.objects.filter(plan=plan, effective_from=when.start).first()
    if row is None:
        row = CommissionPlanVersion.objects.create(
            plan=plan, effective_from=when.start, changed_by=user, **clean
        )
        changes = {k: (None, v) for k, v in clean.items()}
    else:
        changes = diff(row, clean)
        for field, value in clean.items():
            setattr(row, field, value)
        row.changed_by, row.changed_at = user, timezone.now()
        row.save()
    audit_changes(
        "performance.commissionplan", plan.pk, {**changes, "effective_from": (None, when.start)}, user
    )
    return row


@transaction.atomic
def assignment_set(
    user: User, *, plan_id: int, effective_from: date, seller_id: int | None = None, role: str = ""
) -> CommissionAssignment:
    """Assign a plan to one seller or to a role from the period holding `effective_from` (the plan's
    pay period); an assignment of the same seller or role from that day is replaced."""
    _require_admin(user)
    plan = CommissionPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise ValidationFailed(_("Unknown commission plan."), {"plan_id": [_("Choose a plan.")]})
    if (seller_id is None) == (not role):
        raise ValidationFailed(
            _("Assign a plan to a seller or to a role."), {"seller_id": [_("Choose a seller or a role.")]}
        )
    seller = None
    if seller_id is not None:
        seller = User.objects.filter(pk=seller_id, role__in=SELLER_ROLES).first()
        if seller is None:
            raise ValidationFailed(_("Unknown seller."), {"seller_id": [_("Choose a seller.")]})
    elif role not in SELLER_ROLES:
        raise ValidationFailed(_("Choose a seller role."), {"role": [_("Choose a seller role.")]})
    start = sel.commission_period(plan.period_kind, effective_from).start
    who: dict[str, Any] = {"user": seller} if seller else {"user__isnull": True, "role": role}
    existing = CommissionAssignment.objects.select_for_update().filter(effective_from=start, **who)
    old = existing.first()
    if old is not None:
        changes = {"plan_id": (old.plan_id, plan.pk)}
        old.plan, old.assigned_by, old.assigned_at = plan, user, timezone.now()
        old.save(update_fields=["plan", "assigned_by", "assigned_at"])
        audit_changes("performance.commissionassignment", old.pk, changes, user)
        return old
    try:
        with transaction.atomic():
            row = CommissionAssignment.objects.create(
                plan=plan, user=seller, role="" if seller else role, effective_from=start, assigned_by=user
            )
    except IntegrityError as exc:
        raise Conflict(_("Someone assigned a plan at the same moment; reload.")) from exc
    audit_changes(
        "performance.commissionassignment",
        row.pk,
        {"plan_id": (None, plan.pk), "user_id": (None, seller_id), "role": (None, role)},
        user,
        "created",
    )
    return row


@transaction.atomic
def assignment_delete(user: User, assignment_id: int) -> None:
    _require_admin(user)
    row = CommissionAssignment.objects.select_for_update().filter(pk=assignment_id).first()
    if row is None:
        raise NotFound(_("Unknown assignment."))
    audit_changes(
        "performance.commissionassignment", row.pk, {"plan_id": (row.plan_id, None)}, user, "deleted"
    )
    row.delete()


@transaction.atomic
def credit_rule_set(user: User, *, role_id: int, share: Any, version: int | None = None) -> CreditRule:
    """Set the credit share % of deal-team members in a deal role (changing one needs its `version`)."""
    _require_admin(user)
    role = DealRole.objects.filter(pk=role_id).first()
    if role is None:
        raise ValidationFailed(_("Unknown deal role."), {"role_id": [_("Choose a deal role.")]})
    value = _number(share, "share", high=Decimal(100))
    row = CreditRule.objects.select_for_update().filter(role=role).first()
    if row is None:
        try:
            with transaction.atomic():
                row = CreditRule.objects.create(role=role, share=value)
        except IntegrityError as exc:
            raise Conflict(_("Someone set this rule at the same moment; reload.")) from exc
        audit_changes("performance.creditrule", row.pk, {"share": (None, value)}, user, "created")
        return row
    if version is None:
        raise Conflict(
            _("This rule exists; change it with the version you read."), current_version=row.version
        )
    changes = diff(row, {"share": value})
    versioned_update(row, require_version(version), {"share": value})
    audit_changes("performance.creditrule", row.pk, changes, user)
    return row


# --- computing statements --------------------------------------------------------------------------


def check_can_compute(actor: User, unit_id: int | None = None, owner_id: int | None = None) -> Scope:
    """The scope the actor computes (403 for a seller; 404 for a unit or seller outside their reach)."""
    if not can_compute_commission(actor):
        raise PermissionDenied(_("Only a manager, a director or an admin computes commissions."))
    return resolve_scope(actor, unit_id=unit_id, owner_id=owner_id)


def _sellers(actor: User | None, unit_id: int | None, owner_id: int | None) -> list[User]:
    if actor is None:
        unit = OrgUnit.objects.filter(pk=unit_id).first() if unit_id is not None else None
        if unit_id is not None and unit is None:
            raise NotFound(_("Unknown unit."))
        scope = Scope(unit=unit)
    else:
        scope = check_can_compute(actor, unit_id, owner_id)
    return list(quota_sellers(scope).order_by("pk"))


def _line_row(line: dc.Line, order: int) -> CommissionLine:
    return CommissionLine(
        sort_order=order,
        kind=line.kind,
        deal_id=line.deal_id,
        deal_name=line.deal_name[:300],
        deal_amount=line.deal_amount,
        share=line.share,
        role=line.role,
        expense_id=line.expense_id,
        tier_from_pct=line.tier_from_pct,
        rate=line.rate,
        base=line.base,
        amount=line.amount,
        capped=line.capped,
    )


def statement_inputs(
    people: Sequence[User], period: Period, in_force: dict[int, sel.PlanInForce]
) -> dict[int, dict[str, Any]]:
    """What each seller's statement is computed from, read once for all of them (a fixed number of
    queries): quota, credits, group, expenses — as stored on the statement."""
    ids = [p.pk for p in people if p.pk in in_force]
    quotas = sel.quotas_for(ids, period)
    credits = sel.credits_for(ids, period)
    grouped = [p for p in people if p.pk in in_force and in_force[p.pk].plan.kind in dc.PAYS_GROUP]
    groups = sel.groups_for(grouped, period) if grouped else {}
    expensed = [uid for uid in ids if in_force[uid].plan.kind in dc.PAYS_EXPENSES]
    expenses = sel.approved_expenses(expensed, period) if expensed else {}
    return {
        uid: {
            "basis": in_force[uid].version.basis,
            "quota": None if quotas.get(uid) is None else str(quotas[uid]),
            "credits": credits.get(uid, []),
            "group": groups.get(uid),
            "expenses": expenses.get(uid, []),
        }
        for uid in ids
    }


@transaction.atomic
def statements_compute(
    actor: User | None,
    *,
    period: str,
    day: date,
    unit_id: int | None = None,
    owner_id: int | None = None,
    run: CommissionRun | None = None,
) -> CommissionRun:
    """Compute the statements of the period holding `day` for the sellers of the actor's reach (or the
    unit / seller chosen; with no actor, every seller) whose plan in force pays by that kind of period.
    Each statement is written again from the data, the plan version in force and the credit rules;
    computing twice with the same data gives the same statements (idempotent). A fixed number of
    queries whatever the number of sellers. The run is recorded (with its count)."""
    when = sel.commission_period(period, day)
    people = _sellers(actor, unit_id, owner_id)
    in_force = {
        uid: p for uid, p in sel.plans_in_force(people, when.start).items() if p.plan.period_kind == when.kind
    }
    inputs = statement_inputs(people, when, in_force)
    now = timezone.now()
    if run is None:
        run = CommissionRun.objects.create(
            period_kind=when.kind,
            period_start=when.start,
            period_end=when.end,
            unit_id=unit_id,
            computed_by=actor,
            computed_at=now,
        )
    existing = {
        s.user_id: s
        for s in CommissionStatement.objects.select_for_update().filter(
            user_id__in=list(in_force), period_kind=when.kind, period_start=when.start
        )
    }
    CommissionLine.objects.filter(statement__in=list(existing.values())).delete()
    written: list[tuple[CommissionStatement, list[CommissionLine]]] = []
    for person in people:
        chosen = in_force.get(person.pk)
        if chosen is None:
            continue
        terms = sel.terms_data(chosen.version, chosen.plan.kind)
        data = inputs[person.pk]
        result = dc.statement(sel.terms_of(terms), **sel.inputs_of(data))
        row = existing.get(person.pk) or CommissionStatement(
            user=person, period_kind=when.kind, period_start=when.start, version=0
        )
        row.unit_id, row.run, row.plan = person.org_unit_id, run, chosen.plan
        row.plan_code, row.plan_name_zh, row.plan_name_en = (
            chosen.plan.code,
            chosen.plan.name_zh,
            chosen.plan.name_en,
        )
        row.plan_kind, row.plan_version_from = chosen.plan.kind, chosen.version.effective_from
        row.terms, row.inputs, row.period_end = terms, data, when.end
        row.quota = None if data["quota"] is None else Decimal(data["quota"])
        row.credited, row.attainment = result.credited, result.attainment
        row.salary, row.commission, row.group_commission = result.salary, result.commission, result.group
        row.expenses, row.payout = result.expenses, result.payout
        row.computed_at, row.computed_by, row.version = now, actor, row.version + 1
        written.append((row, [_line_row(line, i) for i, line in enumerate(result.lines)]))
    fresh = [s for s, _lines in written if s.pk is None]
    stale = [s for s, _lines in written if s.pk is not None]
    CommissionStatement.objects.bulk_create(fresh)
    CommissionStatement.objects.bulk_update(
        stale,
        [
            "unit",
            "run",
            "plan",
            "plan_code",
            "plan_name_zh",
            "plan_name_en",
            "plan_kind",
            "plan_version_from",
            "terms",
            "inputs",
            "period_end",
            "quota",
            "credited",
            "attainment",
            "salary",
            "commission",
            "group_commission",
            "expenses",
            "payout",
            "computed_at",
            "computed_by",
            "version",
        ],
    )
    for statement, lines in written:
        for line in lines:
            line.statement = statement
    CommissionLine.objects.bulk_create([line for _s, lines in written for line in lines])
    run.statements, run.state = len(written), CommissionRun.State.DONE
    run.save(update_fields=["statements", "state"])
    return run
