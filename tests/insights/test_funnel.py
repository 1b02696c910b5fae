"""The funnel report and the summaries behind it: stage sums equal totals, the summaries equal a
rebuild and the live reading, a past `as_of` says what the history says, and scopes follow roles."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kadence.core.visibility import resolve_scope
from kadence.insights.selectors.funnel import Slice, funnel_report
from kadence.pipeline import services, summary
from kadence.pipeline.models import (
    LossReason,
    Opportunity,
    PipelineTotal,
    ProcessTemplate,
    Stage,
    StageChange,
    StageFlow,
    WonTotal,
)
from tests.versions import opp_version

TODAY = timezone.localdate  # called in each test: a run may cross midnight


def _table(model, fields):
    rows = model.objects.filter(count__gt=0).values_list(*fields)
    return sorted((tuple(str(v) if isinstance(v, Decimal) else v for v in row) for row in rows), key=str)


def snapshot():
    return (
        _table(
            PipelineTotal,
            [
                "owner_id",
                "team_id",
                "stage_id",
                "level_id",
                "forecast_category",
                "close_month",
                "count",
                "amount",
                "entered_days",
            ],
        ),
        _table(
            StageFlow,
            [
                "owner_id",
                "team_id",
                "month",
                "kind",
                "from_stage_id",
                "to_stage_id",
                "count",
                "amount",
                "days",
                "cycle_days",
            ],
        ),
        _table(WonTotal, ["owner_id", "team_id", "closed_month", "count", "amount"]),
    )


def normalised(rows):
    """Decimals compared at cents (SQLite sums decimals in floating point)."""
    out = []
    for row in rows:
        out.append(
            tuple(
                str(Decimal(v).quantize(Decimal("0.01")))
                if isinstance(v, str) and v.replace(".", "").replace("-", "").isdigit() and "." in v
                else v
                for v in row
            )
        )
    return out


def deal(org, owner=None, account=None, stage_order=1, amount="100000"):
    owner = owner or org.rita
    account = account or (org.sara_account if owner == org.sara else org.account)
    template = ProcessTemplate.objects.get(is_default=True)
    stage = Stage.objects.get(template=template, order=stage_order)
    return services.opportunity_create(
        owner,
        account_id=account.pk,
        name=f"d{Opportunity.objects.count()}",
        amount=amount,
        stage_id=stage.pk,
        expected_close_date=TODAY() + timedelta(days=40),
    )


@pytest.mark.django_db
def test_services_keep_the_summaries_equal_to_a_rebuild(org, no_gates):
    stages = list(Stage.objects.filter(template=org.opp.template).order_by("order"))
    a, b, c = deal(org), deal(org, stage_order=3, amount="250000.50"), deal(org, owner=org.sara)
    services.opportunity_move_stage(org.rita, a.pk, stage_id=stages[2].pk, version=opp_version(a.pk))
    services.opportunity_move_stage(org.rita, a.pk, stage_id=stages[1].pk, version=opp_version(a.pk))
    services.opportunity_update(
        org.rita,
        b.pk,
        version=Opportunity.objects.get(pk=b.pk).version,
        amount="260000",
        expected_close_date=TODAY() + timedelta(days=120),
        forecast_category="commit",
    )
    services.opportunity_close_won(org.rita, b.pk, version=opp_version(b.pk))
    services.opportunity_reopen(org.rita, b.pk, reason="客户要求补充条款", version=opp_version(b.pk))
    services.opportunity_close_lost(
        org.sara, c.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(c.pk)
    )
    services.opportunity_reassign(org.mona, a.pk, owner_id=org.tom.pk, version=opp_version(a.pk))
    services.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages[-1].pk, version=opp_version(org.opp.pk)
    )  # onto the closing stage: won
    incremental = snapshot()
    summary.rebuild()
    assert normalised(snapshot()[0]) == normalised(incremental[0])
    assert normalised(snapshot()[1]) == normalised(incremental[1])
    assert normalised(snapshot()[2]) == normalised(incremental[2]) and incremental[2]
    assert sum(r[6] for r in incremental[0]) == Opportunity.objects.filter(status="open").count()


@pytest.mark.django_db
def test_the_funnel_from_summaries_equals_the_funnel_from_the_deals(org, no_gates):
    for order in (1, 1, 2, 3, 5):
        deal(org, stage_order=order, amount=str(10000 * order))
    deal(org, owner=org.sara, stage_order=2)
    template = ProcessTemplate.objects.get(is_default=True)
    for user in (org.rita, org.mona, org.dora, org.ada, org.sven):
        scope = resolve_scope(user)
        fast = funnel_report(user, scope, template=template, as_of=TODAY(), today=TODAY())
        slow = funnel_report(
            user, scope, template=template, as_of=TODAY(), today=TODAY(), use_summaries=False
        )
        assert fast.source == "summary" and slow.source == "live"
        assert [
            (r.stage.pk, r.count, r.amount, r.weighted, r.avg_age, r.conversion) for r in fast.stages
        ] == [(r.stage.pk, r.count, r.amount, r.weighted, r.avg_age, r.conversion) for r in slow.stages]
        assert (fast.win_rate, fast.won, fast.lost, fast.velocity) == (
            slow.win_rate,
            slow.won,
            slow.lost,
            slow.velocity,
        )
        open_deals = scope.filter(Opportunity.objects.filter(status="open", template=template))
        assert fast.count == open_deals.count() and sum(r.count for r in fast.stages) == fast.count
        assert fast.amount == sum((o.amount for o in open_deals), Decimal(0))
    assert (
        funnel_report(
            org.rita, resolve_scope(org.rita), template=template, as_of=TODAY(), today=TODAY()
        ).count
        == 6
    )
    assert (
        funnel_report(
            org.sven, resolve_scope(org.sven), template=template, as_of=TODAY(), today=TODAY()
        ).count
        == 2
    )


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.mark.django_db
def test_a_past_as_of_shows_the_funnel_the_history_describes(org, no_gates):
    template = org.opp.template
    stages = list(Stage.objects.filter(template=template).order_by("order"))
    d = deal(org, amount="500000")
    services.opportunity_move_stage(org.rita, d.pk, stage_id=stages[1].pk, version=opp_version(d.pk))
    services.opportunity_close_won(org.rita, d.pk, version=opp_version(d.pk))
    created, moved, won = (
        TODAY() - timedelta(days=30),
        TODAY() - timedelta(days=20),
        TODAY() - timedelta(days=10),
    )
    rows = list(StageChange.objects.filter(opportunity=d).order_by("id"))
    for row, day in zip(rows, (created, moved, won), strict=True):
        StageChange.objects.filter(pk=row.pk).update(changed_at=_at(day))
    Opportunity.objects.filter(pk=d.pk).update(created_at=_at(created))
    StageChange.objects.filter(opportunity=org.opp).update(changed_at=_at(TODAY() - timedelta(days=1)))
    scope = resolve_scope(org.rita)

    def at(day):
        report = funnel_report(org.rita, scope, template=template, as_of=day, today=TODAY())
        return report, {r.stage.order: r.count for r in report.stages if r.count}

    report, counts = at(created + timedelta(days=2))
    assert counts == {1: 1} and report.source == "history"
    assert report.stages[0].avg_age == Decimal("2.0") and report.stages[0].amount == Decimal("500000")
    _report, counts = at(moved)
    assert counts == {2: 1}
    report, counts = at(won + timedelta(days=1))
    assert (
        counts == {}
        and report.won == 1
        and report.win_rate == Decimal(1)
        and report.cycle_days == Decimal("20.0")
    )
    assert at(TODAY() - timedelta(days=1))[1] == {1: 1}  # rita's other deal, "created" yesterday


@pytest.mark.django_db
def test_slices_read_the_deals(org, no_gates):
    from kadence.pipeline.models import ProductLine

    line = ProductLine.objects.create(code="scada", name_zh="监控系统", name_en="SCADA")
    d = deal(org, stage_order=2)
    d.product_lines.add(line)
    report = funnel_report(
        org.rita,
        resolve_scope(org.rita),
        template=d.template,
        as_of=TODAY(),
        today=TODAY(),
        cut=Slice(product_line_id=line.pk),
    )
    assert report.source == "live" and report.count == 1 and report.stages[1].count == 1


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.integers(1, 7), st.integers(1, 9).map(lambda n: n * 1000)), min_size=1, max_size=6)
)
def test_stage_sums_equal_totals(org, no_gates, deals):
    Opportunity.objects.exclude(pk__in=[org.opp.pk, org.sara_opp.pk]).delete()
    summary.rebuild()
    for order, amount in deals:
        deal(org, stage_order=order, amount=str(amount))
    report = funnel_report(
        org.ada, resolve_scope(org.ada), template=org.opp.template, as_of=TODAY(), today=TODAY()
    )
    assert report.count == sum(r.count for r in report.stages) == len(deals) + 2
    assert report.amount == sum((r.amount for r in report.stages), Decimal(0))
    assert report.amount == sum(Decimal(a) for _o, a in deals) + org.opp.amount + org.sara_opp.amount


@pytest.mark.django_db
def test_day_numbers_follow_the_local_calendar_in_python_and_sql(org, no_gates, settings):
    """Ages and cycles count local days: 01:00 in Shanghai is still the previous day in UTC (the age of a
    deal created after 16:00 UTC used to read 1 on the day it was created)."""
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)  # 2026-12-04 01:00 in Shanghai
    local_day = (date(2026, 12, 4) - date(1970, 1, 1)).days
    assert summary.epoch_days(moment) == local_day
    Opportunity.objects.filter(pk=org.opp.pk).update(stage_entered_at=moment)
    row = Opportunity.objects.filter(pk=org.opp.pk).annotate(d=summary.EpochDays("stage_entered_at")).get()
    assert row.d == local_day
    summary.rebuild()
    template = ProcessTemplate.objects.get(is_default=True)
    report = funnel_report(
        org.rita, resolve_scope(org.rita), template=template, as_of=date(2026, 12, 4), today=date(2026, 12, 4)
    )
    assert [r.avg_age for r in report.stages if r.count] == [Decimal("0.0")]
