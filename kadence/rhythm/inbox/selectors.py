"""The approval inbox (issue 13 §5): what waits for a manager, director or admin, one list per kind,
each with its count:

- **gates**: approval-type exit criteria of the current stage of open deals in their units (not their
  own deals), with no live approval (kadence.deals GateApproval) and not refused by them here;
- **overrides**: stage moves made without the evidence (StageChange.overridden, the report
  kadence.deals.selectors.gates.gate_overrides) in their units in the last OVERRIDE_DAYS days, made by
  someone else, that they have not marked reviewed — in Kadence a gate is overridden by a manager at the
  move (there is no request row), so the inbox is where the manager's own lead reviews it;
- **forecasts**: the latest forecast submission of each seller of their units for the current quarter
  that no manager has adjusted (kadence.planning forecast_adjust) and they have not accepted here;
- **expenses**: open deals over their expense budget (kadence.deals.selectors.expenses.expense_alerts);
- **targets**: targets in negotiation — issue 14 adds the negotiation rounds; `targets_in_negotiation`
  is the slot it fills (empty until then).

Every list is one or two SQL statements; a page shows at most LIMIT items per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.errors import NotFound
from kadence.core.i18n import in_language
from kadence.core.models import User
from kadence.core.visibility import ALL, Scope, scope_unit_ids, uses_inbox
from kadence.deals.models import GateApproval
from kadence.deals.selectors.expenses import expense_alerts
from kadence.domain import expenses as expense_domain
from kadence.domain.periods import PeriodKind, period_containing
from kadence.pipeline.models import ExitCriterion, Opportunity, StageChange
from kadence.planning.selectors.forecast import records_for, submission_q
from kadence.rhythm.inbox.models import InboxReview

LIMIT = 50
OVERRIDE_DAYS = 30
FORECAST_PERIOD: PeriodKind = "quarter"
EXPENSE_SCAN = 200  # expense alerts read (the "over" ones come first); the count says "at least" past it


@dataclass
class InboxList:
    kind: str
    title: str
    count: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)
    capped: bool = False


def _team_q(user: User, prefix: str = "") -> Q:
    scope = scope_unit_ids(user)
    return Q() if scope is ALL else Q(**{f"{prefix}team_id__in": sorted(scope or ())})


def _name(user_row: dict[str, Any], prefix: str) -> str:
    return user_row[f"{prefix}display_name"] or user_row[f"{prefix}username"]


def _bilingual(row: dict[str, Any], prefix: str) -> str:
    return in_language(row[f"{prefix}name_zh"], row[f"{prefix}name_en"])


# --- gates ------------------------------------------------------------------------------------------


def pending_gates(user: User):  # -> QuerySet of dict rows
    approved = GateApproval.objects.filter(
        opportunity_id=OuterRef("pk"), criterion_id=OuterRef("criterion_id"), revoked_at__isnull=True
    )
    refused = InboxReview.objects.filter(
        kind=InboxReview.Kind.GATE,
        reviewed_by=user,
        ref=Concat(
            Cast(OuterRef("pk"), CharField()), Value(":"), Cast(OuterRef("criterion_id"), CharField())
        ),
    )
    return (
        Opportunity.objects.filter(_team_q(user), status=Opportunity.Status.OPEN)
        .exclude(owner_id=user.pk)
        .filter(stage__exit_criteria__kind=ExitCriterion.Kind.APPROVAL, stage__exit_criteria__is_active=True)
        .annotate(criterion_id=F("stage__exit_criteria__id"))
        .filter(~Exists(approved), ~Exists(refused))
    )


def gates(user: User) -> InboxList:
    qs = pending_gates(user)
    rows = qs.values(
        "pk",
        "name",
        "amount",
        "version",
        "account__name",
        "owner__display_name",
        "owner__username",
        "stage__name_zh",
        "stage__name_en",
        "criterion_id",
        "stage__exit_criteria__name_zh",
        "stage__exit_criteria__name_en",
        "stage__exit_criteria__description",
    ).order_by("-amount", "pk", "criterion_id")[:LIMIT]
    items = [
        {
            "opp_id": r["pk"],
            "name": r["name"],
            "account": r["account__name"],
            "owner": _name(r, "owner__"),
            "amount": r["amount"],
            "stage": _bilingual(r, "stage__"),
            "criterion_id": r["criterion_id"],
            "criterion": _bilingual(r, "stage__exit_criteria__"),
            "description": r["stage__exit_criteria__description"],
        }
        for r in rows
    ]
    count = len(items) if len(items) < LIMIT else qs.count()
    return InboxList("gates", str(_("Gate approvals")), count, items)


# --- overrides --------------------------------------------------------------------------------------


def overrides(user: User) -> InboxList:
    since = timezone.now() - timedelta(days=OVERRIDE_DAYS)
    reviewed = InboxReview.objects.filter(
        kind=InboxReview.Kind.OVERRIDE, reviewed_by=user, ref=Cast(OuterRef("pk"), CharField())
    )
    qs = (
        StageChange.objects.filter(_team_q(user, "opportunity__"), overridden=True, changed_at__gte=since)
        .exclude(changed_by_id=user.pk)
        .filter(~Exists(reviewed))
    )
    rows = qs.values(
        "pk",
        "changed_at",
        "reason",
        "from_stage_name",
        "to_stage_name",
        "overridden_criteria",
        "opportunity_id",
        "opportunity__name",
        "opportunity__account__name",
        "changed_by__display_name",
        "changed_by__username",
    ).order_by("-changed_at", "-pk")[:LIMIT]
    items = [
        {
            "id": r["pk"],
            "changed_at": r["changed_at"],
            "reason": r["reason"],
            "from_stage": r["from_stage_name"],
            "to_stage": r["to_stage_name"],
            "criteria": len(r["overridden_criteria"] or []),
            "opp_id": r["opportunity_id"],
            "name": r["opportunity__name"],
            "account": r["opportunity__account__name"],
            "by": r["changed_by__display_name"] or r["changed_by__username"] or "",
        }
        for r in rows
    ]
    count = len(items) if len(items) < LIMIT else qs.count()
    return InboxList("overrides", str(_("Overrides to review")), count, items)


# --- forecasts --------------------------------------------------------------------------------------


def forecasts(user: User) -> InboxList:
    period = period_containing(FORECAST_PERIOD, timezone.localdate())
    scope = scope_unit_ids(user)
    where = submission_q(Scope(unit_ids=scope)) & ~Q(user_id=user.pk)
    records = records_for(period, where)
    waiting = [r for r in records.values() if r.adjustment is None]
    reviewed = (
        set(
            InboxReview.objects.filter(
                kind=InboxReview.Kind.FORECAST,
                reviewed_by=user,
                ref__in=[str(r.submission.pk) for r in waiting],
            ).values_list("ref", flat=True)
        )
        if waiting
        else set()
    )
    waiting = [r for r in waiting if str(r.submission.pk) not in reviewed]
    waiting.sort(key=lambda r: (-r.submission.submitted_at.timestamp(), r.submission.pk))
    users = User.objects.in_bulk([r.submission.user_id for r in waiting[:LIMIT]]) if waiting else {}
    items = [
        {
            "id": r.submission.pk,
            "seller": users[r.submission.user_id].label if r.submission.user_id in users else "",
            "seller_id": r.submission.user_id,
            "submitted_at": r.submission.submitted_at,
            "forecast": r.submission.forecast,
            "booked": r.submission.booked,
            "commit": r.submission.commit,
            "best_case": r.submission.best_case,
            "reason": r.submission.reason,
            "period_label": period.label,
        }
        for r in waiting[:LIMIT]
    ]
    return InboxList("forecasts", str(_("Forecasts to review")), len(waiting), items)


# --- expenses ---------------------------------------------------------------------------------------


def expenses(user: User) -> InboxList:
    alerts = expense_alerts(user, limit=EXPENSE_SCAN)
    over = [a for a in alerts if a.state == expense_domain.OVER]
    items = [
        {
            "opp_id": a.opp_id,
            "name": a.name,
            "account": a.account,
            "owner": a.owner,
            "budget": a.usage.budget,
            "spent": a.usage.spent,
            "used_pct": a.usage.used_pct,
        }
        for a in over[:LIMIT]
    ]
    return InboxList(
        "expenses", str(_("Expense budgets over limit")), len(over), items, len(alerts) >= EXPENSE_SCAN
    )


# --- targets (slot for issue 14) --------------------------------------------------------------------


def targets_in_negotiation(user: User) -> InboxList:
    """Targets in negotiation waiting for `user` (三上三下, METHODOLOGY §10.1). Issue 14 adds the model;
    it replaces this function in KINDS with one that lists its rounds waiting for the user's answer."""
    return InboxList("targets", str(_("Targets in negotiation")))


KINDS: dict[str, Callable[[User], InboxList]] = {
    "gates": gates,
    "overrides": overrides,
    "forecasts": forecasts,
    "expenses": expenses,
    "targets": targets_in_negotiation,
}


def register_kind(kind: str, source: Callable[[User], InboxList]) -> None:
    """Fill (or add) the list of `kind` from an app above the rhythm (kadence.performance's target
    negotiations fill "targets" at start-up): a kind already listed keeps its place."""
    KINDS[kind] = source


def inbox(user: User) -> list[InboxList]:
    """Every kind's list for `user` (404 for a seller: the inbox is a lead's)."""
    if not uses_inbox(user):
        raise NotFound(_("The approval inbox is for managers, directors and admins."))
    return [source(user) for source in KINDS.values()]
