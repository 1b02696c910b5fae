"""Notification writes: the collection run (sources → Notification rows), marking read, the channels a user
chose and their calendar feed token, and the daily e-mail digest."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.concurrency import versioned_update
from kadence.core.models import User
from kadence.core.visibility import access_notification
from kadence.domain import notify as domain
from kadence.rhythm.notify.models import DigestRecord, Notification, NotifyChannels, render_message
from kadence.rhythm.notify.sources import DueItem, sources

log = logging.getLogger(__name__)

BATCH = 1000


# --- collection ---------------------------------------------------------------------------------------


@dataclass
class CollectResult:
    created: int = 0
    updated: int = 0
    reopened: int = 0
    resolved: int = 0
    failed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{self.created} new, {self.updated} changed, {self.reopened} due again, {self.resolved} resolved"
        )
        return text + (f"; sources failed: {', '.join(self.failed)}" if self.failed else "")


def _wanted(item: DueItem) -> domain.Wanted:
    return domain.Wanted(
        item.user_id,
        item.kind,
        item.key[:200],
        item.due_date,
        item.title.text,
        dict(item.title.params),
        item.url[:500],
    )


def _run_sources(today: date) -> tuple[list[domain.Wanted], set[str], list[str]]:
    wanted: list[domain.Wanted] = []
    ran, failed = set(), []
    for kind, source in sorted(sources().items()):
        try:
            with transaction.atomic():  # a failing query does not poison the run's connection (PostgreSQL)
                items = [_wanted(item) for item in source(today)]
        except Exception:
            log.exception("notification source %s failed", kind)
            failed.append(kind)
            continue
        wanted += items
        ran.add(kind)
    return wanted, ran, failed


def _kept() -> Iterable[domain.Kept]:
    """Every open row, and the resolved rows (their key may come back)."""
    rows = Notification.objects.order_by().values_list(
        "pk", "user_id", "kind", "key", "due_date", "message", "params", "url", "resolved_at"
    )
    for pk, user, kind, key, due, message, params, url, resolved in rows.iterator(chunk_size=BATCH * 5):
        yield domain.Kept(pk, user, kind, key, due, message, params or {}, url, resolved is not None)


def collect(today: date | None = None) -> CollectResult:
    """Bring the Notification rows in line with what the sources say is due `today`: insert the new
    items (bulk, ignoring a row another run inserted at the same moment), update the ones whose due date
    or text changed (a moved due date makes it unread again and bumps its calendar SEQUENCE), bring back
    resolved ones that are due again, and resolve the open ones no longer due. Running it twice writes
    nothing the second time."""
    today = today or timezone.localdate()
    wanted, ran, failed = _run_sources(today)
    plan = domain.plan(wanted, _kept(), ran)
    now = timezone.now()
    result = CollectResult(failed=failed)
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=w.user_id,
                kind=w.kind,
                key=w.key,
                due_date=w.due_date,
                message=w.message,
                params=w.params,
                url=w.url,
                created_at=now,
                updated_at=now,
            )
            for w in plan.insert
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    result.created = len(plan.insert)
    changes = []
    for pk, w, moved in plan.update:
        row = Notification(
            pk=pk, kind=w.kind, due_date=w.due_date, message=w.message, params=w.params, url=w.url
        )
        row.updated_at = now
        changes.append((row, moved))
    for pk, w in plan.reopen:
        row = Notification(
            pk=pk, kind=w.kind, due_date=w.due_date, message=w.message, params=w.params, url=w.url
        )
        row.updated_at = now
        changes.append((row, True))
    moved_ids = [row.pk for row, moved in changes if moved]
    fields = ["kind", "due_date", "message", "params", "url", "updated_at"]
    Notification.objects.bulk_update([row for row, _moved in changes], fields, batch_size=BATCH)
    for start in range(0, len(moved_ids), BATCH):
        part = moved_ids[start : start + BATCH]
        # due again or moved: unread again, open, and the calendar event's SEQUENCE goes up
        Notification.objects.filter(pk__in=part).update(
            read_at=None, resolved_at=None, sequence=F("sequence") + 1
        )
    result.updated, result.reopened = len(plan.update), len(plan.reopen)
    for start in range(0, len(plan.resolve), BATCH):
        part = plan.resolve[start : start + BATCH]
        Notification.objects.filter(pk__in=part, resolved_at__isnull=True).update(
            resolved_at=now, updated_at=now
        )
    result.resolved = len(plan.resolve)
    return result


# --- reading ------------------------------------------------------------------------------------------


def notification_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (again: nothing changes)."""
    with transaction.atomic():
        row = access_notification(user, notification_id, lock=True)
        if row.read_at is None:
            row.read_at = timezone.now()
            row.save(update_fields=["read_at"])
    return row


def notifications_read_all(user: User) -> int:
    """Mark every unread notification of the user read; how many were."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- channels and the calendar feed ----------------------------------------------------------------------


def feed_url(request: HttpRequest, token: str) -> str:
    path = reverse("rhythm_calendar_feed", args=[token])
    root = base_url()
    return (root + path) if root else request.build_absolute_uri(path)


def notification_channels(user: User, *, lock: bool = False) -> NotifyChannels:
    """The user's channels row, made with the defaults the first time it is written."""
    NotifyChannels.objects.get_or_create(user=user)
    rows = NotifyChannels.objects.filter(user=user)
    return (rows.select_for_update() if lock else rows).get()


def feed_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def channels_update(user: User, *, email_digest: bool, version: int) -> NotifyChannels:
    """The user's own choice of the e-mail digest (the app is always on; the calendar feed is on while
    it has a token)."""
    with transaction.atomic():
        channels = notification_channels(user, lock=True)
        changes = {"email_digest": (channels.email_digest, email_digest)}
        versioned_update(channels, version, {"email_digest": email_digest})
        audit_changes("rhythm.notifychannels", channels.pk, changes, user)
    return channels


def feed_token_issue(user: User) -> str:
    """A new calendar feed token for the user (the old one, if any, stops working): 32 random bytes,
    of which only the SHA-256 is kept. Returns the token, to be shown once."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        channels = notification_channels(user, lock=True)
        channels.feed_digest, channels.feed_created_at = feed_digest(token), timezone.now()
        channels.version += 1
        channels.save(update_fields=["feed_digest", "feed_created_at", "version"])
        audit_changes("rhythm.notifychannels", channels.pk, {"calendar_feed": ("", "issued")}, user)
    return token


def feed_token_revoke(user: User) -> None:
    """Switch the calendar feed off: its URL answers 404 from now on."""
    with transaction.atomic():
        channels = notification_channels(user, lock=True)
        if channels.feed_digest:
            channels.feed_digest, channels.feed_created_at = None, None
            channels.version += 1
            channels.save(update_fields=["feed_digest", "feed_created_at", "version"])
            audit_changes(
                "rhythm.notifychannels", channels.pk, {"calendar_feed": ("issued", "revoked")}, user
            )


# --- the daily digest ------------------------------------------------------------------------------------


@dataclass
class DigestResult:
    sent: int = 0
    skipped: int = 0  # claimed by an earlier or a parallel run
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.skipped} already claimed, {self.failed} failed"


def base_url() -> str:
    return str(getattr(settings, "KADENCE_BASE_URL", "http://localhost:8000")).rstrip("/")


def digest_recipients(day: date) -> list[int]:
    """The users who get a digest for `day` and have not had it claimed: active, with an e-mail
    address and the digest on (the default when they never chose), with an open item due by `day`.
    One query."""
    due = Notification.objects.filter(user_id=OuterRef("pk"), resolved_at__isnull=True, due_date__lte=day)
    claimed = DigestRecord.objects.filter(user_id=OuterRef("pk"), day=day)
    off = NotifyChannels.objects.filter(user_id=OuterRef("pk"), email_digest=False)
    return list(
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Exists(due))
        .exclude(Exists(claimed))
        .exclude(Exists(off))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _claim(user_id: int, day: date) -> DigestRecord | None:
    """Insert and commit the (user, day) record; None when it exists (another run has it)."""
    try:
        with transaction.atomic():
            return DigestRecord.objects.create(user_id=user_id, day=day)
    except IntegrityError:
        return None


def digest_message(user: User, items: list[Notification], day: date) -> EmailMultiAlternatives:
    """The digest e-mail in the user's language (their preference, else the site's)."""
    language = user.language or settings.LANGUAGE_CODE
    root = base_url()
    with translation.override(language):
        rows = [
            {
                "title": render_message(n.message, n.params),
                "due": n.due_date,
                "overdue": n.due_date < day,
                "url": root + n.url,
            }
            for n in items
        ]
        context = {
            "user": user,
            "day": day,
            "rows": rows,
            "overdue": sum(1 for r in rows if r["overdue"]),
            "page_url": root + "/rhythm/notifications/",
            "channels_url": root + "/rhythm/notifications/channels/",
        }
        subject = _("Kadence: %(count)s items due (%(day)s)") % {"count": len(rows), "day": day.isoformat()}
        text = render_to_string("rhythm/notify/digest.txt", context)
        html = render_to_string("rhythm/notify/digest.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def send_digests(day: date | None = None) -> DigestResult:
    """Send each recipient's digest for `day` once. For each user: claim the (user, day) record in its own
    committed transaction, then read their open items due by `day` and send; mark the record sent and the
    items e-mailed. A run (or a parallel worker) that finds the record claimed skips the user, so nothing
    is sent twice; a worker stopped between the claim and the send leaves the record unsent and that day's
    digest is not sent (at most once: the next day's digest lists whatever is still due)."""
    day = day or timezone.localdate()
    result = DigestResult()
    for user_id in digest_recipients(day):
        record = _claim(user_id, day)
        if record is None:
            result.skipped += 1
            continue
        user = User.objects.get(pk=user_id)
        items = list(
            Notification.objects.filter(
                user_id=user_id, resolved_at__isnull=True, due_date__lte=day
            ).order_by("due_date", "id")[:200]
        )
        try:
            digest_message(user, items, day).send()
        except Exception as exc:  # the mail server refused or is down: recorded, not retried today
            log.exception("digest for user %s failed", user_id)
            DigestRecord.objects.filter(pk=record.pk).update(error=str(exc)[:500])
            result.failed += 1
            continue
        now = timezone.now()
        DigestRecord.objects.filter(pk=record.pk).update(sent_at=now, items=len(items))
        Notification.objects.filter(pk__in=[n.pk for n in items], emailed_at__isnull=True).update(
            emailed_at=now
        )
        result.sent += 1
    return result
