"""Forecast report, submissions and adjustments, snapshots, the rolling order forecast and accuracy
(METHODOLOGY §9), with the personas of conftest: rita & tom (reps, team north-1), nick (north-2),
sara (south-1), mona (manager north-1), sam (manager south-1), dora (director north), sven (south)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.utils import timezone

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.pipeline.models import Opportunity
from kadence.planning.models import ForecastSnapshot, ForecastSubmission, OrderForecast
from kadence.planning.selectors.forecast import (
    forecast_accuracy,
    forecast_report,
    forecast_submission_list,
    order_forecast_report,
)
from kadence.planning.services.forecast import (
    forecast_adjust,
    forecast_snapshot_take,
    forecast_submit,
    order_forecast_save,
)

TODAY = timezone.localdate  # called in each test: a run may cross midnight
NEXT_Q2 = date(TODAY().year + 1, 4, 1)  # a period that is not over, far from the fixture's deals
IN_Q2 = date(TODAY().year + 1, 5, 15)


def deal(org, owner, amount, close=IN_Q2, category="commit", status="open", closed_on=None, probability=None):
    """A deal written directly (not through the services), so the summaries are rebuilt after it."""
    from kadence.pipeline.summary import rebuild

    base = org.opp
    created = Opportunity.objects.create(
        name=f"{owner.username} {amount} {category}",
        account=org.account,
        owner=owner,
        team=owner.org_unit,
        template=base.template,
        stage=base.stage,
        level=base.level,
        amount=D(amount),
        expected_close_date=close,
        probability=D(probability) if probability is not None else base.probability,
        forecast_category=category,
        status=status,
        closed_on=closed_on,
    )
    rebuild()
    return created


@pytest.fixture
def book(org):
    """Deals closing in next year's Q2 (the fixture's own deals are omitted so that sums are exact)."""
    Opportunity.objects.filter(pk__in=[org.opp.pk, org.sara_opp.pk]).update(forecast_category="omitted")
    deal(org, org.rita, "100000", category="commit", probability="90")
    deal(org, org.rita, "50000", category="best_case", probability="50")
    deal(org, org.rita, "20000", category="booked", probability="90")  # open "booked" counts as commit
    deal(org, org.rita, "70000", category="omitted", probability="50")
    deal(org, org.rita, "999999", close=date(TODAY().year + 1, 7, 1), category="commit")  # next period
    deal(org, org.tom, "40000", category="pipeline", probability="10")
    deal(org, org.tom, "30000", category="next_quarter", probability="25")
    deal(org, org.nick, "60000", category="commit", probability="75")
    deal(org, org.sara, "80000", category="commit", probability="90")
    deal(org, org.rita, "5000", category="commit", status="lost", closed_on=TODAY())
    return org


def report(user, **kw):
    kw.setdefault("period_start", NEXT_Q2)
    return forecast_report(user, as_of=kw.pop("as_of", TODAY()), **kw)


# --- the report and who sees what -------------------------------------------------------------------------


def test_rep_sees_only_their_own_forecast(book):
    r = report(book.rita)
    assert [s.user for s in r.sellers] == [book.rita]
    assert r.totals.commit.amount == D("120000") and r.totals.commit.count == 2
    assert r.totals.best_case.amount == D("50000")
    assert r.totals.weighted == D("133000.00")  # 100000×0.9 + 50000×0.5 + 20000×0.9
    assert r.teams == [] and r.regions == [] and r.probabilities_used == "configured"
    assert r.can_submit and r.period.label == f"{TODAY().year + 1}-Q2"
    with pytest.raises(NotFound):
        report(book.rita, owner_id=book.tom.pk)
    with pytest.raises(NotFound):
        report(book.rita, unit_id=book.n1.pk)


def test_manager_sees_their_team_director_their_regions(book):
    mona = report(book.mona)
    assert {s.user.username for s in mona.sellers} == {"rita", "tom"}
    assert [t.unit for t in mona.teams] == [book.n1] and mona.regions == []
    assert mona.totals.open_amount == D("240000")  # 120000 + 50000 + 40000 + 30000
    assert not mona.can_submit  # her own forecast: choose herself as the scope
    with pytest.raises(NotFound):
        report(book.mona, owner_id=book.nick.pk)
    dora = report(book.dora)
    assert {s.user.username for s in dora.sellers} == {"rita", "tom", "nick"}
    assert [t.unit for t in dora.teams] == [book.n1, book.n2]
    assert [r.unit for r in dora.regions] == [book.north]
    assert dora.regions[0].totals.commit.amount == D("180000")
    with pytest.raises(NotFound):
        report(book.dora, unit_id=book.s1.pk)
    sven = report(book.sven)
    assert [s.user for s in sven.sellers] == [book.sara] and sven.totals.commit.amount == D("80000")
    everything = report(book.ada)
    assert everything.totals.commit.amount == D("260000")


def test_a_manager_submits_her_own_forecast_by_choosing_herself(book):
    own = report(book.mona, owner_id=book.mona.pk)
    assert [s.user for s in own.sellers] == [book.mona] and own.can_submit and own.my_record is None
    forecast_submit(book.mona, period_start=NEXT_Q2, forecast="10")
    assert report(book.mona, owner_id=book.mona.pk).my_record.forecast == D("10")
    assert not report(
        book.rita, period_start=date(TODAY().year - 1, 1, 1)
    ).can_submit  # a period that is over


def test_booked_is_won_in_the_period_and_buckets_count_from_as_of(book):
    as_of = date(TODAY().year + 1, 5, 20)
    deal(book, book.rita, "10000", category="commit", status="won", closed_on=date(TODAY().year + 1, 5, 2))
    deal(book, book.rita, "7000", category="commit", status="won", closed_on=date(TODAY().year + 1, 3, 31))
    r = report(book.rita, as_of=as_of)
    assert r.totals.booked.amount == D("10000") and r.totals.booked.count == 1
    assert r.totals.commit_call == D("130000")
    assert r.booked_to_date.amount == D("17000")  # this year up to as_of
    by_code = {b.code: b.totals for b in r.buckets}
    # IN_Q2 (15 May) is before as_of: overdue, still expected soon → 0-3; 1 July → 0-3 too
    assert by_code["0-3"].commit.amount == D("1119999")
    assert by_code["3-6"].open_count == 0
    later = report(book.rita, as_of=date(TODAY().year + 1, 3, 20))  # buckets: Mar–May, Jun–Aug, …
    later_codes = {b.code: b.totals.open_amount for b in later.buckets}
    assert later_codes == {"0-3": D("170000"), "3-6": D("999999"), "6-9": 0, "9-12": 0}


def test_report_query_count_does_not_grow_with_deals_or_sellers(book, django_assert_max_num_queries):
    report(book.dora)
    for n in range(20):
        deal(book, [book.rita, book.tom, book.nick][n % 3], str(1000 + n))
    forecast_submit(book.rita, period_start=NEXT_Q2)
    with django_assert_max_num_queries(8):  # +1: open deals from the summary, won ones from the deals
        r = report(book.dora)
    assert len(r.sellers) == 3


# --- submissions and adjustments ----------------------------------------------------------------------------


def test_submission_defaults_to_booked_plus_commit_and_is_snapshotted(book):
    sub = forecast_submit(book.rita, period_start=NEXT_Q2)
    assert sub.kind == "submission" and sub.forecast == D("120000") and sub.commit == D("120000")
    assert sub.best_case == D("50000") and sub.unit == book.n1 and sub.weighted == D("133000.00")
    assert {d["name"] for d in sub.deals} == {
        "rita 100000 commit",
        "rita 50000 best_case",
        "rita 20000 booked",
    }
    snap = ForecastSnapshot.objects.get(source="submission", user=book.rita)
    assert snap.forecast == D("120000") and snap.commit == D("120000") and snap.open_count == 3
    called = forecast_submit(book.rita, period_start=IN_Q2, forecast="150000", reason="big one")
    assert called.forecast == D("150000") and called.period_start == NEXT_Q2
    r = report(book.rita)
    assert r.sellers[0].record.submission == called and r.sellers[0].call == D("150000")
    assert r.my_record.forecast == D("150000")


def test_submission_rules(book):
    with pytest.raises(ValidationFailed):
        forecast_submit(book.rita, period_start=date(TODAY().year - 1, 1, 1))  # over
    with pytest.raises(ValidationFailed):
        forecast_submit(book.rita, period_start=NEXT_Q2, forecast="-1")
    with pytest.raises(ValidationFailed):
        forecast_submit(book.rita, period_kind="week", period_start=NEXT_Q2)


def test_manager_adjusts_with_a_reason_director_sees_both(book):
    sub = forecast_submit(book.rita, period_start=NEXT_Q2, forecast="120000")
    with pytest.raises(ValidationFailed) as missing:
        forecast_adjust(book.mona, sub.pk, forecast="90000", reason="  ")
    assert "reason" in missing.value.errors
    adj = forecast_adjust(book.mona, sub.pk, forecast="90000", reason="Deal X slips to Q3")
    assert adj.kind == "adjustment" and adj.adjusts == sub and adj.submitted_by == book.mona
    assert adj.user == book.rita and adj.commit == sub.commit
    dora = report(book.dora)
    rita = next(s for s in dora.sellers if s.user == book.rita)
    tom = next(s for s in dora.sellers if s.user == book.tom)
    assert rita.record.submission.forecast == D("120000") and rita.record.adjustment.forecast == D("90000")
    assert rita.call == D("90000") and rita.can_adjust
    assert tom.record is None and tom.call == D("0")  # booked + commit of tom: none
    n1 = next(t for t in dora.teams if t.unit == book.n1)
    assert n1.call == D("90000") and (n1.submitted, n1.sellers) == (1, 2)
    assert dora.regions[0].call == D("150000")  # + nick's booked + commit 60000
    assert dora.call == D("150000")
    history = forecast_submission_list(book.dora, period_start=NEXT_Q2, as_of=TODAY())
    assert [h.kind for h in history.items] == ["adjustment", "submission"]
    assert ForecastSnapshot.objects.filter(source="submission", user=book.rita).count() == 2
    # a newer submission replaces the adjusted one
    newer = forecast_submit(book.rita, period_start=NEXT_Q2, forecast="130000")
    assert next(s for s in report(book.mona).sellers if s.user == book.rita).call == D("130000")
    with pytest.raises(Conflict):
        forecast_adjust(book.mona, sub.pk, forecast="1", reason="stale")
    forecast_adjust(book.dora, newer.pk, forecast="125000", reason="director's view")


def test_who_may_not_adjust(book):
    sub = forecast_submit(book.rita, period_start=NEXT_Q2)
    with pytest.raises(PermissionDenied):
        forecast_adjust(book.rita, sub.pk, forecast="1", reason="mine")  # a rep, own forecast
    with pytest.raises(NotFound):
        forecast_adjust(book.tom, sub.pk, forecast="1", reason="teammate")  # a rep cannot see it
    with pytest.raises(NotFound):
        forecast_adjust(book.sam, sub.pk, forecast="1", reason="other team")
    with pytest.raises(NotFound):
        forecast_adjust(book.sven, sub.pk, forecast="1", reason="other region")
    own = forecast_submit(book.mona, period_start=NEXT_Q2)
    with pytest.raises(PermissionDenied):
        forecast_adjust(book.mona, own.pk, forecast="1", reason="my own")  # a manager, own forecast
    forecast_adjust(book.dora, own.pk, forecast="1", reason="director adjusts the manager")
    assert ForecastSubmission.objects.filter(kind="adjustment").count() == 1
    assert next(s for s in report(book.mona).sellers if s.user == book.rita).can_adjust


# --- scheduled snapshots ---------------------------------------------------------------------------------


def test_snapshot_command_is_idempotent_per_day(book, django_assert_max_num_queries):
    forecast_submit(book.rita, period_start=NEXT_Q2, forecast="111000")
    day = date(TODAY().year + 1, 4, 20)
    with django_assert_max_num_queries(8):
        run = forecast_snapshot_take(taken_on=day)
    scheduled = ForecastSnapshot.objects.filter(source="scheduled", taken_on=day)
    sellers = scheduled.filter(user__isnull=False)
    assert {s.user.username for s in sellers} == {"rita", "tom", "nick", "sara"}
    assert scheduled.filter(unit__isnull=False).count() == 6 and run.created == 10 and run.skipped == 0
    rita = sellers.get(user=book.rita)
    assert (rita.commit, rita.best_case, rita.forecast, rita.open_count) == (
        D("120000"),
        D("50000"),
        D("111000"),
        3,
    )
    assert sellers.get(user=book.tom).forecast is None
    n1 = scheduled.get(unit=book.n1)
    assert n1.commit == D("120000") and n1.next_quarter == D("30000") and n1.forecast == D("111000")
    north = scheduled.get(unit=book.north)
    assert north.commit == D("180000") and north.forecast == D("171000")  # 111000 + nick's 60000
    assert scheduled.get(unit=book.south).forecast is None  # nobody there submitted
    assert scheduled.get(unit=book.company).commit == D("260000")

    deal(book, book.rita, "5000")
    call_command("forecast_snapshot", "--date", day.isoformat(), stdout=open("/dev/null", "w"))
    assert ForecastSnapshot.objects.filter(source="scheduled", taken_on=day).count() == 10
    assert ForecastSnapshot.objects.get(source="scheduled", taken_on=day, user=book.rita).commit == D(
        "120000"
    )
    again = forecast_snapshot_take(taken_on=day)
    assert (again.created, again.skipped) == (0, 10)
    forecast_snapshot_take(taken_on=day + timedelta(days=1))
    assert ForecastSnapshot.objects.filter(source="scheduled").count() == 20


def test_snapshot_command_output_and_bad_date(book, capsys):
    from django.core.management.base import CommandError

    call_command("forecast_snapshot", "--date", "2030-02-03", "--period-kind", "month")
    assert "2030-02" in capsys.readouterr().out
    assert ForecastSnapshot.objects.filter(period_kind="month", period_start=date(2030, 2, 1)).exists()
    with pytest.raises(CommandError):
        call_command("forecast_snapshot", "--date", "03/02/2030")


# --- accuracy --------------------------------------------------------------------------------------------


def snap(
    taken_on, period_start, *, user=None, unit=None, forecast=None, commit="0", booked="0", source="scheduled"
):
    return ForecastSnapshot.objects.create(
        source=source,
        taken_on=taken_on,
        user=user,
        unit=unit,
        period_kind="quarter",
        period_start=period_start,
        forecast=forecast,
        commit=D(commit),
        booked=D(booked),
    )


def test_accuracy_uses_the_snapshot_nearest_the_period_start(book, django_assert_max_num_queries):
    q1, q2 = date(2025, 1, 1), date(2025, 4, 1)
    snap(date(2024, 12, 31), q1, user=book.rita, forecast=D("110"), source="submission")
    snap(date(2025, 1, 5), q1, user=book.rita, forecast=D("999"))  # after the start: not nearest
    snap(date(2025, 4, 3), q2, user=book.rita, commit="80")  # no forecast of record: booked + commit
    snap(date(2025, 5, 1), q2, user=book.rita, forecast=D("5"))
    snap(date(2025, 1, 1), q1, unit=book.n1, forecast=D("150"))
    snap(date(2025, 4, 1), q2, unit=book.n1, forecast=D("0"))
    deal(book, book.rita, "100", status="won", closed_on=date(2025, 2, 10))
    deal(book, book.tom, "50", status="won", closed_on=date(2025, 3, 31))
    deal(book, book.nick, "999", status="won", closed_on=date(2025, 2, 1))  # another team

    with django_assert_max_num_queries(8):
        acc = forecast_accuracy(book.rita, as_of=date(2025, 7, 15), count=2)
    assert [p.start for p in acc.periods] == [q1, q2]
    (p1, p2) = acc.total.points
    assert (p1.forecast, p1.actual, p1.error) == (D("110"), D("100"), D("0.1"))
    assert (p2.forecast, p2.actual, p2.error, p2.difference) == (
        D("80"),
        D("0"),
        None,
        D("80"),
    )  # zero actual
    assert acc.total.summary.scored == 1 and acc.total.summary.bias == D("0.1")
    assert acc.teams == [] and [s.user for s in acc.sellers] == [book.rita]

    mona = forecast_accuracy(book.mona, as_of=date(2025, 7, 15), count=2)
    assert [t.unit for t in mona.teams] == [book.n1]
    (t1, t2) = mona.total.points
    assert (t1.forecast, t1.actual, t1.error) == (D("150"), D("150"), D("0"))
    assert (t2.forecast, t2.actual, t2.error) == (D("0"), D("0"), D("0"))  # nothing forecast, nothing won
    assert {s.user.username for s in mona.sellers} == {"rita", "tom"}
    tom = next(s for s in mona.sellers if s.user == book.tom)
    assert tom.points[0].forecast is None and tom.points[0].actual == D("50")
    with pytest.raises(NotFound):
        forecast_accuracy(book.rita, owner_id=book.tom.pk, as_of=date(2025, 7, 15))
    dora = forecast_accuracy(book.dora, as_of=date(2025, 7, 15), count=2)
    assert dora.total.points[0].actual == D("1149")
    assert [t.unit for t in dora.teams] == [book.north, book.n1, book.n2]


def test_accuracy_actuals_from_the_won_summary_equal_the_deals(book):
    """The won amounts per seller, team and period come from WonTotal; they must equal the won deals'
    own, for every scope and kind of period (deals won on a period's first and last day, a deal moved
    to another owner after it was won, a reopened one)."""
    from kadence.core.visibility import resolve_scope
    from kadence.domain.periods import periods_before
    from kadence.planning.selectors.forecast import forecast_period, won_per_period

    deal(book, book.rita, "100.10", status="won", closed_on=date(2025, 1, 1))
    deal(book, book.rita, "200.20", status="won", closed_on=date(2025, 3, 31))
    deal(book, book.tom, "50", status="won", closed_on=date(2025, 4, 30))
    moved = deal(book, book.nick, "999", status="won", closed_on=date(2025, 2, 1))
    Opportunity.objects.filter(pk=moved.pk).update(owner=book.tom, team=book.tom.org_unit)
    reopened = deal(book, book.sara, "70", status="won", closed_on=date(2025, 5, 5))
    Opportunity.objects.filter(pk=reopened.pk).update(status="open", closed_on=None)
    from kadence.pipeline.summary import rebuild

    rebuild()

    def key(rows):
        return sorted((r["owner_id"], r["team_id"], str(r["period"]), r["total"]) for r in rows)

    for kind in ("month", "quarter", "year"):
        periods = periods_before(forecast_period(kind, None, date(2025, 7, 15)), 8)
        start, end = periods[0].start, periods[-1].end
        for user in (book.ada, book.dora, book.mona, book.rita, book.tom):
            scope = resolve_scope(user)
            reference = key(won_per_period(scope, kind, start, end, summary=False))
            assert key(won_per_period(scope, kind, start, end)) == reference, (kind, user)
    assert key(won_per_period(resolve_scope(book.ada), "quarter", date(2025, 1, 1), date(2025, 6, 30))) != []


# --- rolling 4-week order forecast ---------------------------------------------------------------------------


def test_order_forecast_entered_for_the_next_four_weeks(book):
    monday = TODAY() - timedelta(days=TODAY().weekday())
    weeks = [monday + timedelta(weeks=n) for n in range(1, 5)]
    order_forecast_save(book.rita, {weeks[0]: "100", weeks[1]: "200"})
    order_forecast_save(book.rita, {weeks[0]: "150", weeks[3]: "50"})
    rows = OrderForecast.objects.filter(user=book.rita, made_on=monday).order_by("week_start")
    assert [(r.week_start, r.amount) for r in rows] == [
        (weeks[0], D("150")),
        (weeks[1], D("200")),
        (weeks[3], D("50")),
    ]
    with pytest.raises(ValidationFailed):
        order_forecast_save(book.rita, {monday: "10"})  # this week is not ahead
    with pytest.raises(ValidationFailed):
        order_forecast_save(book.rita, {weeks[0]: "-5"})
    order_forecast_save(book.tom, {weeks[0]: "7"})
    mine = order_forecast_report(book.rita, as_of=TODAY())
    assert mine.can_enter and mine.mine == {weeks[0]: D("150"), weeks[1]: D("200"), weeks[3]: D("50")}
    assert mine.upcoming == [D("150"), D("200"), D("0"), D("50")]
    team = order_forecast_report(book.mona, as_of=TODAY())
    assert not team.can_enter and team.upcoming[0] == D("157") and len(team.sellers) == 2
    assert order_forecast_report(book.sam, as_of=TODAY()).upcoming == [D("0")] * 4


def test_order_forecast_accuracy_per_lead(book, django_assert_max_num_queries):
    as_of = date(2025, 3, 5)  # a Wednesday; completed weeks end on Sunday 2 March
    w1, w2 = date(2025, 2, 17), date(2025, 2, 24)
    OrderForecast.objects.create(user=book.rita, made_on=date(2025, 2, 10), week_start=w1, amount=D("100"))
    OrderForecast.objects.create(user=book.tom, made_on=date(2025, 2, 10), week_start=w1, amount=D("20"))
    OrderForecast.objects.create(user=book.rita, made_on=date(2025, 2, 3), week_start=w1, amount=D("300"))
    OrderForecast.objects.create(user=book.rita, made_on=date(2025, 2, 17), week_start=w2, amount=D("50"))
    OrderForecast.objects.create(user=book.sara, made_on=date(2025, 2, 10), week_start=w1, amount=D("999"))
    deal(book, book.rita, "100", status="won", closed_on=date(2025, 2, 23))  # Sunday of w1
    deal(book, book.tom, "50", status="won", closed_on=date(2025, 2, 17))
    with django_assert_max_num_queries(6):
        team = order_forecast_report(book.mona, as_of=as_of, weeks=2)
    week1, week2 = team.accuracy
    assert week1.week_start == w1 and week1.actual == D("150")
    assert [p.forecast for p in week1.points] == [D("120"), D("300"), None, None]
    assert week1.points[0].error == D("-0.2") and week1.points[1].error == D("1")
    assert week2.actual == D("0") and week2.points[0].forecast == D("50") and week2.points[0].error is None
    assert team.by_lead[1].bias == D("-0.2") and team.by_lead[1].scored == 1
    rita = order_forecast_report(book.rita, as_of=as_of, weeks=2)
    assert rita.accuracy[0].points[0].forecast == D("100") and rita.accuracy[0].actual == D("100")
