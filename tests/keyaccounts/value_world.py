"""Known figures for the value tests (issue 15 items 2–4), the year 2026 (and 2025 for the movements).

- G = org.account (rita, north-1; Account.buying_power 5M, an open deal): BP for 2026 entered as 2M;
  won 1.2M in 2026 → SOW 60 % → R1. In 2025 (no entry: the 5M fallback) won 100K → SOW 2 % → A1.
- B (rita, BP 800K, parent G): won 100K in 2026 → SOW 12.5 % → D2 (2025: nothing → A2).
- C (tom, BP 300K, parent B): nothing won → A3.
- sara's account (south-1, BP 0): not placed.
Group G: units G, B, C; covered G and B → SOA 2/3; revenue 1.3M, BP 3.1M, remaining 1.8M."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from kadence.accounts.models import Account
from kadence.accounts.services import account_create
from kadence.keyaccounts.value import services
from kadence.pipeline.models import Opportunity

YEAR = 2026


def won(org, account, owner, amount, closed_on):
    base = org.opp
    return Opportunity.objects.create(
        name=f"{account.name} {amount}",
        account=account,
        owner=owner,
        team=owner.org_unit,
        template=base.template,
        stage=base.stage,
        level=base.level,
        amount=D(amount),
        expected_close_date=closed_on,
        probability=base.probability,
        forecast_category="booked",
        status="won",
        closed_on=closed_on,
    )


def build(org, *, compute: bool = True):
    org.g = org.account
    org.b = account_create(
        org.rita,
        name="江苏电力南京分公司",
        industry_id=org.industry.pk,
        region_id=org.north.pk,
        buying_power="800000",
    )
    org.c = account_create(
        org.mona,
        name="南京供电所",
        industry_id=org.industry.pk,
        region_id=org.north.pk,
        buying_power="300000",
        owner_id=org.tom.pk,
    )
    Account.objects.filter(pk=org.b.pk).update(parent=org.g)
    Account.objects.filter(pk=org.c.pk).update(parent=org.b)
    services.buying_power_set(org.rita, org.g.pk, year=YEAR, amount="2000000", note="annual report")
    won(org, org.g, org.rita, "1200000", date(2026, 3, 1))
    won(org, org.g, org.rita, "100000", date(2025, 6, 1))
    won(org, org.b, org.rita, "100000", date(2026, 5, 1))
    if compute:
        services.value_compute(org.ada, year=2025)
        services.value_compute(org.ada, year=YEAR)
    return org
