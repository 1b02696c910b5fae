"""Screening platforms (issue 15 §10): writes — the wall criteria (an admin's) and the monthly computation.

`platforms_compute` derives every account's platform for the month holding `day` (as of the month's last
day, or today while the month runs) with kadence.domain.kam.platforms.platform_of, from four set-based reads:
the accounts with their industry code, size, BP and region; which have an open opportunity; which have a
done activity in the active window (EXISTS on the (account, date) index); and our won revenue over the
revenue window (kadence.keyaccounts.revenue.won_revenue, the one definition). The month's snapshots are
replaced in one transaction (DELETE + COPY on PostgreSQL) and the run is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.models import Account, Industry
from kadence.activities.models import Activity
from kadence.core.audit import audit_changes
from kadence.core.bulk import insert_rows
from kadence.core.concurrency import versioned_update
from kadence.core.errors import PermissionDenied, ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.validation import clean_money, whole_number
from kadence.core.visibility import can_configure_coverage, can_lead
from kadence.domain.kam.platforms import SIZES, AccountFacts, platform_of
from kadence.domain.periods import Period, period_containing
from kadence.keyaccounts.platforms.models import PlatformCriteria, PlatformSnapshot
from kadence.keyaccounts.revenue import won_revenue
from kadence.pipeline.models import Opportunity


@dataclass
class PlatformRun:
    period: Period
    as_of: date
    accounts: int


def as_of_for(period: Period, today: date) -> date:
    return min(period.end, today)


def check_can_compute(user: User | None) -> None:
    if user is not None and not can_lead(user):
        raise PermissionDenied(_("Only a manager, director or admin recomputes the platforms."))


@transaction.atomic
def platforms_compute(user: User | None, *, day: date) -> PlatformRun:
    """Every account's platform for the month holding `day` (None user: the nightly job)."""
    check_can_compute(user)
    period = period_containing("month", day)
    as_of = as_of_for(period, timezone.localdate())
    criteria = PlatformCriteria.current()
    wall = criteria.wall
    recent = Exists(
        Activity.objects.filter(
            account_id=OuterRef("pk"),
            done=True,
            date__gte=as_of - timedelta(days=criteria.active_days),
            date__lte=as_of,
        )
    )
    open_deal = Exists(Opportunity.objects.filter(account_id=OuterRef("pk"), status=Opportunity.Status.OPEN))
    won = won_revenue(None, as_of - timedelta(days=criteria.revenue_days - 1), as_of)
    codes = dict(Industry.objects.values_list("pk", "code"))
    now = timezone.now()
    rows = []
    for pk, industry_id, size, bp, region_id, owner_id, team_id, active, has_open in (
        Account.objects.annotate(active=recent, has_open=open_deal)
        .order_by()
        .values_list(
            "pk",
            "industry_id",
            "size",
            "buying_power",
            "region_id",
            "owner_id",
            "team_id",
            "active",
            "has_open",
        )
        .iterator(chunk_size=5000)
    ):
        facts = AccountFacts(
            industry=codes.get(industry_id, ""),
            size=size,
            buying_power=bp,
            region_id=region_id,
            open_opportunity=has_open,
            last_activity=as_of if active else None,
            won=won.get(pk, Decimal(0)),
        )
        platform = platform_of(facts, wall, as_of, criteria.active_days)
        rows.append((pk, period.start, platform, owner_id, team_id, now))
    PlatformSnapshot.objects.filter(period_start=period.start).delete()
    insert_rows(
        PlatformSnapshot,
        ("account_id", "period_start", "platform", "owner_id", "team_id", "computed_at"),
        rows,
    )
    audit_changes(
        "keyaccounts.platformsnapshot",
        period.start.year * 100 + period.start.month,
        {"computed": ("", f"{period.label}: {len(rows)}")},
        user,
        _("Screening platforms computed"),
    )
    return PlatformRun(period, as_of, len(rows))


def _codes(values: Any, field: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in values.replace(",", " ").split() if v]
    if not isinstance(values, list | tuple):
        raise ValidationFailed(_("Give a list."), {field: [_("Give a list.")]})
    return [str(v) for v in values]


@transaction.atomic
def criteria_update(
    user: User,
    *,
    version: int,
    industries: Any = None,
    min_size: str | None = None,
    min_buying_power: Any = None,
    regions: Any = None,
    active_days: Any = None,
    revenue_days: Any = None,
    reason: str = "",
) -> PlatformCriteria:
    """An admin changes the wall criteria or the windows (a field not given stays); 409 when stale.
    Industries are codes of existing industries, regions ids of regions."""
    if not can_configure_coverage(user):
        raise PermissionDenied(_("Only an admin changes the platform criteria."))
    criteria, _created = PlatformCriteria.objects.select_for_update().get_or_create(pk=1)
    values: dict[str, Any] = {}
    if industries is not None:
        codes = sorted(set(_codes(industries, "industries")))
        known = set(Industry.objects.filter(code__in=codes).values_list("code", flat=True))
        if unknown := [c for c in codes if c not in known]:
            raise ValidationFailed(
                _("Unknown industry: %(codes)s.") % {"codes": ", ".join(unknown[:5])},
                {"industries": [_("Choose listed industries.")]},
            )
        values["industries"] = codes
    if regions is not None:
        try:
            ids = sorted({int(r) for r in _codes(regions, "regions")})
        except ValueError:
            raise ValidationFailed(_("Unknown region."), {"regions": [_("Choose regions.")]}) from None
        found = set(OrgUnit.objects.filter(pk__in=ids, kind=OrgUnit.Kind.REGION).values_list("pk", flat=True))
        if len(found) != len(ids):
            raise ValidationFailed(_("Unknown region."), {"regions": [_("Choose regions.")]})
        values["regions"] = ids
    if min_size is not None:
        if min_size not in ("", *SIZES):
            raise ValidationFailed(_("Unknown size."), {"min_size": [_("Choose a listed size.")]})
        values["min_size"] = min_size
    if min_buying_power not in (None, ""):
        values["min_buying_power"] = clean_money(min_buying_power, "min_buying_power")
    if active_days not in (None, ""):
        values["active_days"] = whole_number(active_days, "active_days", 1, 3650)
    if revenue_days not in (None, ""):
        values["revenue_days"] = whole_number(revenue_days, "revenue_days", 1, 3650)
    changes = {f: (getattr(criteria, f), v) for f, v in values.items()}
    versioned_update(criteria, version, values)
    audit_changes("keyaccounts.platformcriteria", criteria.pk, changes, user, reason[:500])
    return criteria
