"""The demo's 1x1 review pack: the north-1 manager reviewed the rep with the most open deals last week,
wrote notes and agreed two actions — one done since, one still open, so it carries over into this
week's pack. Written through the pack's services (kadence.rhythm.pack.services)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from kadence.core.models import User
from kadence.core.visibility import sellers_q
from kadence.pipeline.models import Opportunity
from kadence.rhythm.pack import services


def load_demo_rhythm_pack() -> int:
    """Returns the number of actions written (0 when the demo has no such manager or rep)."""
    manager = User.objects.filter(username="manager.north1").first()
    if manager is None or manager.org_unit_id is None:
        return 0
    busiest = (
        Opportunity.objects.filter(
            sellers_q("owner__"), status="open", owner__org_unit_id=manager.org_unit_id
        )
        .values("owner_id")
        .annotate(n=Count("id"))
        .order_by("-n", "owner_id")
        .first()
    )
    if busiest is None:
        return 0
    rep = User.objects.get(pk=busiest["owner_id"])
    today = timezone.localdate()
    last_week = today - timedelta(days=today.weekday() + 7)
    services.note_save(
        manager,
        rep.pk,
        last_week,
        text="漏斗中段偏空：本周至少两个新商机进入“确认需求”。\n最大的单子下周约见总工，确认预算。",
    )
    done = services.action_add(
        manager,
        rep.pk,
        last_week,
        text="补齐前三大商机的竞争对手信息",
        owner_id=rep.pk,
        due_on=last_week + timedelta(days=4),
    )
    services.action_mark(rep, done.pk, version=done.version)
    services.action_add(
        manager,
        rep.pk,
        last_week,
        text="约见总工，确认预算和时间表",
        owner_id=rep.pk,
        due_on=today + timedelta(days=3),
    )
    return 2
