"""The manager's notes and agreed actions of a weekly 1x1 pack (METHODOLOGY §10.5).

A pack is a rep and a week (its Monday): it has no row of its own; what the manager writes in it does.
An action is agreed in one week's pack (`week_start`) and shows in that pack and every later one until
it is done (`done_at`): a pack of week W lists the actions agreed in W or before and not done before W.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL

__all__ = ["PackAction", "PackNote"]


class PackNote(models.Model):
    """The manager's notes of one rep's pack for one week (one row per pack, edited in place)."""

    rep = models.ForeignKey(USER, verbose_name=_("rep"), on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField(_("week of"))
    text = models.TextField(_("notes"), blank=True)
    written_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("1x1 note")
        verbose_name_plural = _("1x1 notes")
        constraints = [models.UniqueConstraint(fields=["rep", "week_start"], name="pack_note_unique")]

    def __str__(self) -> str:
        return f"{self.rep_id} {self.week_start}"


class PackAction(models.Model):
    """An action agreed in a 1x1 (text, owner, due date) that carries over until it is done."""

    rep = models.ForeignKey(USER, verbose_name=_("rep"), on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField(_("agreed in the week of"))
    text = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("1x1 action")
        verbose_name_plural = _("1x1 actions")
        ordering = ["week_start", "id"]
        indexes = [models.Index(fields=["rep", "week_start"], name="pack_action_rep_week")]

    def __str__(self) -> str:
        return self.text
