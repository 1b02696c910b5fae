"""A small group tree with known figures (the worked example of docs/keyaccounts-groups.md):

华能集团 G (rita, BP 1000)            open 100
├─ 华能江苏 S1 (rita, BP 500)          open 200, won 1000 in 2026
│  └─ 华能江苏南京分公司 B1 (tom, BP 100)  won 500 in 2026, won 999 in 2025, lost 77
└─ 华能广东 S2 (sara, BP 300)          open 400, won 300 in 2026
   └─ 华能广东深圳分公司 B2 (rita, BP 50)  open 50
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from kadence.accounts.services import account_create
from kadence.pipeline.models import Opportunity
from kadence.pipeline.services import opportunity_create

YEAR = 2026


def _deal(user, account, amount, status="open", closed_on=None):
    opp = opportunity_create(
        user,
        account_id=account.pk,
        name=f"deal {amount}",
        amount=str(amount),
        expected_close_date=date.today() + timedelta(days=30),
    )
    if status != "open":
        Opportunity.objects.filter(pk=opp.pk).update(status=status, closed_on=closed_on)
    return opp


def build(org) -> SimpleNamespace:
    north, south = org.north.pk, org.south.pk
    ind = org.industry.pk
    w = SimpleNamespace()
    w.g = account_create(org.rita, name="华能集团", industry_id=ind, region_id=north, buying_power="1000")
    w.s1 = account_create(
        org.rita, name="华能江苏", industry_id=ind, region_id=north, buying_power="500", parent_id=w.g.pk
    )
    w.b1 = account_create(
        org.tom, name="华能江苏南京分公司", industry_id=ind, region_id=north, buying_power="100"
    )
    w.s2 = account_create(org.sara, name="华能广东", industry_id=ind, region_id=south, buying_power="300")
    w.b2 = account_create(
        org.rita, name="华能广东深圳分公司", industry_id=ind, region_id=north, buying_power="50"
    )
    # parents the users could not set themselves (tom does not see S1, rita does not see S2)
    type(w.g).objects.filter(pk=w.b1.pk).update(parent=w.s1)
    type(w.g).objects.filter(pk=w.s2.pk).update(parent=w.g)
    type(w.g).objects.filter(pk=w.b2.pk).update(parent=w.s2)
    _deal(org.rita, w.g, 100)
    _deal(org.rita, w.s1, 200)
    _deal(org.rita, w.s1, 1000, "won", date(YEAR, 3, 1))
    _deal(org.tom, w.b1, 500, "won", date(YEAR, 6, 30))
    _deal(org.tom, w.b1, 999, "won", date(YEAR - 1, 12, 31))
    _deal(org.tom, w.b1, 77, "lost", date(YEAR, 2, 1))
    _deal(org.sara, w.s2, 400)
    _deal(org.sara, w.s2, 300, "won", date(YEAR, 1, 1))
    _deal(org.rita, w.b2, 50)
    for name in ("g", "s1", "b1", "s2", "b2"):
        getattr(w, name).refresh_from_db()
    return w
