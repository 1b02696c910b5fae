"""Where the parts of the rhythm meet (imported once by RhythmConfig.ready, in the web server and the
worker alike): each part's figures feed the others through their registries —

- the notification service (kadence.rhythm.notify.sources) reminds of the 1-15-30 items and of the
  weekly plans' items not yet done;
- the 1x1 pack (kadence.rhythm.pack.sections) shows activities vs quota, plan vs actual and the 1-15-30
  items of the week;
- the effort leaderboard (kadence.rhythm.quotas.effort) counts plans kept and 1-15-30 items on time;
- the approval inbox (kadence.rhythm.inbox.selectors) lists the team's overdue 1-15-30 items.

The parts never import each other for this; only this module knows them all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.models import User
from kadence.core.visibility import visible_cadence_items
from kadence.rhythm.cadence import selectors as cadence
from kadence.rhythm.cadence.models import CadenceItem
from kadence.rhythm.inbox import selectors as inbox
from kadence.rhythm.notify.sources import register as register_source
from kadence.rhythm.pack.sections import Section
from kadence.rhythm.pack.sections import register as register_section
from kadence.rhythm.plans import selectors as plans
from kadence.rhythm.quotas import selectors as quotas
from kadence.rhythm.quotas.effort import EffortColumn, register_column

ROWS_SHOWN = 15  # rows listed per block of a pack section; the counts cover all of them

# --- reminders -----------------------------------------------------------------------------------------

register_source("cadence", cadence.cadence_due)
register_source("plan_item", plans.planned_due)


# --- the 1x1 pack ----------------------------------------------------------------------------------------


def plan_context(rep: User, week_start: date, viewer: User) -> dict[str, Any]:
    """Plan vs actual of the pack's week (the viewer may read the rep: the pack checked it)."""
    week = plans.plan_vs_actual(rep, week_start)
    return {
        "plan_url": reverse("rhythm_plan_detail", args=[week.plan.pk]) if week.plan else "",
        "planned": week.planned,
        "kept": week.kept_count,
        "kept_pct": None if week.kept_rate is None else round(week.kept_rate * 100),
        "missed_count": len(week.missed),
        "unplanned_count": len(week.unplanned),
        "missed": [
            {
                "day": row.item.day,
                "kind": row.item.get_kind_display(),
                "account": row.item.account.name,
                "goal": row.item.goal,
                "due": row.due,
            }
            for row in week.missed[:ROWS_SHOWN]
        ],
        "unplanned": [
            {"date": a.date, "kind": a.get_kind_display(), "account": a.account.name, "subject": a.subject}
            for a in week.unplanned[:ROWS_SHOWN]
        ],
    }


def _item_row(item: CadenceItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.get_kind_display(),
        "subject": cadence.subject_name(item),
        "due_on": item.due_on,
        "status": item.get_status_display(),
    }


def cadence_context(rep: User, week_start: date, viewer: User) -> dict[str, Any]:
    """The rep's 1-15-30 items: overdue before the week, due in it, recorded in it."""
    week = cadence.items_for_rep(rep, week_start)
    return {
        "url": reverse("rhythm_cadence"),
        "overdue_count": len(week.overdue),
        "due_count": len(week.due),
        "done_count": len(week.done),
        "overdue": [_item_row(i) for i in week.overdue[:ROWS_SHOWN]],
        "due": [_item_row(i) for i in week.due[:ROWS_SHOWN]],
        "done": [_item_row(i) for i in week.done[:ROWS_SHOWN]],
    }


def quota_context(rep: User, week_start: date, viewer: User) -> dict[str, Any]:
    """Activities vs quota over the pack's week (Monday to Sunday)."""
    return {"rows": quotas.rep_attainment(rep, week_start, week_start + timedelta(days=6))}


register_section(
    Section("activities", _("Activities vs quota"), "rhythm/pack/_activities.html", quota_context, 35)
)
register_section(Section("plans", _("Plan vs actual"), "rhythm/pack/_plans.html", plan_context, 40))
register_section(Section("cadence", _("1-15-30 items"), "rhythm/pack/_cadence.html", cadence_context, 45))


# --- the effort leaderboard --------------------------------------------------------------------------------


def _rate(pairs: dict[int, tuple[int, int]]) -> dict[int, Any]:
    """(of, done) per rep → the percentage done (reps with nothing due have no figure)."""
    return {uid: round(done * 100 / of) for uid, (of, done) in pairs.items() if of}


def plans_kept_pct(user_ids: Sequence[int], start: date, end: date) -> dict[int, Any]:
    return _rate(plans.plans_kept(user_ids, start, end))


def cadence_on_time_pct(user_ids: Sequence[int], start: date, end: date) -> dict[int, Any]:
    return _rate(cadence.on_time(user_ids, start, end))


register_column(
    EffortColumn(
        "plans_kept",
        _("Plans kept"),
        _("Planned items of the period kept by a done activity of their week (plan vs actual rule), in %."),
        plans_kept_pct,
        kind="percent",
        total="mean",
    )
)
register_column(
    EffortColumn(
        "cadence_on_time",
        _("1-15-30 on time"),
        _("1-15-30 items due in the period recorded on or before their due date, in %."),
        cadence_on_time_pct,
        kind="percent",
        total="mean",
    )
)


# --- the approval inbox ---------------------------------------------------------------------------------


def overdue_cadence(user: User) -> inbox.InboxList:
    """The 1-15-30 items of the lead's reps past their due date (not the lead's own): each needs the
    rep's follow-up or judgement, and the lead's push. Two queries."""
    rows = (
        visible_cadence_items(user)
        .filter(cadence.LIVE, status=cadence.OPEN, due_on__lt=timezone.localdate())
        .exclude(rep_id=user.pk)
    )
    shown = rows.select_related("review__opportunity", "review__account", "rep").order_by("due_on", "id")
    base = reverse("rhythm_cadence")
    items = [
        {
            "id": item.pk,
            "kind": item.get_kind_display(),
            "subject": cadence.subject_name(item),
            "rep": item.rep.display_name or item.rep.username,
            "due_on": item.due_on,
            "url": f"{base}?state=overdue&rep_id={item.rep_id}#item-{item.pk}",
        }
        for item in shown[: inbox.LIMIT]
    ]
    return inbox.InboxList("cadence", str(_("Overdue 1-15-30 items")), rows.count(), items)


# in place, before the slot of targets (the lists show in this order)
_targets = inbox.KINDS.pop("targets")
inbox.KINDS["cadence"] = overdue_cadence
inbox.KINDS["targets"] = _targets
