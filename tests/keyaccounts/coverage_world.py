"""Known figures for the coverage and platform tests (issue 15 §9–10), as of 31 Oct 2026, neglect 90 days
(the window starts on 2 Aug 2026).

Team north-1 (mona's), six accounts:
- the fixture's account (rita): an activity on 1 Oct → covered;
- "A2 stale" (rita): last activity 1 Jul → owned, neglected;
- "A3 pool" (mona, a manager holding it): activity on 10 Oct → unowned (worked, but not by a seller);
- "A4 left" (leo, a rep who left): nothing → unowned and neglected;
- "A5 edge" (ivy, inside sales): activity on 2 Aug, the window's first day → covered;
- "A6 later" (tom): a done activity on 5 Nov (after the day) and a planned one on 20 Oct → neglected.
→ 6 accounts, 2 unowned, 3 neglected, 2 covered: 33.3 %.
Team south-1: sara's account, no activity → 1, 0, 1, 0: 0.0 %. Company: 7, 2, 4, 2: 28.6 %.

Activation, October 2026, ivy (inside, north-1): B1 first activity 5 Oct, opportunity created 15 Oct (10 days);
B2 10 Oct → 30 Oct (20 days); B3 20 Oct, no opportunity; B4 has an activity on 1 Sep (not new); B5's
opportunity came on 20 Sep, before its first activity (not new); B6's first activity is rita's (a rep).
→ ivy: 3 activated, 2 converted, 66.7 %, median 15.0 days."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

from django.utils import timezone

from kadence.accounts.models import Account
from kadence.activities.models import Activity
from kadence.core.models import User
from kadence.pipeline.models import Opportunity

AS_OF = date(2026, 10, 31)


def person(org, username: str, role: str, unit, *, active: bool = True) -> User:
    user = User.objects.create_user(
        username=username, password="pw", role=role, org_unit=unit, display_name=username.capitalize()
    )
    if not active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


def account(org, name: str, owner: User, *, size: str = "small", bp: str = "0", region=None) -> Account:
    return Account.objects.create(
        name=name,
        industry=org.industry,
        region=region or org.north,
        owner=owner,
        team=owner.org_unit,
        size=size,
        buying_power=D(bp),
    )


def activity(acc: Account, owner: User, day: date, *, done: bool = True) -> Activity:
    return Activity.objects.create(
        kind="call_out", subject="call", date=day, done=done, account=acc, owner=owner, team=owner.org_unit
    )


def opportunity(
    org, acc: Account, created: date, *, status: str = "open", closed_on: date | None = None, amount="1000"
):
    base = org.opp
    return Opportunity.objects.create(
        name=f"{acc.name} deal",
        account=acc,
        owner=acc.owner,
        team=acc.team,
        template=base.template,
        stage=base.stage,
        level=base.level,
        amount=D(amount),
        expected_close_date=closed_on or date(2027, 3, 1),
        probability=base.probability,
        forecast_category="pipeline" if status == "open" else "booked",
        status=status,
        closed_on=closed_on,
        created_at=timezone.make_aware(datetime.combine(created, datetime.min.time().replace(hour=10))),
    )


def build_coverage(org):
    org.ivy = person(org, "ivy", User.Role.INSIDE, org.n1)
    org.leo = person(org, "leo", User.Role.REP, org.n1, active=False)
    activity(org.account, org.rita, date(2026, 10, 1))
    org.a2 = account(org, "A2 stale", org.rita)
    activity(org.a2, org.rita, date(2026, 7, 1))
    org.a3 = account(org, "A3 pool", org.mona)
    activity(org.a3, org.mona, date(2026, 10, 10))
    org.a4 = account(org, "A4 left", org.leo)
    org.a5 = account(org, "A5 edge", org.ivy)
    activity(org.a5, org.ivy, date(2026, 8, 2))
    org.a6 = account(org, "A6 later", org.tom)
    activity(org.a6, org.tom, date(2026, 11, 5))
    activity(org.a6, org.tom, date(2026, 10, 20), done=False)
    return org


def build_activation(org):
    org.ivy = person(org, "ivy", User.Role.INSIDE, org.n1)
    b1 = account(org, "B1", org.ivy)
    activity(b1, org.ivy, date(2026, 10, 5))
    activity(b1, org.ivy, date(2026, 10, 8))
    opportunity(org, b1, date(2026, 10, 15))
    opportunity(org, b1, date(2026, 10, 25))
    b2 = account(org, "B2", org.ivy)
    activity(b2, org.ivy, date(2026, 10, 10))
    opportunity(org, b2, date(2026, 10, 30))
    b3 = account(org, "B3", org.ivy)
    activity(b3, org.ivy, date(2026, 10, 20))
    b4 = account(org, "B4", org.ivy)
    activity(b4, org.ivy, date(2026, 9, 1))
    activity(b4, org.ivy, date(2026, 10, 12))
    b5 = account(org, "B5", org.ivy)
    opportunity(org, b5, date(2026, 9, 20))
    activity(b5, org.ivy, date(2026, 10, 3))
    b6 = account(org, "B6", org.ivy)
    activity(b6, org.rita, date(2026, 10, 2))
    activity(b6, org.ivy, date(2026, 10, 4))
    org.b = {"B1": b1, "B2": b2, "B3": b3}
    return org


def build_platforms(org):
    """Four accounts besides the fixture's two (both with an open deal → sales):
    P1 small, no BP → potential; P2 large, 1M BP → market in September, sales in October (an activity on
    10 Oct); P3 small with an open deal → sales; P4 won 1,000 on 1 Jun 2026 → buying (within 365 days)."""
    org.p1 = account(org, "P1", org.rita)
    org.p2 = account(org, "P2", org.rita, size="large", bp="1000000")
    activity(org.p2, org.rita, date(2026, 10, 10))
    org.p3 = account(org, "P3", org.tom)
    opportunity(org, org.p3, date(2026, 8, 1))
    org.p4 = account(org, "P4", org.sara, region=org.south)
    opportunity(org, org.p4, date(2026, 5, 1), status="won", closed_on=date(2026, 6, 1))
    return org
