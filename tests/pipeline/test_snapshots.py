"""Pipeline snapshots (issue 11 §3): every snapshot equals the history reconstructed independently (in
Python, row by row) for every day, also after backdated writes and reassignments; the read "nearest
snapshot plus the changes since" equals the history at any day; the command writes, skips, checks and
repairs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kadence.core.visibility import Scope
from kadence.pipeline import changes, snapshots
from kadence.pipeline.models import (
    DailyFlow,
    Opportunity,
    PipelineSnapshot,
    SnapshotDeal,
    SnapshotPolicy,
    SnapshotTotal,
    StageChange,
)
from tests.planning.test_forecast_point_in_time import history  # noqa: F401 - the fixture

ENTERS = {str(kind) for kind in StageChange.TRANSITIONS}


def _day_number(moment) -> int:
    return (timezone.localtime(moment).date() - snapshots.EPOCH).days


def _by_hand(day) -> dict[int, tuple]:
    """The deals open at the end of `day`, from the history row by row (no SQL grouping)."""
    end = snapshots.end_of(day)
    found: dict[int, tuple] = {}
    rows: dict[int, list[StageChange]] = {}
    for row in StageChange.objects.order_by("id"):
        if row.changed_at < end:
            rows.setdefault(row.opportunity_id, []).append(row)
    for opp_id, seen in rows.items():
        last = seen[-1]
        if last.status != Opportunity.Status.OPEN:
            continue
        entered = [r for r in seen if r.kind in ENTERS][-1]
        found[opp_id] = (
            last.pk,
            last.to_stage_id,
            last.to_level_id,
            Decimal(last.probability).normalize(),
            Decimal(last.amount).normalize(),
            last.currency,
            last.expected_close_date,
            last.forecast_category,
            last.owner_id,
            last.team_id,
            _day_number(entered.changed_at),
        )
    return found


def _held(snap) -> dict[int, tuple]:
    return {
        r.opportunity_id: (
            r.change_id,
            r.stage_id,
            r.level_id,
            Decimal(r.probability).normalize(),
            Decimal(r.amount).normalize(),
            r.currency,
            r.expected_close_date,
            r.forecast_category,
            r.owner_id,
            r.team_id,
            r.entered_day,
        )
        for r in SnapshotDeal.objects.filter(snapshot=snap)
    }


def _totals_by_hand(deals: dict[int, tuple]) -> dict[tuple, tuple]:
    """The deals of _by_hand summed per (team, stage, level) in Python: count, amount, weighted
    (amount × probability ÷ 100, exact), Σ entered day."""
    sums: dict[tuple, list] = {}
    for v in deals.values():
        into = sums.setdefault((v[9], v[1], v[2]), [0, Decimal(0), Decimal(0), 0])
        into[0] += 1
        into[1] += v[4]
        into[2] += v[4] * v[3] / 100
        into[3] += v[10]
    return {k: (n, a.normalize(), w.normalize(), d) for k, (n, a, w, d) in sums.items()}


def _totals_held(snap) -> dict[tuple, tuple]:
    return {
        (t.team_id, t.stage_id, t.level_id): (
            t.count,
            Decimal(t.amount).normalize(),
            Decimal(t.weighted).normalize(),
            t.entered_days,
        )
        for t in SnapshotTotal.objects.filter(snapshot=snap)
    }


def _read(day) -> dict[int, tuple]:
    """The read path: the nearest snapshot plus the changes since, as (history row id, owner, team)."""
    stood = snapshots.at(day)
    rows = snapshots.change_ids(stood).filter(status=Opportunity.Status.OPEN)
    return {r.opportunity_id: (r.pk, r.owner_id, r.team_id) for r in rows}


def _daily() -> None:
    SnapshotPolicy.objects.update_or_create(pk=1, defaults={"every_days": 1})


@pytest.mark.django_db
def test_every_snapshot_equals_the_history(history):  # noqa: F811
    _daily()
    built = snapshots.build(snapshots.missing_days())
    assert len(built) >= 55  # a daily snapshot over the spread history (60 days)
    assert StageChange.objects.filter(kind="reassigned").exists()
    assert any(snap.deals for snap in built)
    for snap in built:
        assert _held(snap) == _by_hand(snap.taken_on), snap.taken_on
        assert snap.deals == len(_by_hand(snap.taken_on))
        assert _totals_held(snap) == _totals_by_hand(_by_hand(snap.taken_on)), snap.taken_on
    assert snapshots.drift() == {}


@pytest.mark.django_db
def test_the_nearest_snapshot_plus_the_changes_since_is_the_history(history):  # noqa: F811
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in (1, 4, 9, 16, 23, 31, 44, 58, 70)]
    expected = {day: {k: (v[0], v[8], v[9]) for k, v in _by_hand(day).items()} for day in days}
    assert all(_read(day) == expected[day] for day in days)  # no snapshot yet: the history alone
    snapshots.build(snapshots.missing_days())  # weekly, on Sundays
    assert PipelineSnapshot.objects.count() >= 8
    for day in days:
        assert _read(day) == expected[day], day
    assert any(expected[day] for day in days)


@pytest.mark.django_db
def test_a_backdated_write_updates_the_snapshots_after_it(history):  # noqa: F811
    _daily()
    snapshots.build(snapshots.missing_days())
    opp = Opportunity.objects.filter(status=Opportunity.Status.OPEN).first()
    snap = PipelineSnapshot.objects.order_by("-taken_on")[5]
    moment = snapshots.end_of(snap.taken_on) - timedelta(hours=1)
    first = StageChange.objects.filter(opportunity=opp).order_by("changed_at").first()
    assert first.changed_at < moment  # the deal existed then
    opp.amount = Decimal("123456.78")
    opp.owner_id = history.nick.pk if opp.owner_id != history.nick.pk else history.rita.pk
    opp.team_id = history.nick.org_unit_id if opp.owner_id == history.nick.pk else history.rita.org_unit_id
    changes.write(opp, "reassigned", from_stage=opp.stage, from_level=opp.level, actor=None, at=moment)
    assert snapshots.drift() == {}
    later = PipelineSnapshot.objects.filter(taken_on__gte=snap.taken_on)
    for each in later:
        assert _held(each) == _by_hand(each.taken_on)
        assert _totals_held(each) == _totals_by_hand(_by_hand(each.taken_on))  # its groups rewritten
    assert SnapshotDeal.objects.filter(snapshot=snap, opportunity=opp, amount=Decimal("123456.78")).exists()
    # the reads after it, whole and by team (a scoped read replays only what can be in its scope)
    for back in (1, 2, 4, 6):
        day = timezone.localdate() - timedelta(days=back)
        expected = _by_hand(day)
        assert _read(day) == {k: (v[0], v[8], v[9]) for k, v in expected.items()}, day
        for team in {history.rita.org_unit_id, history.nick.org_unit_id}:
            scope = Scope(unit_ids=frozenset([team]))
            stood = snapshots.at(day, narrow=scope.filter)
            rows = snapshots.change_ids(stood, scope.filter).filter(status=Opportunity.Status.OPEN)
            assert {r.opportunity_id: r.pk for r in rows} == {
                k: v[0] for k, v in expected.items() if v[9] == team
            }, (day, team)
    # a write of today touches no snapshot (none is taken of a day that has not ended)
    assert not PipelineSnapshot.objects.filter(taken_on__gte=timezone.localdate()).exists()


@pytest.mark.django_db
def test_the_command_writes_skips_checks_and_repairs(history, capsys):  # noqa: F811
    call_command("pipeline_snapshot")
    written = PipelineSnapshot.objects.count()
    assert written >= 8
    assert all(
        snapshots.is_due(s.taken_on, 7) and s.taken_on.weekday() == 6 for s in PipelineSnapshot.objects.all()
    )
    assert "[1/" in capsys.readouterr().out  # progress
    call_command("pipeline_snapshot")
    assert "Every due snapshot is written." in capsys.readouterr().out
    assert PipelineSnapshot.objects.count() == written
    call_command("pipeline_snapshot", "--check")
    row = SnapshotDeal.objects.order_by("-id").first()
    SnapshotDeal.objects.filter(pk=row.pk).update(amount=row.amount + 1)
    SnapshotDeal.objects.filter(pk=SnapshotDeal.objects.order_by("id").first().pk).delete()
    with pytest.raises(CommandError, match="differ"):
        call_command("pipeline_snapshot", "--check")
    call_command("pipeline_snapshot", "--check", "--repair")
    assert snapshots.drift() == {}
    # a total that no longer equals its snapshot's deals is found and rewritten too
    total = SnapshotTotal.objects.order_by("-id").first()
    SnapshotTotal.objects.filter(pk=total.pk).update(count=total.count + 1)
    with pytest.raises(CommandError, match="differ"):
        call_command("pipeline_snapshot", "--check")
    call_command("pipeline_snapshot", "--check", "--repair")
    assert snapshots.drift() == {}
    snap = PipelineSnapshot.objects.get(pk=total.snapshot_id)
    assert _totals_held(snap) == _totals_by_hand(_by_hand(snap.taken_on))
    day = timezone.localdate() - timedelta(days=3)
    call_command("pipeline_snapshot", "--day", day.isoformat())
    assert PipelineSnapshot.objects.filter(taken_on=day, complete=True).exists()
    with pytest.raises(CommandError):
        call_command("pipeline_snapshot", "--day", timezone.localdate().isoformat())
    with pytest.raises(CommandError):
        call_command("pipeline_snapshot", "--day", "not-a-day")


def _flows_by_hand(through) -> dict[tuple, tuple]:
    """The transitions of the history up to the end of `through`, per (local day, kind, from stage or
    the stage entered, to stage), row by row: count, Σ amount, Σ days from creation (wins)."""
    found: dict[tuple, list] = {}
    for row in StageChange.objects.select_related("opportunity").filter(
        changed_at__lt=snapshots.end_of(through)
    ):
        if row.kind not in ENTERS:
            continue
        day = timezone.localtime(row.changed_at).date()
        into = found.setdefault(
            (day, row.kind, row.from_stage_id or row.to_stage_id, row.to_stage_id), [0, Decimal(0), 0]
        )
        into[0] += 1
        into[1] += row.amount
        if row.kind == "won":
            into[2] += (day - timezone.localtime(row.opportunity.created_at).date()).days
    return {k: (n, a.normalize(), c) for k, (n, a, c) in found.items()}


def _flows_held() -> dict[tuple, tuple]:
    return {
        (f.day, f.kind, f.from_stage_id, f.to_stage_id): (
            f.count,
            Decimal(f.amount).normalize(),
            f.cycle_days,
        )
        for f in DailyFlow.objects.exclude(count=0)
    }


@pytest.mark.django_db
def test_the_daily_flows_equal_the_history_also_after_a_backdated_move(history):  # noqa: F811
    snapshots.build(snapshots.missing_days())
    through = snapshots.flows_through()
    assert through == snapshots.latest_ended_day()
    assert _flows_held() == _flows_by_hand(through)
    assert any(k[1] == "won" for k in _flows_held()) and any(k[1] == "advanced" for k in _flows_held())
    assert snapshots.build_flows() == through  # nothing new: nothing written twice
    assert _flows_held() == _flows_by_hand(through)
    # a move recorded ten days late counts in its day
    opp = Opportunity.objects.filter(status=Opportunity.Status.OPEN).order_by("pk").first()
    stages = list(opp.template.stages.filter(is_won=False).order_by("order"))
    here = stages.index(opp.stage)
    old = opp.stage
    opp.stage = stages[here + 1] if here + 1 < len(stages) else stages[here - 1]
    Opportunity.objects.filter(pk=opp.pk).update(stage=opp.stage)
    kind = "advanced" if opp.stage.order > old.order else "moved_back"
    moment = timezone.now() - timedelta(days=10)
    changes.write(opp, kind, from_stage=old, from_level=opp.level, actor=None, at=moment)
    assert _flows_held() == _flows_by_hand(through)
    assert snapshots.drift() == {}
    # a row the history has but the daily flows lost is found, and repaired
    DailyFlow.objects.filter(pk=DailyFlow.objects.order_by("pk").first().pk).delete()
    assert snapshots.flows_drift() != {}
    assert snapshots.drift(repair=True) != {}
    assert _flows_held() == _flows_by_hand(through)
    assert snapshots.drift() == {}


@pytest.mark.django_db
def test_history_written_in_bulk_rewrites_the_daily_flows_from_its_first_day(history):  # noqa: F811
    from kadence.transfer.importer import refresh_summaries

    snapshots.build(snapshots.missing_days())
    through = snapshots.flows_through()
    row = StageChange.objects.filter(kind="won").order_by("id").first()
    moment = timezone.now() - timedelta(days=20)
    row.pk, row.changed_at = None, moment  # a win written by a bulk load, twenty days back
    row.save()
    assert snapshots.flows_drift() != {}
    refresh_summaries(timezone.localtime(moment).date())
    assert snapshots.flows_through() == through
    assert _flows_held() == _flows_by_hand(through)
    assert snapshots.drift() == {}


def test_due_days():
    from datetime import date

    assert snapshots.due_days(date(2026, 11, 1), date(2026, 11, 30), 7) == [
        date(2026, 11, 1),
        date(2026, 11, 8),
        date(2026, 11, 15),
        date(2026, 11, 22),
        date(2026, 11, 29),
    ]
    assert all(d.weekday() == 6 for d in snapshots.due_days(date(2020, 1, 1), date(2026, 1, 1), 7))
    assert len(snapshots.due_days(date(2026, 11, 1), date(2026, 11, 30), 1)) == 30
    assert snapshots.due_days(date(2026, 11, 2), date(2026, 11, 30), 14) == [
        date(2026, 11, 8),
        date(2026, 11, 22),
    ]
