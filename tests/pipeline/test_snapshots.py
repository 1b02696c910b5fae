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
    Opportunity,
    PipelineSnapshot,
    SnapshotDeal,
    SnapshotPolicy,
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
    day = timezone.localdate() - timedelta(days=3)
    call_command("pipeline_snapshot", "--day", day.isoformat())
    assert PipelineSnapshot.objects.filter(taken_on=day, complete=True).exists()
    with pytest.raises(CommandError):
        call_command("pipeline_snapshot", "--day", timezone.localdate().isoformat())
    with pytest.raises(CommandError):
        call_command("pipeline_snapshot", "--day", "not-a-day")


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
