"""Screening platforms (issue 15 §10): reads over the monthly snapshots, within the report scope of
kadence.core.visibility (the snapshot's owner and team of that month).

- the funnel: accounts per platform in the month (one aggregate);
- per team: accounts per platform (one aggregate);
- movement: (platform last month → platform this month) counts, the previous platform read per account
  through the (account, month) unique index (one aggregate);
- drill-down: the accounts on a platform (optionally those that came from a given one), paginated."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.errors import ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import Scope, resolve_scope
from kadence.domain.kam.platforms import MOVEMENTS, NEW, PLATFORMS, movement
from kadence.domain.periods import Period, period_containing
from kadence.keyaccounts.platforms.models import PlatformSnapshot


@dataclass
class PlatformReport:
    scope: Scope
    period: Period
    previous: Period
    funnel: dict[str, int]
    teams: list[tuple[OrgUnit | None, dict[str, int], dict[str, int]]]  # unit, per platform, per movement
    moves: dict[tuple[str, str], int]
    computed: bool

    @property
    def total(self) -> int:
        return sum(self.funnel.values())


def month_of(day: date | None) -> Period:
    return period_containing("month", day or timezone.localdate())


def _snapshots(scope: Scope, period: Period) -> QuerySet[PlatformSnapshot]:
    return scope.filter(PlatformSnapshot.objects.filter(period_start=period.start))


def _with_previous(qs: QuerySet[PlatformSnapshot], previous: Period) -> QuerySet[PlatformSnapshot]:
    prev = PlatformSnapshot.objects.filter(
        account_id=OuterRef("account_id"), period_start=previous.start
    ).values("platform")[:1]
    return qs.annotate(previous=Coalesce(Subquery(prev), Value(NEW)))


def platform_report(
    user: User, *, day: date | None = None, unit_id: int | None = None, owner_id: int | None = None
) -> PlatformReport:
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    period = month_of(day)
    previous = period.shift(-1)
    qs = _snapshots(scope, period)
    # one aggregate: accounts per (team, last month's platform, this month's), folded into the funnel, the
    # per-team counts and movement, and the from → to table
    per_team: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PLATFORMS, 0))
    team_moves: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MOVEMENTS, 0))
    funnel = dict.fromkeys(PLATFORMS, 0)
    moves: dict[tuple[str, str], int] = defaultdict(int)
    rows = (
        _with_previous(qs, previous)
        .order_by()
        .values_list("team_id", "previous", "platform")  # type: ignore[misc]  # an annotation django-stubs cannot see
        .annotate(n=Count("pk"))
    )
    for team_id, before, platform, n in rows:
        per_team[team_id][platform] += n
        team_moves[team_id][movement(before, platform)] += n
        funnel[platform] += n
        moves[(before, platform)] += n
    units = OrgUnit.objects.in_bulk(list(per_team))
    teams = sorted(
        ((units.get(t), counts, team_moves[t]) for t, counts in per_team.items()),
        key=lambda r: r[0].path if r[0] else "",
    )
    return PlatformReport(
        scope, period, previous, funnel, teams, dict(moves), computed=sum(funnel.values()) > 0
    )


def clean_platform(value: str | None, *, allow_new: bool = False, field: str = "platform") -> str | None:
    if value in (None, ""):
        return None
    allowed = (*PLATFORMS, NEW) if allow_new else PLATFORMS
    if value not in allowed:
        raise ValidationFailed(_("Unknown platform."), {field: [_("Choose a listed platform.")]})
    return value


def platform_accounts(
    user: User,
    *,
    day: date | None = None,
    platform: str | None = None,
    from_platform: str | None = None,
    unit_id: int | None = None,
    owner_id: int | None = None,
) -> QuerySet[PlatformSnapshot]:
    """The snapshots of the month in the scope (on `platform`, coming from `from_platform`), by account
    name, with the account, owner and team loaded and `previous` annotated."""
    platform = clean_platform(platform)
    from_platform = clean_platform(from_platform, allow_new=True, field="from")
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    period = month_of(day)
    qs = _with_previous(_snapshots(scope, period), period.shift(-1))
    if platform:
        qs = qs.filter(platform=platform)
    if from_platform:
        qs = qs.filter(previous=from_platform)  # type: ignore[misc]  # the annotation of _with_previous
    return qs.select_related("account", "owner", "team").order_by("account__name", "account_id")
