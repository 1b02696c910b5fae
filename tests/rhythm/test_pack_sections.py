"""The 1x1 pack's sections on known data (issue 13 §6): funnel changes from the "what changed" report,
moved / slipped / stalled deals, forecast vs last submission, V值 and quota, expense warnings; the
registry; the query count of the whole pack."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy

from kadence.insights.selectors.changes import pipeline_changes
from kadence.insights.selectors.stalled import stalled_report
from kadence.rhythm.pack import sections as registry
from kadence.rhythm.pack.selectors import pack
from tests.rhythm.pack_data import rita_week

pytestmark = pytest.mark.django_db


def section(found, key):
    view = next(v for v in found.sections if v.key == key)
    assert not view.error, view.error
    return view.context


def test_every_section_on_known_data(org, no_gates):
    data = rita_week(org)
    found = pack(org.mona, org.rita.pk, data.today)
    assert found.week_start == data.week and found.can_write

    changes = section(found, "changes")
    bars = {b["code"]: b for b in changes["bars"]}
    assert bars["moved_forward"]["count"] == 1 and bars["pushed_out"]["count"] == 1
    # the very figures of the "what changed" report for the same window
    report = pipeline_changes(
        org.mona, owner_id=org.rita.pk, date_from=data.week - timedelta(days=1), date_to=data.today
    )
    assert [(b.code, b.count, b.amount) for b in report.bars] == [
        (b["code"], b["count"], b["amount"]) for b in changes["bars"]
    ]

    deals = section(found, "deals")
    assert [d["id"] for d in deals["moved_forward"]["deals"]] == [org.opp.pk]
    assert [d["id"] for d in deals["slipped"]["deals"]] == [org.opp.pk]
    slipped = deals["slipped"]["deals"][0]
    assert (
        slipped["close_after"] == data.today + timedelta(days=120)
        and slipped["close_before"] < slipped["close_after"]
    )
    assert deals["moved_back"]["count"] == 0
    assert deals["stalled"]["count"] == stalled_report(org.mona, owner_id=org.rita.pk).counts["total"]

    forecast = section(found, "forecast")
    rows = {r["code"]: r for r in forecast["rows"]}
    assert forecast["submission"]["id"] == data.submission.pk
    assert rows["booked"]["now"] == Decimal("400000") == rows["booked"]["submitted"]
    assert (
        rows["pipeline"]["now"] - rows["pipeline"]["submitted"]
        == Decimal("50000")
        == rows["pipeline"]["delta"]
    )

    quota = section(found, "quota")
    assert quota["quota"] == Decimal("1000000")
    assert quota["booked"] == Decimal("400000")
    assert quota["remaining_quota"] == Decimal("600000")
    assert quota["remaining_opportunity"] == Decimal("350000")
    assert quota["v"] == Decimal("0.58") and quota["below_one"]

    expenses = section(found, "expenses")
    assert [a["id"] for a in expenses["alerts"]] == [data.open_deal.pk]


def test_stalled_deal_is_listed(org, no_gates):
    from kadence.pipeline.models import Opportunity

    Opportunity.objects.filter(pk=org.opp.pk).update(
        stage_entered_at=org.opp.created_at - timedelta(days=400)
    )
    found = pack(org.mona, org.rita.pk, org.opp.created_at.date())
    deals = section(found, "deals")
    assert org.opp.pk in [d["id"] for d in deals["stalled"]["deals"]]


def test_a_week_out_of_the_changes_window_keeps_the_rest_of_the_pack(org):
    found = pack(org.mona, org.rita.pk, org.opp.created_at.date() - timedelta(days=200))
    by_key = {v.key: v for v in found.sections}
    assert by_key["changes"].error and by_key["deals"].error
    assert not by_key["quota"].error


def test_registry_takes_another_part_section(org):
    def context(rep, week_start, viewer):
        return {"rep": rep.username, "week": week_start}

    registry.register(
        registry.Section("extra", gettext_lazy("Extra"), "rhythm/pack/_expenses.html", context, order=1)
    )
    try:
        found = pack(org.rita, org.rita.pk, org.opp.created_at.date())
        assert found.sections[0].key == "extra"
        assert found.sections[0].context["rep"] == "rita"
    finally:
        registry.unregister("extra")


def test_pack_query_count_does_not_grow_with_deals(org, no_gates, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kadence.pipeline import services
    from tests.versions import opp_version

    data = rita_week(org)
    # 36 on SQLite: a constant, whatever the rep holds (28 for the pack's own sections, 5 for activities
    # vs quota, 2 for plan vs actual, 1 for the 1-15-30 items)
    with django_assert_max_num_queries(36):
        pack(org.mona, org.rita.pk, data.today)
    with CaptureQueriesContext(connection) as before:
        pack(org.mona, org.rita.pk, data.today)
    stages = list(org.opp.template.stages.order_by("order"))
    for n in range(6):
        opp = services.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"扩容{n}",
            amount="1000",
            expected_close_date=data.today,
        )
        services.opportunity_move_stage(org.rita, opp.pk, stage_id=stages[1].pk, version=opp_version(opp.pk))
    with CaptureQueriesContext(connection) as after:
        found = pack(org.mona, org.rita.pk, data.today)
    assert len(after.captured_queries) == len(before.captured_queries)
    assert next(v for v in found.sections if v.key == "deals").context["moved_forward"]["count"] >= 1
