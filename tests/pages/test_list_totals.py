"""The opportunity list's totals at scale (issue 10 §2/§4): the open deals' totals come from the
summary and equal the deals summed one by one; a list larger than the exact-count limit is labelled
"about" and shows no amounts rather than summing a million rows on every view."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from kadence.core.visibility import visible_opportunities
from kadence.pipeline.selectors import OpportunityFilters, opportunity_list, opportunity_totals


@pytest.mark.parametrize("persona", ["ada", "mona", "rita"])
def test_open_totals_from_the_summary_equal_the_direct_sum(org, make_opps, persona):
    make_opps(4)
    make_opps(3, owner=org.sara, account=org.sara_account)
    user = getattr(org, persona)
    from_summary = opportunity_totals(user, OpportunityFilters(status="open"))
    direct = opportunity_totals(user, OpportunityFilters(status="open", q=""), page=None)
    by_hand = visible_opportunities(user).filter(status="open")
    assert from_summary["count"] == by_hand.count() == direct["count"]
    assert from_summary["amount"] == sum(o.amount for o in by_hand)
    assert from_summary["exact"] and direct["exact"]


def test_a_list_past_the_exact_limit_is_labelled_about_and_shows_no_amounts(org, make_opps, login, settings):
    make_opps(6)
    settings.KADENCE_EXACT_COUNT_LIMIT = 3
    page = opportunity_list(org.ada, OpportunityFilters())
    totals = opportunity_totals(org.ada, OpportunityFilters(), page=page)
    body = login(org.ada).get(reverse("opportunity_list")).content.decode()
    if connection.vendor == "postgresql":
        assert not page.count_exact and totals == {
            "count": page.count,
            "amount": None,
            "weighted": None,
            "exact": False,
        }
        assert "about" in body and "Narrow the list" in body
    else:  # SQLite has no estimate: it counts, exactly
        assert page.count_exact and totals["exact"] and totals["count"] == 8
        assert "Narrow the list" not in body
    settings.KADENCE_EXACT_COUNT_LIMIT = 10_000
    body = login(org.ada).get(reverse("opportunity_list")).content.decode()
    assert "Narrow the list" not in body
