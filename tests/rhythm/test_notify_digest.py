"""The daily digest: sent once per user and day, in the recipient's language, only with the channel on;
a claimed-but-unsent digest (a worker stopped mid-send) is not sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kadence.core.models import User
from kadence.rhythm.notify.models import DigestRecord, Notification, NotifyChannels
from kadence.rhythm.notify.services import send_digests


def due(user, key="k:1", days=0, message="Stalled deal: %(deal)s", params=None):
    return Notification.objects.create(
        user=user,
        kind="stalled_deal",
        key=key,
        due_date=timezone.localdate() + timedelta(days=days),
        message=message,
        params=params or {"deal": "变电站"},
        url="/opportunities/1/",
    )


@pytest.fixture
def rita(org):
    User.objects.filter(pk=org.rita.pk).update(email="rita@example.com", language="en")
    return User.objects.get(pk=org.rita.pk)


def test_sent_once_whatever_the_reruns(rita, settings):
    settings.KADENCE_BASE_URL = "https://kadence.example.com"
    due(rita, "k:1", days=-2)
    due(rita, "k:2", days=0)
    due(rita, "k:3", days=3)  # not due yet: not in today's digest
    assert send_digests().sent == 1
    assert send_digests().sent == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rita@example.com"]
    assert "2 items" in message.subject
    assert "Stalled deal: 变电站" in message.body and "(overdue)" in message.body
    assert "https://kadence.example.com/opportunities/1/" in message.body
    assert DigestRecord.objects.get(user=rita).sent_at is not None
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


def test_in_the_recipients_language(rita):
    User.objects.filter(pk=rita.pk).update(language="zh-hans")
    due(rita)
    send_digests()
    body = mail.outbox[0].body
    assert "停滞" in body or "逾期" in body or "到期" in body, body


def test_claimed_but_unsent_is_not_sent_again(rita):
    """A worker stopped after the claim and before the send: the record stays, unsent; a rerun skips the
    user (at most once a day), and the next day sends again."""
    due(rita, days=-1)
    DigestRecord.objects.create(user=rita, day=timezone.localdate())
    result = send_digests()
    assert result.sent == 0 and mail.outbox == []
    assert send_digests(timezone.localdate() + timedelta(days=1)).sent == 1


def test_a_refused_send_is_recorded_not_retried(rita, monkeypatch):
    due(rita)
    from django.core.mail import EmailMultiAlternatives

    def refuse(self, *a, **k):
        raise OSError("connection refused")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    assert send_digests().failed == 1
    record = DigestRecord.objects.get(user=rita)
    assert record.sent_at is None and "refused" in record.error
    monkeypatch.undo()
    assert send_digests().sent == 0


def test_channel_off_or_no_address_gets_none(rita, org):
    due(rita)
    due(org.tom)  # tom has no e-mail address
    NotifyChannels.objects.create(user=rita, email_digest=False)
    assert send_digests().sent == 0
    assert mail.outbox == []


def test_nothing_due_sends_nothing(rita):
    due(rita, days=2)
    Notification.objects.create(
        user=rita, kind="x", key="r", due_date=timezone.localdate(), message="m", resolved_at=timezone.now()
    )
    assert send_digests().sent == 0


def test_the_digest_job_collects_then_sends(rita):
    from kadence.rhythm.notify.tasks import notify_digest

    due(rita)
    text = notify_digest.call()
    assert "1 sent" in text
    assert len(mail.outbox) == 1


def test_the_command_collects_and_sends(rita):
    from io import StringIO

    from django.core.management import call_command

    due(rita)
    out = StringIO()
    call_command("notify", "digest", stdout=out)
    assert "1 sent" in out.getvalue()
    call_command("notify", "digest", stdout=out)
    assert len(mail.outbox) == 1
