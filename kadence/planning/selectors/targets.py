"""Target reads (METHODOLOGY §10.1, issue 4 item 3): the target list and the target of a report
scope. Who sees and who may set which target is the visibility policy's (kadence.core.visibility:
visible_targets, access_target, can_set_target, settable_units, settable_sellers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from kadence.core.errors import ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.pagination import Page, paginate
from kadence.core.validation import clean_date
from kadence.core.visibility import Scope, visible_targets
from kadence.domain.periods import PERIOD_KINDS, Period, PeriodKind, period_containing
from kadence.planning.models import Target


def period_of(
    kind: str | None, day: date | None, *, default_day: date, default_kind: str = "quarter"
) -> Period:
    """The month / quarter / year of `kind` holding `day` (any day of it): a period start is always
    normalised to the period's first day. Unknown kinds are a ValidationFailed."""
    kind = kind or default_kind
    if kind not in PERIOD_KINDS:
        raise ValidationFailed(
            _("Choose month, quarter or year."), {"period_kind": [_("Choose month, quarter or year.")]}
        )
    checked: PeriodKind = kind  # type: ignore[assignment]
    clean_date(day, "period_start")  # far from now the period arithmetic would overflow
    return period_containing(checked, day or default_day)


def target_list(
    user: User,
    *,
    period_kind: str | None = None,
    period_start: date | None = None,
    unit_id: int | None = None,
    user_id: int | None = None,
    page: int | str | None = 1,
    page_size: int | str | None = None,
) -> Page:
    """The targets `user` may see, newest period first; `period_start` (any day of the period, with
    `period_kind`, default quarter) narrows to one period, `period_kind` alone to one kind."""
    qs = visible_targets(user).select_related("unit", "user", "user__org_unit")
    if period_start is not None:
        period = period_of(period_kind, period_start, default_day=period_start)
        qs = qs.filter(period_kind=period.kind, period_start=period.start)
    elif period_kind:
        qs = qs.filter(period_kind=period_of(period_kind, None, default_day=date(2000, 1, 1)).kind)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if user_id is not None:
        qs = qs.filter(user_id=user_id)
    return paginate(
        qs.order_by("-period_start", "period_kind", "unit__path", "user__username", "id"), page, page_size
    )


def scope_roots(unit_ids: frozenset[int]) -> list[int]:
    """The top units of a set of unit subtrees: those whose parent is not in the set."""
    rows = OrgUnit.objects.filter(pk__in=sorted(unit_ids)).values_list("pk", "parent_id")
    return sorted(pk for pk, parent in rows if parent not in unit_ids)


def target_for(scope: Scope, period_kind: str, period_start: date) -> Decimal | None:
    """The target of a report scope for the period holding `period_start` (None when none is set):
    - one seller → their own target;
    - one unit → that unit's target (a missing unit target is not made up from the units below);
    - everything of an admin → the company's target (the root unit's; several roots: their sum if
      each has one);
    - a manager's or director's default scope (all their units) → the sum of the targets of their
      top units (the managed units: a director's regions, a manager's teams), when each of them has
      one; None as soon as one is missing, since a partial sum would understate the target."""
    period = period_of(period_kind, period_start, default_day=period_start)
    qs = Target.objects.filter(period_kind=period.kind, period_start=period.start)
    if scope.owner is not None:
        return qs.filter(user_id=scope.owner.pk).values_list("amount", flat=True).first()
    if scope.unit is not None:
        return qs.filter(unit_id=scope.unit.pk).values_list("amount", flat=True).first()
    if scope.unit_ids is None:
        roots = list(OrgUnit.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    else:
        roots = scope_roots(scope.unit_ids)
    if not roots:
        return None
    found = qs.filter(unit_id__in=roots, user__isnull=True).aggregate(n=Count("id"), total=Sum("amount"))
    if found["n"] != len(roots):
        return None
    return found["total"]


def seller_targets(user_ids: list[int], period_kind: str, period_start: date) -> dict[int, Decimal]:
    """The sellers' own targets of the period holding `period_start` ({user_id: amount}; a seller with
    none is left out). One query (targets_of)."""
    period = period_of(period_kind, period_start, default_day=period_start)
    return targets_of(period, user_ids=user_ids)[0]


def targets_of(
    period: Period, *, user_ids: Sequence[int] = (), unit_ids: Sequence[int] = ()
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """The targets of record of several sellers and units for one period, in one query: (seller id →
    target, unit id → target). A unit's own target only (as target_for: not made up from below)."""
    if not user_ids and not unit_ids:
        return {}, {}
    rows = Target.objects.filter(period_kind=period.kind, period_start=period.start).filter(
        Q(user_id__in=sorted(set(user_ids))) | Q(unit_id__in=sorted(set(unit_ids)), user__isnull=True)
    )
    sellers: dict[int, Decimal] = {}
    units: dict[int, Decimal] = {}
    for user_id, unit_id, amount in rows.values_list("user_id", "unit_id", "amount"):
        if user_id is not None:
            sellers[user_id] = amount
        elif unit_id is not None:
            units[unit_id] = amount
    return sellers, units
