"""The bell, the notifications page, mark read, the channels page and the API: a user only ever sees and
changes their own notifications; bad input answers 4xx, never 500."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from kadence.rhythm.notify.models import Notification, NotifyChannels


def make(user, n=1, prefix="k"):
    return [
        Notification.objects.create(
            user=user,
            kind="x",
            key=f"{prefix}:{i}",
            due_date=timezone.localdate(),
            message="Next step: %(step)s (%(account)s)",
            params={"step": f"S{i}", "account": "A"},
            url="/activities/",
        )
        for i in range(n)
    ]


def test_bell_shows_the_unread_count_in_one_query(client, org, django_assert_num_queries):
    make(org.rita, 3)
    make(org.tom, 2, "t")
    client.force_login(org.rita)
    page = client.get(reverse("rhythm_hub"))
    assert b'data-testid="bell-count">3<' in page.content
    from django.test import RequestFactory

    from kadence.rhythm.notify.context_processors import notifications

    request = RequestFactory().get("/")
    request.user = org.rita
    context = notifications(request)
    with django_assert_num_queries(1):
        assert context["unread_notifications"] == 3


def test_bell_not_for_anonymous(client, db):
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from kadence.rhythm.notify.context_processors import notifications

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert notifications(request) == {}


def test_page_lists_own_and_marks_read(client, org, django_assert_max_num_queries):
    mine = make(org.rita, 30)
    theirs = make(org.tom, 1, "t")[0]
    client.force_login(org.rita)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("rhythm_notifications"))
    assert page.status_code == 200
    assert page.content.count(b'data-testid="notification"') == 25
    assert b"Next step: S0 (A)" in page.content or "下一步".encode() in page.content
    assert client.post(reverse("rhythm_notification_read", args=[mine[0].pk])).status_code == 302
    assert Notification.objects.get(pk=mine[0].pk).read_at is not None
    assert client.post(reverse("rhythm_notification_read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("rhythm_notification_read", args=[mine[1].pk])).status_code == 405
    client.post(reverse("rhythm_notifications_read_all"), {"next": "https://evil.example.com/"})
    assert Notification.objects.filter(user=org.rita, read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert client.get(reverse("rhythm_notifications") + "?show=bogus&page=zz").status_code == 200


def test_page_needs_a_login(client, db):
    assert client.get(reverse("rhythm_notifications")).status_code == 302


def test_channels_page_turns_the_digest_off_and_the_feed_on_and_off(client, org):
    client.force_login(org.rita)
    assert client.get(reverse("rhythm_notification_channels")).status_code == 200
    url = reverse("rhythm_notification_channels")
    client.post(url, {"action": "save", "version": "1"})
    assert NotifyChannels.objects.get(user=org.rita).email_digest is False
    client.post(url, {"action": "feed_issue"})
    page = client.get(url)
    assert b'data-testid="notify-feed-url"' in page.content
    assert NotifyChannels.objects.get(user=org.rita).calendar_feed
    assert b'data-testid="notify-feed-url"' not in client.get(url).content  # shown once
    client.post(url, {"action": "feed_revoke"})
    assert not NotifyChannels.objects.get(user=org.rita).calendar_feed
    assert client.post(url, {"action": "save", "version": "x"}).status_code == 303


API = "/api/rhythm/notifications"


def test_api_lists_only_own(client, org, token_for):
    make(org.rita, 2)
    make(org.tom, 1, "t")
    answer = client.get(API, **token_for(org.rita))
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2 and {i["key"] for i in body["items"]} == {"k:0", "k:1"}
    assert body["items"][0]["unread"] is True
    admin = client.get(API, **token_for(org.ada)).json()
    assert admin["count"] == 0


def test_api_marks_read(client, org, token_for):
    mine = make(org.rita, 2)
    theirs = make(org.tom, 1, "t")[0]
    headers = token_for(org.rita)
    answer = client.post(f"{API}/{mine[0].pk}/read", **headers)
    assert answer.status_code == 200 and answer.json()["unread"] is False
    assert client.post(f"{API}/{theirs.pk}/read", **headers).status_code == 404
    assert client.post(f"{API}/read-all", **headers).json() == {"marked": 1}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("get", API + "?show=nope", None),
        ("get", API + "?page=0", None),
        ("post", API + "/abc/read", None),
        ("post", API + "/0/read", None),
        ("post", API + "/99999999999999999999/read", None),
        ("put", API + "/channels", {"email_digest": "yes", "version": 1}),
        ("put", API + "/channels", {"email_digest": True}),
        ("put", API + "/channels", {"email_digest": True, "version": 7}),
        ("put", API + "/channels", {"email_digest": True, "version": 1, "extra": 1}),
    ],
)
def test_api_errors_are_4xx(client, org, token_for, method, path, body):
    kwargs = {"content_type": "application/json", "data": body} if body is not None else {}
    answer = getattr(client, method)(path, **kwargs, **token_for(org.rita))
    assert 400 <= answer.status_code < 500, answer.content
    assert "code" in answer.json()


def test_api_needs_auth(client, db):
    assert client.get(API).status_code == 401
    assert client.post(f"{API}/read-all").status_code == 401


def test_api_channels_and_feed(client, org, token_for):
    headers = token_for(org.rita)
    assert client.get(f"{API}/channels", **headers).json() == {
        "app": True,
        "email_digest": True,
        "calendar_feed": False,
        "version": 1,
    }
    answer = client.put(
        f"{API}/channels", {"email_digest": False, "version": 1}, content_type="application/json", **headers
    )
    assert answer.status_code == 200 and answer.json()["email_digest"] is False
    stale = client.put(
        f"{API}/channels", {"email_digest": True, "version": 1}, content_type="application/json", **headers
    )
    assert stale.status_code == 409
    issued = client.post(f"{API}/calendar-feed", **headers)
    assert issued.status_code == 201
    url = issued.json()["url"]
    assert url.endswith(".ics")
    path = "/" + url.split("/", 3)[3]
    assert client.get(path).status_code == 200
    assert client.delete(f"{API}/calendar-feed", **headers).status_code == 204
    assert client.get(path).status_code == 404
