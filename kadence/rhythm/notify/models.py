"""The notifications kept per user, the channels each user chose, and the record of each day's digest."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.i18n import chinese_active

USER = settings.AUTH_USER_MODEL


class Notification(models.Model):
    """One thing due for one user, as the collection run (kadence.rhythm.notify.services.collect) last
    saw it: unique per (user, key). `message` is the English text with %(name)s placeholders, translated
    into the reader's language when shown, with `params` filled in; a param may carry both languages as
    {"zh": …, "en": …}. A row no longer due is resolved (kept, not shown as unread). `sequence` counts
    the changes of the due date (the calendar event's SEQUENCE)."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=40)
    key = models.CharField(max_length=200)
    due_date = models.DateField(_("due"))
    message = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["due_date", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_user_key")]
        indexes = [
            # the bell's COUNT and the unread list read this partial index only
            models.Index(
                fields=["user", "due_date"],
                name="notification_unread",
                condition=Q(read_at__isnull=True, resolved_at__isnull=True),
            ),
            models.Index(fields=["user", "resolved_at", "due_date"], name="notification_user_open"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"

    @property
    def title(self) -> str:
        return render_message(self.message, self.params)

    @property
    def is_unread(self) -> bool:
        return self.read_at is None and self.resolved_at is None


def render_message(message: str, params: dict[str, Any]) -> str:
    """The message in the active language with its params (a bilingual param picks its language)."""
    from django.utils.translation import gettext

    zh = chinese_active()
    values = {
        name: (value.get("zh") if zh else value.get("en")) or value.get("zh") or value.get("en") or ""
        if isinstance(value, dict)
        else value
        for name, value in (params or {}).items()
    }
    text = gettext(message)
    try:
        return text % values
    except (KeyError, TypeError, ValueError):
        return text


class NotifyChannels(models.Model):
    """The channels one user chose: the app always; the daily e-mail digest; the calendar feed, on while
    a feed token exists (only its SHA-256 is kept: the URL is shown once, when it is made)."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="notify_channels")
    email_digest = models.BooleanField(_("daily e-mail digest"), default=True)
    feed_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    feed_created_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("notification channels")
        verbose_name_plural = _("notification channels")

    def __str__(self) -> str:
        return str(self.user_id)

    @property
    def calendar_feed(self) -> bool:
        return bool(self.feed_digest)


class DigestRecord(models.Model):
    """One user's digest of one day, claimed (inserted and committed) before it is sent: unique per
    (user, day), so a second run, or a second worker, never sends it again. `sent_at` empty: the send was
    claimed and did not finish (the worker stopped, or the mail server refused): it is not sent again
    (at most once a day; the next day's digest lists whatever is still due)."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    items = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("digest record")
        verbose_name_plural = _("digest records")
        ordering = ["-day", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_user_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"
