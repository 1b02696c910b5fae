"""Commission reads: the plans and their versions; the plan in force for each seller of a period; what
a statement is computed from (credited deals, quota, group revenue, approved expenses), each read once
for all the sellers; a seller's statement and a scope's statements; a statement recomputed from what it
stored (the reproducibility check)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, Q, Sum
from django.utils.translation import gettext as _

from kadence.core.errors import ValidationFailed
from kadence.core.models import User
from kadence.core.visibility import (
    SELLER_ROLES,
    Scope,
    can_configure_commission,
    quota_sellers,
    resolve_scope,
    visible_commission_statements,
)
from kadence.deals.models import Expense
from kadence.domain import commission as dc
from kadence.domain.periods import Period, period_containing
from kadence.performance.commission.models import (
    Basis,
    CommissionAssignment,
    CommissionLine,
    CommissionPlan,
    CommissionPlanVersion,
    CommissionStatement,
    CreditRule,
    PlanKind,
    PlanPeriod,
)
from kadence.pipeline.models import Opportunity, OpportunityTeamMember
from kadence.planning.selectors.targets import seller_targets

ZERO = Decimal(0)


def commission_period(kind: str, day: date) -> Period:
    """The month or quarter holding `day` (422 for another kind)."""
    if kind not in PlanPeriod.values:
        raise ValidationFailed(
            _("Choose month or quarter."), {"period": [_("Choose month or quarter.")]}, code="bad_period"
        )
    return period_containing(kind, day)  # type: ignore[arg-type]


# --- terms as stored -------------------------------------------------------------------------------


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def terms_data(version: CommissionPlanVersion, kind: str) -> dict[str, Any]:
    """A version's terms as stored on a statement (text figures, so JSON keeps them exact)."""
    return {
        "kind": kind,
        "salary": str(version.salary),
        "tiers": [{"from_pct": str(t["from_pct"]), "rate": str(t["rate"])} for t in version.tiers],
        "cap": None if version.cap is None else str(version.cap),
        "group_rate": str(version.group_rate),
        "expense_cap": None if version.expense_cap is None else str(version.expense_cap),
        "basis": version.basis,
    }


def terms_of(data: dict[str, Any]) -> dc.Terms:
    """The domain's terms from stored terms."""
    return dc.Terms(
        kind=data["kind"],
        salary=Decimal(str(data.get("salary") or 0)),
        tiers=tuple(
            dc.Tier(Decimal(str(t["from_pct"])), Decimal(str(t["rate"]))) for t in data.get("tiers") or []
        ),
        cap=_dec(data.get("cap")),
        group_rate=Decimal(str(data.get("group_rate") or 0)),
        expense_cap=_dec(data.get("expense_cap")),
    )


def inputs_of(data: dict[str, Any]) -> dict[str, Any]:
    """The domain's inputs (keyword arguments of kadence.domain.commission.statement) from stored inputs."""
    group = data.get("group")
    return {
        "quota": _dec(data.get("quota")),
        "credits": [
            dc.Credit(c["deal_id"], c["deal_name"], Decimal(c["amount"]), Decimal(c["share"]), c["role"])
            for c in data.get("credits", [])
        ],
        "group": None
        if group is None
        else dc.Group(Decimal(group["revenue"]), int(group["members"]), int(group["index"])),
        "expenses": [
            dc.ExpenseItem(e["expense_id"], e["deal_id"], e["description"], Decimal(e["amount"]))
            for e in data.get("expenses", [])
        ],
    }


# --- plans -----------------------------------------------------------------------------------------


def plans(user: User) -> list[CommissionPlan]:
    """The plans with their versions (an admin: every plan; anyone else: the plans assigned to them,
    directly or through their role). Two queries."""
    qs = CommissionPlan.objects.prefetch_related(
        Prefetch("versions", queryset=CommissionPlanVersion.objects.order_by("-effective_from"))
    ).order_by("code")
    if not can_configure_commission(user):
        assigned = CommissionAssignment.objects.filter(
            Q(user_id=user.pk) | Q(user__isnull=True, role=user.role)
        )
        qs = qs.filter(pk__in=assigned.values("plan_id"))
    return list(qs)


def assignments() -> list[CommissionAssignment]:
    return list(CommissionAssignment.objects.select_related("plan", "user").order_by("-effective_from", "id"))


def credit_rules() -> list[CreditRule]:
    return list(CreditRule.objects.select_related("role"))


@dataclass(frozen=True)
class PlanInForce:
    plan: CommissionPlan
    version: CommissionPlanVersion


def plans_in_force(people: Sequence[User], on: date) -> dict[int, PlanInForce]:
    """The plan and version in force on `on` for each seller: their own latest assignment from on or
    before `on`, else their role's; the plan's latest version from on or before `on`. A seller with no
    plan, an inactive plan or no version yet is left out. Two queries."""
    ids = [p.pk for p in people]
    roles = sorted({p.role for p in people})
    rows = (
        CommissionAssignment.objects.filter(effective_from__lte=on)
        .filter(Q(user_id__in=ids) | Q(user__isnull=True, role__in=roles))
        .select_related("plan")
        .order_by("effective_from", "id")
    )
    own: dict[int, CommissionPlan] = {}
    by_role: dict[str, CommissionPlan] = {}
    for row in rows:  # ascending: the latest wins
        if row.user_id is not None:
            own[row.user_id] = row.plan
        else:
            by_role[row.role] = row.plan
    chosen = {p.pk: own.get(p.pk) or by_role.get(p.role) for p in people}
    plan_ids = {plan.pk for plan in chosen.values() if plan is not None and plan.is_active}
    versions: dict[int, CommissionPlanVersion] = {}
    for version in CommissionPlanVersion.objects.filter(
        plan_id__in=plan_ids, effective_from__lte=on
    ).order_by("effective_from"):
        versions[version.plan_id] = version
    return {
        uid: PlanInForce(plan, versions[plan.pk])
        for uid, plan in chosen.items()
        if plan is not None and plan.pk in versions
    }


# --- what a statement is computed from -------------------------------------------------------------


def _credit_data(deal: Opportunity, share: Decimal, role: str) -> dict[str, Any]:
    return {
        "deal_id": deal.pk,
        "deal_name": deal.name,
        "amount": str(deal.amount),
        "share": str(share),
        "role": role,
    }


def credits_for(
    ids: Iterable[int], period: Period, basis: str = Basis.BOOKED
) -> dict[int, list[dict[str, Any]]]:
    """Each seller's credits of the period: the won deals closed in it that they own or work on as a
    deal-team member, with their credit share (kadence.domain.commission.credit_shares under the credit
    rules), by close date and deal. Three queries.

    The basis is booked revenue; collections (回款) do not exist yet — a `collected` basis would read the
    collections of the period here instead of the won deals, with the same credit rules."""
    if basis != Basis.BOOKED:  # the seam for collections
        raise ValidationFailed(_("Unknown commission basis."), {"basis": [_("Not available yet.")]})
    wanted = set(ids)
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not wanted:
        return out
    rules = {r.role_id: r.share for r in CreditRule.objects.all()}
    members = Prefetch(
        "team_members",
        queryset=OpportunityTeamMember.objects.select_related("role").order_by(
            "role__order", "role__code", "user_id"
        ),
    )
    deals = (
        Opportunity.objects.filter(status=Opportunity.Status.WON, closed_on__range=(period.start, period.end))
        .filter(Q(owner_id__in=sorted(wanted)) | Q(team_members__user_id__in=sorted(wanted)))
        .distinct()
        .only("id", "name", "amount", "owner_id", "closed_on")
        .prefetch_related(members)
        .order_by("closed_on", "id")
    )
    for deal in deals:
        sharing = [m for m in deal.team_members.all() if m.role_id in rules and m.user_id != deal.owner_id]
        owner_share, shares = dc.credit_shares([rules[m.role_id] for m in sharing])
        if deal.owner_id in wanted:
            out[deal.owner_id].append(_credit_data(deal, owner_share, "owner"))
        for member, share in zip(sharing, shares, strict=True):
            if member.user_id in wanted and share > 0:
                out[member.user_id].append(_credit_data(deal, share, member.role.code))
    return out


def groups_for(people: Sequence[User], period: Period) -> dict[int, dict[str, Any]]:
    """The group of each seller for a group commission: the seller's team (org unit), its booked revenue
    in the period (won deals of that team closed in it) and its members — the active sellers placed in
    the team, by id — with the seller's place among them. Two queries."""
    units = sorted({p.org_unit_id for p in people if p.org_unit_id is not None})
    revenue = dict(
        Opportunity.objects.filter(
            status=Opportunity.Status.WON, closed_on__range=(period.start, period.end), team_id__in=units
        )
        .values("team_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("team_id", "total")
    )
    members: dict[int, list[int]] = defaultdict(list)
    for uid, unit_id in (
        User.objects.filter(is_active=True, role__in=SELLER_ROLES, org_unit_id__in=units)
        .order_by("pk")
        .values_list("pk", "org_unit_id")
    ):
        members[unit_id].append(uid)
    out = {}
    for person in people:
        team = members.get(person.org_unit_id or 0, [])
        if person.pk not in team:
            continue
        out[person.pk] = {
            "unit_id": person.org_unit_id,
            "revenue": str(dc.round2(revenue.get(person.org_unit_id or 0) or ZERO)),
            "members": len(team),
            "index": team.index(person.pk),
        }
    return out


def approved_expenses(ids: Iterable[int], period: Period) -> dict[int, list[dict[str, Any]]]:
    """The approved expenses of each seller in the period: expenses dated in it that they logged on
    deals they own, by date. Kadence has no expense-approval step yet: an expense logged by the owner
    on their own deal (within the deal's budgets, which the deal-control page enforces) counts as
    approved; an approval flag would be filtered here. One query."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        Expense.objects.filter(
            spent_on__range=(period.start, period.end),
            opportunity__owner_id__in=sorted(set(ids)),
            logged_by_id=F("opportunity__owner_id"),
        )
        .order_by("spent_on", "id")
        .values_list("id", "opportunity_id", "opportunity__owner_id", "description", "amount")
    )
    for eid, deal_id, owner_id, description, amount in rows:
        out[owner_id].append(
            {"expense_id": eid, "deal_id": deal_id, "description": description, "amount": str(amount)}
        )
    return out


def quotas_for(ids: Sequence[int], period: Period) -> dict[int, Decimal]:
    """The sellers' targets of record for the period (planning's target selector: one query)."""
    return seller_targets(list(ids), period.kind, period.start)


# --- statements ------------------------------------------------------------------------------------


def statement_detail(
    user: User, *, period: str, day: date, owner_id: int | None = None
) -> tuple[User, Period, CommissionStatement | None]:
    """A seller's statement (default: the user's own) for the period holding `day`, with its lines;
    None when not computed. Outside the user's reach: NotFound. Two queries after the scope."""
    when = commission_period(period, day)
    scope = resolve_scope(user, owner_id=owner_id or user.pk)
    assert scope.owner is not None
    found = (
        visible_commission_statements(user)
        .filter(user=scope.owner, period_kind=when.kind, period_start=when.start)
        .select_related("user", "unit", "computed_by")
        .prefetch_related(Prefetch("lines", queryset=CommissionLine.objects.order_by("sort_order")))
        .first()
    )
    return scope.owner, when, found


@dataclass
class TeamStatements:
    scope: Scope
    period: Period
    statements: list[CommissionStatement]
    missing: list[User]
    total: dict[str, Decimal]


def team_statements(user: User, *, period: str, day: date, unit_id: int | None = None) -> TeamStatements:
    """The statements of the scope's sellers for the period (a manager: their teams; a director: their
    regions; an admin: the company; or the unit chosen), biggest payout first, the sellers with none,
    and the totals. Two queries after the scope."""
    when = commission_period(period, day)
    scope = resolve_scope(user, unit_id=unit_id)
    people = list(quota_sellers(scope).select_related("org_unit").order_by("display_name", "pk"))
    rows = list(
        visible_commission_statements(user)
        .filter(user_id__in=[p.pk for p in people], period_kind=when.kind, period_start=when.start)
        .select_related("user", "unit")
        .order_by("-payout", "user_id")
    )
    done = {s.user_id for s in rows}
    fields = ("credited", "salary", "commission", "group_commission", "expenses", "payout")
    total = {f: sum((getattr(s, f) for s in rows), ZERO) for f in fields}
    return TeamStatements(scope, when, rows, [p for p in people if p.pk not in done], total)


def statement_recompute(statement: CommissionStatement) -> dc.Statement:
    """The statement recomputed from its stored terms and inputs: equal to the stored lines and payout
    when it is reproducible."""
    return dc.statement(terms_of(statement.terms), **inputs_of(statement.inputs))


def line_explanation(line: CommissionLine) -> str:
    """A line in words: what it was computed from."""
    if line.kind == CommissionLine.Kind.SALARY:
        return _("salary of the period")
    if line.kind == CommissionLine.Kind.GROUP:
        return _("team revenue %(base)s × %(rate)s %% ÷ team members") % {
            "base": line.base,
            "rate": line.rate,
        }
    if line.kind == CommissionLine.Kind.EXPENSE:
        text = _("approved expense %(base)s") % {"base": line.base}
    else:
        text = _(
            "%(share)s %% of %(amount)s credited; %(base)s in the band from %(tier)s %% of quota × %(rate)s %%"
        ) % {
            "share": line.share,
            "amount": line.deal_amount,
            "base": line.base,
            "tier": line.tier_from_pct,
            "rate": line.rate,
        }
    if line.capped:
        text += " · " + _("cut by the cap")
    return text


def kinds() -> list[tuple[str, str]]:
    return [(str(k), str(label)) for k, label in PlanKind.choices]
