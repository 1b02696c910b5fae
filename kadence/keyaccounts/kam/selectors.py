"""KAM reads: the stages with their checklists, an account's KAM card (stage, ticks, changes, surveys) and
the accounts of a scope by stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Prefetch, QuerySet

from kadence.accounts.models import Account
from kadence.core.models import User
from kadence.core.visibility import Scope, access_account, resolve_scope, scoped_accounts
from kadence.keyaccounts.kam.models import (
    AccountKam,
    CsiQuestion,
    CsiSurvey,
    KamChecklistItem,
    KamStage,
    KamStageChange,
    KamTick,
)

HISTORY = 50


def stages() -> list[KamStage]:
    """The stages in order, each with its active checklist items."""
    return list(
        KamStage.objects.order_by("order").prefetch_related(
            Prefetch(
                "items", queryset=KamChecklistItem.objects.filter(is_active=True).order_by("order", "id")
            )
        )
    )


def questions() -> list[CsiQuestion]:
    return list(CsiQuestion.objects.filter(is_active=True).order_by("order", "id"))


@dataclass
class KamCard:
    account: Account
    kam: AccountKam | None
    stages: list[KamStage]
    ticked: dict[int, KamTick]
    changes: list[KamStageChange]
    surveys: list[CsiSurvey]
    questions: list[CsiQuestion]

    @property
    def version(self) -> int:
        return self.kam.version if self.kam else 0

    @property
    def stage(self) -> KamStage | None:
        if self.kam is None or self.kam.stage_id is None:
            return None
        return next((s for s in self.stages if s.pk == self.kam.stage_id), None)


def card(user: User, account_id: int) -> KamCard:
    account = access_account(user, account_id, related=("owner",))
    kam = AccountKam.objects.filter(pk=account.pk).first()
    ticks = {t.item_id: t for t in KamTick.objects.filter(account=account).select_related("ticked_by")}
    changes = list(
        KamStageChange.objects.filter(account=account)
        .select_related("from_stage", "to_stage", "changed_by")
        .order_by("-changed_at", "-id")[:HISTORY]
    )
    surveys = list(
        CsiSurvey.objects.filter(account=account)
        .select_related("recorded_by")
        .prefetch_related("answers__question")
        .order_by("-surveyed_on", "-id")[:HISTORY]
    )
    return KamCard(account, kam, stages(), ticks, changes, surveys, questions())


def board(
    user: User, *, unit_id: int | None = None, owner_id: int | None = None, stage: str | None = None
) -> tuple[Scope, QuerySet[Account], dict[str, int]]:
    """The accounts of the scope (visible to `user`) with a KAM record, the latest stage first, and the
    count per stage code ("" for accounts with a record but no stage)."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    base = scoped_accounts(user, scope).filter(kam__isnull=False)
    counts: dict[str, int] = {}
    for row in base.order_by().values("kam__stage__code").annotate(n=Count("pk")):
        counts[row["kam__stage__code"] or ""] = row["n"]
    qs = base.select_related("kam__stage", "owner").order_by(
        F("kam__stage__order").desc(nulls_last=True), "name", "pk"
    )
    if stage:
        qs = qs.filter(kam__stage__code=stage)
    return scope, qs, counts


def csi_figure(surveys: list[CsiSurvey], title: str) -> dict[str, Any]:
    ordered = sorted(surveys, key=lambda s: (s.surveyed_on, s.pk))
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": title,
                "x": [s.surveyed_on.isoformat() for s in ordered],
                "y": [float(s.csi) for s in ordered],
            }
        ],
        "layout": {"height": 280, "yaxis": {"title": {"text": title}, "range": [0, 100]}},
    }
