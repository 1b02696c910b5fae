"""Where the performance parts meet the pages below them (imported once by PerformanceConfig.ready): the
home page's slot of the quota position (kadence.insights.home_slots) — a seller's own V值 card; a lead's
scope total with the number of sellers below 1; and the attainment strip (the dashboard's month, quarter and
year against target: a seller's own, a lead's units)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from kadence.core.models import User
from kadence.insights.home_slots import HomeSlot, register
from kadence.performance.dashboard.selectors import KINDS, attainment_strip
from kadence.performance.position.selectors import position_report


def position_slot(user: User, today: date) -> dict[str, Any] | None:
    """The quota position of the current quarter: a seller's own; a lead's scope with its flagged sellers.
    Nothing for someone with no seller and no unit in reach (then nothing has a quota)."""
    report = position_report(user, page_size=1)
    if report.scope.owner is None and not report.rows and report.total.position.quota is None:
        return None
    return {
        "row": report.total,
        "period": report.period,
        "source_text": report.source_text,
        "flagged": None if report.scope.owner is not None else report.flagged,
        "url": reverse("performance_position"),
    }


register(HomeSlot("quota_position", "performance/position/_home.html", position_slot, order=10))


# --- the approval inbox's "targets" list (kadence.rhythm.inbox.selectors.KINDS) ----------------------------

from kadence.performance.negotiation.selectors import waiting_for  # noqa: E402
from kadence.rhythm.inbox import selectors as inbox  # noqa: E402


def targets_in_negotiation(user: User) -> inbox.InboxList:
    """Target negotiations waiting for `user`: answers for the units they lead, and the top's turn
    (adjust, or approve once settled) — kadence.performance.negotiation.selectors.waiting_for."""
    count, items = waiting_for(user, limit=inbox.LIMIT)
    return inbox.InboxList("targets", str(inbox.targets_in_negotiation(user).title), count, items)


inbox.register_kind("targets", targets_in_negotiation)


def attainment_slot(user: User, today: date) -> dict[str, Any] | None:
    """The attainment strip (issue 14 §8): a seller's own month, quarter and year against target; a lead's
    scope with its units (or its team's sellers). Nothing for someone with nothing in reach. A fixed
    number of queries (kadence.performance.dashboard.selectors.attainment_strip)."""
    found = attainment_strip(user, today)
    if found is None:
        return None
    level, total, rows = found
    shown = [total, *rows]
    if total.year.booked == 0 and not any(r.of(k).target is not None for r in shown for k in KINDS):
        return None  # no target and nothing booked this year: nothing to show
    return {"level": level, "total": total, "rows": rows, "url": reverse("performance_dashboard")}


register(HomeSlot("attainment_strip", "performance/dashboard/_home.html", attainment_slot, order=5))
