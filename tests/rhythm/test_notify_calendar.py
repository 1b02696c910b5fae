"""The calendar feed: parsed back by icalendar, holds the user's open items as all-day events with a stable
UID, changes (SEQUENCE, DTSTAMP, date) when a due date moves; a revoked or unknown token answers 404."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from kadence.activities.models import Activity
from kadence.activities.services import activity_create
from kadence.rhythm.notify import sources
from kadence.rhythm.notify.models import Notification, NotifyChannels
from kadence.rhythm.notify.services import collect, feed_digest, feed_token_issue, feed_token_revoke


def feed(client, token):
    return client.get(reverse("rhythm_calendar_feed", args=[token]))


def events(response):
    cal = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_feed_parses_back_and_follows_a_moved_due_date(client, org, monkeypatch):
    monkeypatch.setattr(sources, "_sources", {"planned_activity": sources.planned_activities_due})
    today = timezone.localdate()
    planned = activity_create(
        org.rita,
        account_id=org.account.pk,
        kind="visit",
        subject='Visit; site, "B" \\ end',
        date=today,
        done=False,
    )
    collect(today)
    token = feed_token_issue(org.rita)
    response = feed(client, token)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response)
    assert len(found) == 1
    ((uid, event),) = found.items()
    assert uid.startswith(f"planned:{planned.pk}-u{org.rita.pk}@")
    assert event.decoded("DTSTART") == today
    assert event.decoded("DTEND") == today + timedelta(days=1)
    assert 'Visit; site, "B" \\ end' in str(event["SUMMARY"])
    assert b"Visit\\; site\\, " in response.content  # escaped on the wire
    assert int(event["SEQUENCE"]) == 0
    Activity.objects.filter(pk=planned.pk).update(date=today + timedelta(days=2))
    collect(today)
    moved = events(feed(client, token))
    assert list(moved) == [uid]  # the same event, moved
    assert moved[uid].decoded("DTSTART") == today + timedelta(days=2)
    assert int(moved[uid]["SEQUENCE"]) == 1
    assert moved[uid].decoded("DTSTAMP") >= event.decoded("DTSTAMP")


def test_feed_holds_only_the_owners_open_items(client, org):
    today = timezone.localdate()
    # a message no catalogue translates (the feed shows a stored message in the reader's language)
    Notification.objects.create(user=org.rita, kind="x", key="mine", due_date=today, message="Rita's item")
    Notification.objects.create(
        user=org.rita, kind="x", key="done", due_date=today, message="Done", resolved_at=timezone.now()
    )
    Notification.objects.create(user=org.tom, kind="x", key="toms", due_date=today, message="Tom's")
    found = events(feed(client, feed_token_issue(org.rita)))
    assert [str(e["SUMMARY"]) for e in found.values()] == ["Rita's item"]


def test_token_kept_hashed_revoked_and_replaced_answer_404(client, org):
    token = feed_token_issue(org.rita)
    channels = NotifyChannels.objects.get(user=org.rita)
    assert channels.feed_digest == feed_digest(token) and token not in channels.feed_digest
    assert len(token) >= 43  # 32 random bytes
    new = feed_token_issue(org.rita)
    assert feed(client, token).status_code == 404
    assert feed(client, new).status_code == 200
    feed_token_revoke(org.rita)
    assert feed(client, new).status_code == 404
    assert feed(client, "x" * 43).status_code == 404


def test_inactive_user_feed_answers_404(client, org):
    token = feed_token_issue(org.rita)
    type(org.rita).objects.filter(pk=org.rita.pk).update(is_active=False)
    assert feed(client, token).status_code == 404
