"""Known figures for the importance tests (issue 15 §5–6), as of 15 Oct 2026.

rita's account 国网江苏电力 (BP 5,000,000) won 1,200,000 on 10 Jun 2026 (the last 12 months), 800,000 on
1 Aug 2025 (the 12 months before: growth 50 %) and 100,000 on 1 Mar 2021 (the first: 5.6 years a
customer); years with a won deal 2021, 2025, 2026 → 2 in a row. Computed scores by the default bands:
sales 1.2M → 4, growth 50 % → 5, share 24 % → 2, loyalty 5.6 → 4, continuity 2 → 2:
(20×4 + 15×5 + 10×2 + 5×4 + 5×2) / (5 × 55) × 100 = 205 / 275 × 100 = 74.55 (entered criteria not scored).
With the owner's profit 4, competitive 3, market position 4, industry influence 2:
(80 + 60 + 75 + 20 + 30 + 40 + 20 + 20 + 10) / 5 = 355 / 5 = 71.00, a profit contributor."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from tests.performance.kpi_world import deal

AS_OF = date(2026, 10, 15)
ENTERED = {"profit": 4, "competitive": 3, "market_position": 4, "industry_influence": 2}


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: AS_OF)
    return AS_OF


def build(org):
    deal(org, org.rita, "1200000", date(2026, 6, 10))
    deal(org, org.rita, "800000", date(2025, 8, 1))
    deal(org, org.rita, "100000", date(2021, 3, 1))
    return org
