"""Coverage of the account pool (issue 15 §9): reads. Every figure starts from the report scope of
kadence.core.visibility (`resolve_scope`: a seller their own accounts, a manager or director their units,
an admin the company, narrowed by `unit_id` / `owner_id`).

The territory table is one aggregate over the accounts of the scope: per team, COUNT with filters for the
unowned (owner inactive or not a seller), the neglected (no done activity in the window: a NOT EXISTS that
reads the (account, date) index of activities — one probe per account, never a scan of the activities)
and the covered. At 50,000 accounts that is one statement whatever the number of activities."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.models import Account
from kadence.activities.models import Activity
from kadence.core.errors import ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import (
    Scope,
    inside_sellers_q,
    is_inside_seller,
    quota_sellers,
    resolve_scope,
    unowned_accounts_q,
)
from kadence.domain.kam import coverage as rules
from kadence.domain.periods import PERIOD_KINDS, Period, period_containing
from kadence.keyaccounts.coverage.models import CoveragePolicy
from kadence.pipeline.models import Opportunity

KINDS = ("all", "unowned", "neglected", "covered")


def recent_activity(as_of: date, neglect_days: int) -> Exists:
    """Whether the account (the outer row) has a done activity in [as_of − neglect_days, as_of]."""
    return Exists(
        Activity.objects.filter(
            account_id=OuterRef("pk"),
            done=True,
            date__gte=rules.neglect_cutoff(as_of, neglect_days),
            date__lte=as_of,
        )
    )


@dataclass
class TerritoryRow:
    unit: OrgUnit | None
    region: OrgUnit | None
    counts: rules.CoverageCounts
    is_region: bool = False

    @property
    def owned_neglected(self) -> int:
        return self.counts.total - self.counts.unowned - self.counts.covered


@dataclass
class LoadRow:
    seller: User
    kind: str  # rules.OUTSIDE / rules.INSIDE
    load: rules.Load


@dataclass
class CoverageReport:
    scope: Scope
    as_of: date
    policy: CoveragePolicy
    teams: list[TerritoryRow]
    regions: list[TerritoryRow]
    total: rules.CoverageCounts
    loads: list[LoadRow] = field(default_factory=list)

    @property
    def over_limit(self) -> list[LoadRow]:
        return [row for row in self.loads if row.load.over]


def _region_of(unit: OrgUnit, units: dict[int, OrgUnit]) -> OrgUnit | None:
    node: OrgUnit | None = unit
    while node is not None and node.kind != OrgUnit.Kind.REGION:
        node = units.get(node.parent_id) if node.parent_id else None
    return node


def coverage_report(
    user: User, *, unit_id: int | None = None, owner_id: int | None = None, as_of: date | None = None
) -> CoverageReport:
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    as_of = as_of or timezone.localdate()
    policy = CoveragePolicy.current()
    # Grouped by (team, recent, unowned): the EXISTS probe runs once per account (PostgreSQL groups by the
    # select list's positions), and the at most 4 rows per team are folded here.
    rows = (
        scope.filter(Account.objects.all())
        .annotate(
            recent=recent_activity(as_of, policy.neglect_days),
            unowned=ExpressionWrapper(unowned_accounts_q(), output_field=BooleanField()),
        )
        .order_by()
        .values_list("team_id", "recent", "unowned")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, rules.CoverageCounts] = {}
    for team_id, recent, unowned, n in rows:
        part = rules.CoverageCounts(
            n, n if unowned else 0, 0 if recent else n, n if recent and not unowned else 0
        )
        counts[team_id] = counts.get(team_id, rules.ZERO) + part
    units = {u.pk: u for u in OrgUnit.objects.all()}  # the org is small (tens of units)
    teams: list[TerritoryRow] = []
    by_region: defaultdict[int, rules.CoverageCounts] = defaultdict(lambda: rules.ZERO)
    for team_id, c in counts.items():
        unit = units.get(team_id)
        region = _region_of(unit, units) if unit else None
        teams.append(TerritoryRow(unit, region, c))
        by_region[region.pk if region else 0] += c
    teams.sort(key=lambda r: r.unit.path if r.unit else "")
    regions = [
        TerritoryRow(units.get(rid), units.get(rid), c, is_region=True)
        for rid, c in sorted(by_region.items(), key=lambda kv: units[kv[0]].path if kv[0] in units else "")
    ]
    total = sum((r.counts for r in teams), rules.ZERO)
    return CoverageReport(scope, as_of, policy, teams, regions, total, seller_loads(scope, policy))


def seller_loads(scope: Scope, policy: CoveragePolicy) -> list[LoadRow]:
    """Each active seller of the scope: the accounts they own against their limit (two queries)."""
    sellers = list(quota_sellers(scope).select_related("org_unit").order_by("display_name", "username"))
    owned = dict(
        Account.objects.filter(owner_id__in=[s.pk for s in sellers])
        .order_by()
        .values("owner_id")
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    limits = policy.limits
    out = []
    for seller in sellers:
        kind = rules.INSIDE if is_inside_seller(seller) else rules.OUTSIDE
        out.append(LoadRow(seller, kind, rules.Load(owned.get(seller.pk, 0), limits.of(kind))))
    out.sort(key=lambda r: (not r.load.over, -r.load.accounts))
    return out


def load_of(seller: User, policy: CoveragePolicy) -> rules.Load:
    kind = rules.INSIDE if is_inside_seller(seller) else rules.OUTSIDE
    return rules.Load(Account.objects.filter(owner=seller).count(), policy.limits.of(kind))


def clean_kind(kind: str | None) -> str:
    kind = kind or "all"
    if kind not in KINDS:
        raise ValidationFailed(
            _("Unknown list."), {"kind": [_("Choose all, unowned, neglected or covered.")]}
        )
    return kind


def account_rows(
    user: User,
    *,
    kind: str | None = "all",
    unit_id: int | None = None,
    owner_id: int | None = None,
    as_of: date | None = None,
) -> QuerySet[Account]:
    """The accounts of the scope in one of the lists (all, unowned, neglected, covered), by name, each with
    its last done activity up to `as_of` (`last_activity`, read for the rows of a page only)."""
    kind = clean_kind(kind)
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    as_of = as_of or timezone.localdate()
    policy = CoveragePolicy.current()
    qs = scope.filter(Account.objects.all())
    recent = recent_activity(as_of, policy.neglect_days)
    if kind == "unowned":
        qs = qs.filter(unowned_accounts_q())
    elif kind == "neglected":
        qs = qs.filter(~recent)
    elif kind == "covered":
        qs = qs.filter(recent).exclude(unowned_accounts_q())
    last = (
        Activity.objects.filter(account_id=OuterRef("pk"), done=True, date__lte=as_of)
        .order_by()
        .values("account_id")
        .annotate(last=Max("date"))
        .values("last")
    )
    return (
        qs.select_related("owner", "team", "region")
        .annotate(last_activity=Subquery(last))
        .order_by("name", "id")
    )


# --- inside sales' new-customer activation -------------------------------------------------------


@dataclass
class ActivatedAccount:
    account_id: int
    name: str
    seller_id: int
    first_activity: date
    first_opportunity: date | None

    @property
    def days(self) -> int | None:
        if self.first_opportunity is None:
            return None
        return (self.first_opportunity - self.first_activity).days


@dataclass
class ActivationRow:
    seller: User
    figures: rules.Activation


@dataclass
class ActivationReport:
    scope: Scope
    period: Period
    rows: list[ActivationRow]
    total: rules.Activation
    accounts: list[ActivatedAccount]


def clean_period(kind: str | None, day: date) -> Period:
    kind = kind or "month"
    if kind not in PERIOD_KINDS:
        raise ValidationFailed(_("Unknown period."), {"period": [_("Choose month, quarter or year.")]})
    return period_containing(kind, day)  # type: ignore[arg-type]


def activation_report(
    user: User,
    *,
    period: str | None = "month",
    day: date | None = None,
    unit_id: int | None = None,
    owner_id: int | None = None,
) -> ActivationReport:
    """Per inside-sales rep of the scope: the accounts whose first done activity ever falls in the period
    and was theirs, how many got a first opportunity (created on or after that day, up to today), the
    conversion rate and the median days between the two. Four queries whatever the size of the pool."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    when = clean_period(period, day or timezone.localdate())
    sellers = {s.pk: s for s in quota_sellers(scope).filter(inside_sellers_q()).order_by("display_name")}
    earlier = Activity.objects.filter(account_id=OuterRef("account_id"), done=True, date__lt=when.start)
    candidates = (
        Activity.objects.filter(
            done=True, date__gte=when.start, date__lte=when.end, owner_id__in=list(sellers)
        )
        .filter(~Exists(earlier))
        .order_by()
        .values("account_id")
    )
    firsts: dict[int, tuple[date, int, str]] = {}
    for account_id, day_, owner_id_, name in (
        Activity.objects.filter(
            done=True, date__gte=when.start, date__lte=when.end, account_id__in=candidates
        )
        .order_by("account_id", "date", "id")
        .values_list("account_id", "date", "owner_id", "account__name")
    ):
        firsts.setdefault(account_id, (day_, owner_id_, name))
    firsts = {a: f for a, f in firsts.items() if f[1] in sellers}
    first_opps = {
        row["account_id"]: timezone.localtime(row["first"]).date()
        if timezone.is_aware(row["first"])
        else row["first"].date()
        for row in Opportunity.objects.filter(account_id__in=list(firsts))
        .order_by()
        .values("account_id")
        .annotate(first=Min("created_at"))
    }
    accounts = [
        ActivatedAccount(a, name, owner, first, first_opps.get(a))
        for a, (first, owner, name) in sorted(firsts.items(), key=lambda kv: (kv[1][0], kv[0]))
    ]
    per_seller: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for acc in accounts:
        per_seller[acc.seller_id].append((acc.first_activity, acc.first_opportunity))
    rows = [ActivationRow(seller, rules.activation(per_seller.get(pk, []))) for pk, seller in sellers.items()]
    total = rules.activation((a.first_activity, a.first_opportunity) for a in accounts)
    return ActivationReport(scope, when, rows, total, accounts)


def activation_cohort(report: ActivationReport) -> list[ActivatedAccount]:
    """The accounts counted (new customers only: those with an opportunity before their first activity
    are left out, as rules.activation does)."""
    return [
        a for a in report.accounts if a.first_opportunity is None or a.first_opportunity >= a.first_activity
    ]


def as_dict(counts: rules.CoverageCounts) -> dict[str, Any]:
    return {
        "total": counts.total,
        "unowned": counts.unowned,
        "neglected": counts.neglected,
        "covered": counts.covered,
        "rate": counts.rate,
    }
