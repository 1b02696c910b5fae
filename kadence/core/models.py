"""Organisation (org tree, users and roles), API tokens and the field audit trail."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.amounts import AmountUnit
from kadence.core.i18n import in_language


class BilingualName(models.Model):
    """Mixin for configuration rows named in Chinese and English; `name` follows the active language."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)


class OrgUnit(BilingualName):
    """A node of the sales organisation tree: the company, a region (大区) or a team (团队).

    `path` is the materialised path of primary keys ("/1/4/9/"), so a subtree is one indexed
    prefix query. A company has no parent; a region's parent is the company; a team's parent a region.
    """

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        REGION = "region", _("Region")
        TEAM = "team", _("Team")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]

    @property
    def region(self) -> OrgUnit | None:
        """The region this unit belongs to (itself for a region, None for the company)."""
        node: OrgUnit | None = self
        while node is not None and node.kind != self.Kind.REGION:
            node = node.parent
        return node


class User(AbstractUser):
    """A person using Kadence. `role` decides what they may see and do (see core.visibility).

    `org_unit` is where they sit; `managed_units` are the units a manager or director is
    responsible for (when empty, their own `org_unit`).
    """

    class Role(models.TextChoices):
        REP = "rep", _("Sales rep")
        INSIDE = "inside", _("Inside sales")
        MANAGER = "manager", _("Sales manager")
        DIRECTOR = "director", _("Director")
        ADMIN = "admin", _("Admin")

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.REP)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organisation unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    managed_units = models.ManyToManyField(
        OrgUnit, verbose_name=_("managed units"), blank=True, related_name="managers"
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: follow the browser."),
    )
    amount_unit = models.CharField(
        _("amounts in"),
        max_length=4,
        choices=AmountUnit.choices,
        default=AmountUnit.YUAN,
        help_text=_("How pages and charts show amounts; exports and the API keep exact numbers."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def label(self) -> str:
        return str(self)

    @property
    def is_admin_role(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    @property
    def is_seller(self) -> bool:
        return self.role in (self.Role.REP, self.Role.INSIDE)


class ApiToken(models.Model):
    """A bearer token for API clients. Only the SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        token = "kd_" + secrets.token_urlsafe(32)
        row = cls.objects.create(user=user, name=name, digest=cls.hash(token), prefix=token[:8])
        return row, token


class AuditEntry(models.Model):
    """One changed field of one record: who changed what from which value to which, when and why.

    Append-only. `entity` is the model label (e.g. "pipeline.opportunity").
    """

    entity = models.CharField(max_length=60)
    entity_id = models.BigIntegerField()
    field = models.CharField(max_length=60)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["entity", "entity_id", "at"])]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.entity}#{self.entity_id}.{self.field}"


class LoginFailure(models.Model):
    """A failed login, kept for throttling (per username and per client address)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username}@{self.ip} {self.at:%Y-%m-%d %H:%M}"


class ScheduledJob(models.Model):
    """The last due moment a scheduled job (kadence.core.jobs) was enqueued for: the worker enqueues a
    job once per due moment, whichever of several workers gets there first (it locks this row)."""

    name = models.CharField(max_length=80, unique=True)
    last_due_at = models.DateTimeField(null=True, blank=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
