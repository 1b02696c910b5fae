"""The collection run: idempotent, a moved due date updates the row, an item no longer due is resolved,
a failing source leaves its rows alone, writes are in bulk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kadence.activities.models import Activity
from kadence.activities.services import activity_create
from kadence.rhythm.notify import sources
from kadence.rhythm.notify.models import Notification
from kadence.rhythm.notify.services import collect
from kadence.rhythm.notify.sources import DueItem, Message


@pytest.fixture
def only(monkeypatch):
    """Run only the named sources (the others would add the org's forecasts and stalled deals)."""

    def use(*kinds):
        monkeypatch.setattr(sources, "_sources", {k: v for k, v in sources.sources().items() if k in kinds})

    return use


def snapshot():
    return list(
        Notification.objects.order_by("pk").values_list(
            "pk", "user_id", "key", "due_date", "read_at", "resolved_at", "sequence", "updated_at"
        )
    )


def test_collect_twice_gives_the_same_rows(org):
    today = timezone.localdate()
    activity_create(org.rita, account_id=org.account.pk, kind="visit", subject="Plan", date=today, done=False)
    first = collect(today)
    assert first.created >= 1
    before = snapshot()
    again = collect(today)
    assert (again.created, again.updated, again.reopened, again.resolved) == (0, 0, 0, 0)
    assert snapshot() == before


def test_moved_due_date_updates_the_row_and_makes_it_unread(org, only):
    only("planned_activity")
    today = timezone.localdate()
    planned = activity_create(
        org.rita, account_id=org.account.pk, kind="visit", subject="Plan", date=today, done=False
    )
    collect(today)
    row = Notification.objects.get(user=org.rita, key=f"planned:{planned.pk}")
    row.read_at = timezone.now()
    row.save()
    Activity.objects.filter(pk=planned.pk).update(date=today + timedelta(days=3))
    result = collect(today)
    assert result.updated == 1
    moved = Notification.objects.get(pk=row.pk)
    assert moved.due_date == today + timedelta(days=3)
    assert moved.read_at is None and moved.sequence == 1 and moved.updated_at > row.updated_at


def test_item_no_longer_due_is_resolved_and_may_come_back(org, only):
    only("planned_activity")
    today = timezone.localdate()
    planned = activity_create(
        org.rita, account_id=org.account.pk, kind="visit", subject="Plan", date=today, done=False
    )
    collect(today)
    Activity.objects.filter(pk=planned.pk).update(done=True)
    assert collect(today).resolved == 1
    row = Notification.objects.get(user=org.rita, key=f"planned:{planned.pk}")
    assert row.resolved_at is not None and not row.is_unread
    assert collect(today).resolved == 0  # resolved once
    Activity.objects.filter(pk=planned.pk).update(done=False)
    assert collect(today).reopened == 1
    assert Notification.objects.get(pk=row.pk).resolved_at is None


def test_a_failing_source_leaves_its_rows_alone(org, only, monkeypatch):
    only("planned_activity")
    today = timezone.localdate()
    activity_create(org.rita, account_id=org.account.pk, kind="visit", subject="Plan", date=today, done=False)
    collect(today)

    def broken(day):
        raise RuntimeError("boom")

    monkeypatch.setattr(sources, "_sources", {"planned_activity": broken})
    result = collect(today)
    assert result.failed == ["planned_activity"] and result.resolved == 0
    assert Notification.objects.filter(user=org.rita, resolved_at__isnull=True).count() == 1


def test_a_registered_source_is_collected(org, monkeypatch):
    today = timezone.localdate()
    monkeypatch.setattr(sources, "_sources", {})
    sources.register(
        "cadence",
        lambda day: [
            DueItem(org.tom.pk, "cadence", "cadence:1", day, Message("Follow up %(x)s", {"x": "A"}), "/x/")
        ],
    )
    collect(today)
    row = Notification.objects.get(user=org.tom, key="cadence:1")
    assert (row.kind, row.title, row.url) == ("cadence", "Follow up A", "/x/")


def test_collect_writes_in_bulk(org, only, django_assert_max_num_queries):
    only("planned_activity")
    today = timezone.localdate()
    Activity.objects.bulk_create(
        [
            Activity(
                kind="visit",
                subject=f"P{n}",
                date=today,
                done=False,
                account=org.account,
                owner=org.rita,
                team=org.n1,
            )
            for n in range(60)
        ]
    )
    with django_assert_max_num_queries(12):
        assert collect(today).created == 60
    Activity.objects.filter(owner=org.rita).update(date=today + timedelta(days=1))
    with django_assert_max_num_queries(12):
        assert collect(today).updated == 60


def test_the_jobs_are_scheduled(db):
    from kadence.core import jobs

    names = {job.name: job for job in jobs.jobs()}
    assert {"notify-collect", "notify-digest"} <= set(names)
    assert names["notify-collect"].cadence.every == "daily"
