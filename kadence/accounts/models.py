"""Customer file (客户档案): industries, accounts and contacts with their personal profile."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.models import BilingualName, OrgUnit
from kadence.domain.kam.groups import PREFIX_LENGTH, normalise_name


class Industry(BilingualName):
    """An industry (行业) accounts belong to; the demo ships the seven of seed 004."""

    code = models.SlugField(max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["order", "code"]


class Account(models.Model):
    """A customer organisation (客户). `buying_power` (BP) is its annual purchase volume in our
    category, in `currency`. `team` is the owner's org unit, kept in step by the services so that
    visibility and reports filter without joining users."""

    class Size(models.TextChoices):
        SMALL = "small", _("Small (< 100 staff)")
        MEDIUM = "medium", _("Medium (100–999 staff)")
        LARGE = "large", _("Large (1,000–9,999 staff)")
        HUGE = "huge", _("Very large (10,000+ staff)")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active customer")
        DORMANT = "dormant", _("Dormant")
        CHURNED = "churned", _("Churned")

    name = models.CharField(_("name"), max_length=200, db_index=True)
    # The name as duplicate detection compares it (kadence.domain.kam.groups.normalise_name: legal-form
    # words, spaces and punctuation removed) and its first characters: candidates are read through the
    # (name_prefix, name_key) index, never by scanning every account. Kept in step by save().
    name_key = models.CharField(max_length=200, blank=True, default="", db_default="", editable=False)
    name_prefix = models.CharField(
        max_length=PREFIX_LENGTH, blank=True, default="", db_default="", editable=False
    )
    # 集团 → 子公司 → 分支机构: the group an account belongs to, any depth (issue 15 §1); figures roll up it
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account (group)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    industry = models.ForeignKey(Industry, verbose_name=_("industry"), on_delete=models.PROTECT)
    region = models.ForeignKey(
        OrgUnit,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="accounts_in_region",
        limit_choices_to={"kind": OrgUnit.Kind.REGION},
    )
    # 统一社会信用代码: the 18-character registration code of a Chinese organisation; an import
    # recognises an account by it before its name.
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, default="", db_default=""
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=Size.choices, default=Size.MEDIUM)
    status = models.CharField(
        _("business status"), max_length=10, choices=Status.choices, default=Status.PROSPECT
    )
    buying_power = models.DecimalField(
        _("annual buying power (BP)"), max_digits=16, decimal_places=2, default=0
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="accounts"
    )
    team = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="accounts", editable=False)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["team", "owner"]),
            models.Index(
                fields=["credit_code"], name="account_credit_code", condition=~models.Q(credit_code="")
            ),
            models.Index(fields=["name_prefix", "name_key"], name="account_name_key"),
            models.Index(fields=["name_key"], name="account_name_key_exact"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.set_name_key()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key", "name_prefix"}
        super().save(*args, **kwargs)

    def set_name_key(self) -> None:
        """Derive name_key / name_prefix from the name (save() calls it; bulk writers call it per row)."""
        self.name_key = normalise_name(self.name)
        self.name_prefix = self.name_key[:PREFIX_LENGTH]


class AccountMember(models.Model):
    """A collaborator on an account (客户协作人, issue 15 §9), like a deal's team: `read` sees the account,
    its contacts and its activities; `write` may also change it. Visibility reads it
    (kadence.core.visibility.visible_accounts, through the (user, account) index)."""

    class Access(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_memberships"
    )
    role = models.CharField(_("role"), max_length=100, blank=True, default="")
    access = models.CharField(_("access"), max_length=5, choices=Access.choices, default=Access.READ)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("account collaborator")
        verbose_name_plural = _("account collaborators")
        ordering = ["account_id", "added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="account_member_unique")]
        indexes = [models.Index(fields=["user", "account"], name="account_member_user")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account_id}"


class Contact(models.Model):
    """A person at an account, with the personal profile the methodology asks for (§11.1) and
    their part in buying decisions (§4): buying roles, attitude towards us, influence."""

    class BuyingRole(models.TextChoices):
        ECONOMIC = "economic", _("Economic buyer")
        USER_BUYER = "user_buyer", _("User buyer")
        TECHNICAL = "technical", _("Technical buyer")
        COACH = "coach", _("Coach")
        DECISION_MAKER = "decision_maker", _("Decision maker")
        ADVISOR = "advisor", _("Advisor")
        PURCHASER = "purchaser", _("Purchaser")
        IMPLEMENTER = "implementer", _("Implementer")
        INFLUENCER = "influencer", _("Influencer")
        USER = "user", _("User")

    class Attitude(models.TextChoices):
        SUPPORT = "support", _("Supports us")
        NEUTRAL = "neutral", _("Neutral")
        OPPOSE = "oppose", _("Opposes us")

    class Influence(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    ambitions = models.TextField(_("ambitions"), blank=True)
    character = models.TextField(_("character"), blank=True)
    preferences = models.TextField(_("preferences"), blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    buying_roles = models.JSONField(_("buying roles"), default=list, blank=True)
    attitude = models.CharField(
        _("attitude"), max_length=10, choices=Attitude.choices, default=Attitude.NEUTRAL
    )
    influence = models.CharField(
        _("influence"), max_length=10, choices=Influence.choices, default=Influence.MEDIUM
    )
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["account_id", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name

    def buying_role_labels(self) -> list[str]:
        labels = dict(self.BuyingRole.choices)
        return [str(labels.get(code, code)) for code in self.buying_roles]
