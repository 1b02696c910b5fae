"""The pack's own sections (METHODOLOGY §10.5): funnel changes since last week, moved / stalled /
slipped deals, forecast vs last submission, V值 and quota position, expense warnings. Each reuses the
report that already answers it (kadence.insights, kadence.planning, kadence.deals) for the rep as the
viewer may see them; none recomputes a report of its own. Each context is plain data (see sections)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.models import User
from kadence.core.visibility import Scope, resolve_scope
from kadence.deals.selectors.expenses import expense_alerts
from kadence.domain import forecast as fc
from kadence.domain.periods import Period, PeriodKind, period_containing
from kadence.domain.vvalue import days_remaining, quota_position
from kadence.insights.selectors import changes
from kadence.insights.selectors.changes import State, pipeline_changes
from kadence.insights.selectors.stalled import reason_text, stalled_report
from kadence.pipeline.models import Opportunity, Stage
from kadence.planning.selectors.forecast import records_for, scope_period_groups
from kadence.planning.selectors.targets import target_for
from kadence.rhythm.pack.pdf import text
from kadence.rhythm.pack.sections import Section, Table, memo, register

QUOTA_PERIOD: PeriodKind = (
    "quarter"  # the period of the quota, the forecast and V值: the quarter holding the week
)
DEALS_SHOWN = 10  # deals listed per kind (moved, stalled, slipped); the counts cover all of them


def week_end(week_start: date) -> date:
    return week_start + timedelta(days=6)


def as_of(week_start: date) -> date:
    """The day a pack's figures are for: the week's Sunday, or today during the week."""
    return min(week_end(week_start), timezone.localdate())


def quota_period(week_start: date) -> Period:
    return period_containing(QUOTA_PERIOD, as_of(week_start))


def _window(week_start: date) -> tuple[date, date]:
    """From the end of the Sunday before the week to the end of its as-of day."""
    return week_start - timedelta(days=1), as_of(week_start)


# --- funnel changes since last week -------------------------------------------------------------


def changes_context(rep: User, week_start: date, viewer: User) -> dict[str, Any]:
    date_from, date_to = _window(week_start)
    report = pipeline_changes(viewer, owner_id=rep.pk, date_from=date_from, date_to=date_to, page_size=1)
    return {
        "date_from": report.date_from,
        "date_to": report.date_to,
        "bars": [
            {"code": b.code, "label": b.label, "sign": b.sign, "count": b.count, "amount": b.amount}
            for b in report.bars
        ],
    }


# --- moved / stalled / slipped deals --------------------------------------------------------------


def _stage_name(stages: dict[int, Stage], state: State | None) -> str:
    found = stages.get(state.stage_id) if state is not None else None
    return found.name if found is not None else ""


def _moves(viewer: User, rep: User, week_start: date) -> dict[str, dict[str, Any]]:
    """The rep's deals that moved forward, moved back or slipped (close date pushed out) in the week,
    classified by the "what changed" report's own rules (kadence.insights.selectors.changes: its window
    check, the deals' states at both ends, its classification), in one pass over the history instead of
    one report per bar; the largest deals first, DEALS_SHOWN of each."""
    today = timezone.localdate()
    date_from, date_to = changes.window(*_window(week_start), today)
    scope = resolve_scope(viewer, owner_id=rep.pk)
    rows = changes.deal_states(scope, date_from, date_to, today)
    stages = {s.pk: s for s in Stage.objects.all()}
    order = {pk: s.order for pk, s in stages.items()}
    found: dict[str, list[tuple[int, State | None, State | None]]] = {b: [] for b in MOVE_BARS.values()}
    for opp_id, (before, after, _now) in rows.items():
        for code in changes.classify(before, after, order):
            if code in found:
                found[code].append((opp_id, before, after))
    shown = {
        code: sorted(items, key=lambda i: (-changes.shown_amount(i[1], i[2]), i[0]))[:DEALS_SHOWN]
        for code, items in found.items()
    }
    ids = sorted({opp_id for items in shown.values() for opp_id, _b, _a in items})
    deals = Opportunity.objects.select_related("account").only("pk", "name", "account__name").in_bulk(ids)
    result: dict[str, dict[str, Any]] = {}
    for key, code in MOVE_BARS.items():
        result[key] = {
            "count": len(found[code]),
            "deals": [
                {
                    "id": opp_id,
                    "name": deals[opp_id].name,
                    "account": deals[opp_id].account.name,
                    "amount": changes.shown_amount(before, after),
                    "stage_before": _stage_name(stages, before),
                    "stage_after": _stage_name(stages, after),
                    "close_before": before.close if before else None,
                    "close_after": after.close if after else None,
                }
                for opp_id, before, after in shown[code]
                if opp_id in deals
            ],
        }
    return result


MOVE_BARS = {"moved_forward": "moved_forward", "moved_back": "moved_back", "slipped": "pushed_out"}


def deals_context(rep: User, week_start: date, viewer: User) -> dict[str, Any]:
    stalled = stalled_report(viewer, owner_id=rep.pk, page_size=DEALS_SHOWN, as_of=as_of(week_start))
    return {
        **_moves(viewer, rep, week_start),
        "stalled": {
            "count": stalled.counts["total"],
            "deals": [
                {
                    "id": row.opp.pk,
                    "name": row.opp.name,
                    "account": row.opp.account.name,
                    "amount": row.opp.amount,
                    "stage": row.opp.stage.name,
                    "days_stalled": row.days_stalled,
                    "reasons": [reason_text(r) for r in row.reasons],
                }
                for row in stalled.page.items
            ],
        },
    }


# --- forecast vs last submission -------------------------------------------------------------------


def _period_totals(rep: User, period: Period, day: date) -> fc.CategoryTotals:
    """The rep's deals in the period by forecast category (the forecast report's own roll-up), read
    once per pack (the forecast and the quota sections share it)."""
    return memo(
        ("period_totals", rep.pk, period, day),
        lambda: fc.totals_sum(g.totals for g in scope_period_groups(Scope(owner=rep), period, day)),
    )


def forecast_context(rep: User, week_start: date, viewer: User) -> dict[str, Any]:
    period = quota_period(week_start)
    day = as_of(week_start)
    now = _period_totals(rep, period, day)
    record = records_for(period, Q(user_id=rep.pk)).get(rep.pk)
    figures = ("booked", "commit", "best_case", "pipeline")
    current = {name: now.figure(name).amount for name in figures}
    current["weighted"] = now.weighted
    current["forecast"] = now.commit_call
    submitted: dict[str, Any] | None = None
    if record is not None:
        s = record.submission
        submitted = {
            "id": s.pk,
            "submitted_at": s.submitted_at,
            "booked": s.booked,
            "commit": s.commit,
            "best_case": s.best_case,
            "pipeline": s.pipeline,
            "weighted": s.weighted,
            "forecast": s.forecast,
            "adjusted": record.adjustment.forecast if record.adjustment else None,
            "of_record": record.forecast,
        }
    rows = [
        {
            "code": name,
            "label": str(LABELS[name]),
            "now": current[name],
            "submitted": submitted[name] if submitted else None,
            "delta": current[name] - submitted[name] if submitted else None,
        }
        for name in (*figures, "weighted")
    ]
    return {
        "period_label": period.label,
        "period_start": period.start,
        "rows": rows,
        "submission": submitted,
        "call_now": current["forecast"],
    }


LABELS = {
    "booked": _("Booked"),
    "commit": _("Commit"),
    "best_case": _("Best case"),
    "pipeline": _("Pipeline"),
    "weighted": _("Weighted"),
}


# --- V值 and quota position ----------------------------------------------------------------------


def quota_context(rep: User, week_start: date, viewer: User) -> dict[str, Any]:
    period = quota_period(week_start)
    day = as_of(week_start)
    totals = _period_totals(rep, period, day)
    quota = target_for(Scope(owner=rep), period.kind, period.start)
    position = quota_position(quota, totals.booked.amount, totals.open_amount)
    return {
        "period_label": period.label,
        "days_left": days_remaining(period.start, period.end, day),
        "quota": position.quota,
        "booked": position.booked,
        "remaining_quota": position.remaining_quota,
        "remaining_opportunity": position.remaining_opportunity,
        "remaining_opportunity_weighted": totals.weighted,
        "open_count": totals.open_count,
        "v": position.v,
        "met": position.met,
        "below_one": position.below_one,
        "attainment": position.attainment,
    }


# --- expense warnings ------------------------------------------------------------------------------


def expenses_context(rep: User, week_start: date, viewer: User) -> dict[str, Any]:
    # the rep's own open deals (expense_alerts counts a seller's own deals); the viewer reads the pack
    alerts = expense_alerts(rep, limit=DEALS_SHOWN)
    return {
        "alerts": [
            {
                "id": a.opp_id,
                "name": a.name,
                "account": a.account,
                "state": a.state,
                "budget": a.usage.budget,
                "spent": a.usage.spent,
                "used_pct": a.usage.used_pct,
            }
            for a in alerts
        ]
    }


# --- the sections on paper (kadence.rhythm.pack.pdf) ------------------------------------------------


def _t(value: Any) -> str:
    return text(value)


def changes_pdf(ctx: dict[str, Any]) -> list[Table]:
    rows = [[str(_("Change")), str(_("Deals")), str(_("Amount"))]]
    rows += [[b["label"], _t(b["count"]), _t(b["amount"])] for b in ctx["bars"]]
    return [(f"{_t(ctx['date_from'])} → {_t(ctx['date_to'])}", rows)]


def deals_pdf(ctx: dict[str, Any]) -> list[Table]:
    tables: list[Table] = []
    for key, caption in (
        ("moved_forward", _("Moved forward")),
        ("moved_back", _("Moved back")),
        ("slipped", _("Slipped (close date pushed out)")),
    ):
        block = ctx[key]
        rows = [[str(_("Opportunity")), str(_("Stage")), str(_("Close date")), str(_("Amount"))]]
        rows += [
            [
                f"{d['name']} · {d['account']}",
                f"{d['stage_before']} → {d['stage_after']}",
                f"{_t(d['close_before'])} → {_t(d['close_after'])}",
                _t(d["amount"]),
            ]
            for d in block["deals"]
        ]
        tables.append((f"{caption} ({block['count']})", rows))
    stalled = ctx["stalled"]
    rows = [[str(_("Opportunity")), str(_("Stage")), str(_("Days stalled")), str(_("Why"))]]
    rows += [
        [f"{d['name']} · {d['account']}", d["stage"], _t(d["days_stalled"]), "; ".join(d["reasons"])]
        for d in stalled["deals"]
    ]
    tables.append((f"{_('Stalled')} ({stalled['count']})", rows))
    return tables


def forecast_pdf(ctx: dict[str, Any]) -> list[Table]:
    rows = [[str(_("Figure")), str(_("Now")), str(_("Last submission")), str(_("Change"))]]
    rows += [[r["label"], _t(r["now"]), _t(r["submitted"]), _t(r["delta"])] for r in ctx["rows"]]
    sub = ctx["submission"]
    if sub:
        rows.append([str(_("Forecast of record")), _t(ctx["call_now"]), _t(sub["of_record"]), ""])
    return [(ctx["period_label"], rows)]


def quota_pdf(ctx: dict[str, Any]) -> list[Table]:
    rows = [
        [str(_("Quota")), _t(ctx["quota"])],
        [str(_("Booked")), _t(ctx["booked"])],
        [str(_("Remaining quota")), _t(ctx["remaining_quota"])],
        [str(_("Remaining opportunity")), _t(ctx["remaining_opportunity"])],
        [str(_("V值")), _t(ctx["v"]) + (" ⚠ < 1" if ctx["below_one"] else "")],
        [str(_("Days left")), _t(ctx["days_left"])],
    ]
    return [(ctx["period_label"], [[str(_("Figure")), str(_("Value"))], *rows])]


def expenses_pdf(ctx: dict[str, Any]) -> list[Table]:
    rows = [[str(_("Opportunity")), str(_("Budget")), str(_("Spent")), str(_("Used"))]]
    rows += [
        [f"{a['name']} · {a['account']}", _t(a["budget"]), _t(a["spent"]), f"{_t(a['used_pct'])} %"]
        for a in ctx["alerts"]
    ]
    return [("", rows)]


register(
    Section(
        "changes",
        _("Funnel changes since last week"),
        "rhythm/pack/_changes.html",
        changes_context,
        10,
        changes_pdf,
    )
)
register(
    Section(
        "deals",
        _("Moved, stalled and slipped deals"),
        "rhythm/pack/_deals.html",
        deals_context,
        20,
        deals_pdf,
    )
)
register(
    Section(
        "forecast",
        _("Forecast vs last submission"),
        "rhythm/pack/_forecast.html",
        forecast_context,
        30,
        forecast_pdf,
    )
)
register(
    Section("quota", _("V值 and quota position"), "rhythm/pack/_quota.html", quota_context, 50, quota_pdf)
)
register(
    Section(
        "expenses", _("Expense warnings"), "rhythm/pack/_expenses.html", expenses_context, 60, expenses_pdf
    )
)
