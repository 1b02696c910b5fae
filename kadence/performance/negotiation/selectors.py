"""Reads of the target negotiations (三上三下, issue 14 §2): the list, one negotiation with every round of
every unit the reader may see, the bottom-up figure Kadence would support for a unit, what waits for a
user (the approval inbox's "targets" list), and the export.

The bottom-up figure of a unit for the grid's year, as of today (kadence.domain.negotiation.bottom_up):

- booked: the unit's deals won in the year (the quota position's figure);
- expected pipeline: what its open deals are expected to bring in the year — the time-aware model's
  expected value where it has history, else the weighted pipeline closing in the year (the quota position's
  `expected`, kadence.performance.position.selectors);
- new business: what deals not created yet brought in comparable past years — the mean of the forecast
  model's new-business samples (kadence.insights.selectors.probabilistic.new_business; none when the
  history covers no past year).

Reads of a negotiation are a fixed number of queries whatever the number of rounds and units."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.errors import NotFound
from kadence.core.export import Column
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import (
    can_answer_negotiation,
    can_manage_grid,
    negotiation_parties_q,
    resolve_scope,
    visible_negotiations,
)
from kadence.domain import negotiation as rules
from kadence.insights.selectors.probabilistic import new_business
from kadence.performance.negotiation.models import Negotiation, NegotiationFigure, NegotiationParty
from kadence.performance.position.selectors import PositionRow, position_report
from kadence.planning.models import ForecastPolicy


@dataclass(frozen=True)
class BottomUp:
    booked: Decimal
    pipeline: Decimal
    new_business: Decimal
    source: str  # "time_aware" or "weighted"

    @property
    def total(self) -> Decimal:
        return rules.bottom_up(self.booked, self.pipeline, self.new_business)


def year_day(year: int) -> date:
    """The day whose year the figures are read for: today in the grid's year, else its first day."""
    today = timezone.localdate()
    return today if today.year == year else date(year, 1, 1)


def _from_row(row: PositionRow, source: str, extra: Decimal) -> BottomUp:
    return BottomUp(row.position.booked, row.expected, extra, source)


def bottom_up_figures(user: User, root: OrgUnit, year: int, unit_ids: list[int]) -> dict[int, BottomUp]:
    """The bottom-up figure of each unit of `unit_ids` (units right below `root`) as `user` reads it: one
    quota-position report of the root when `user` reaches it (its units one level down), else one per unit
    in their reach; plus one new-business aggregate per unit. Units out of their reach are left out."""
    policy = ForecastPolicy.current()
    today = timezone.localdate()
    found: dict[int, BottomUp] = {}
    wanted = set(unit_ids)
    reports: list[tuple[Any, list[PositionRow]]] = []
    try:
        report = position_report(user, period_kind="year", day=year_day(year), unit_id=root.pk, page_size=1)
        reports.append((report, [r for r in report.units if r.id in wanted]))
    except NotFound:
        for unit_id in unit_ids:
            if not can_answer_negotiation(user, unit_id):
                continue
            try:
                one = position_report(
                    user, period_kind="year", day=year_day(year), unit_id=unit_id, page_size=1
                )
            except NotFound:
                continue
            reports.append((one, [one.total]))
    for report, rows in reports:
        for row in rows:
            key = row.id if row.kind == "unit" else (report.scope.unit.pk if report.scope.unit else None)
            if key is None:
                continue
            scope = report.scope if row.kind == "total" else resolve_scope(user, unit_id=key)
            extra = rules.mean_cents(new_business(scope, report.period, today, policy))
            found[key] = _from_row(row, report.source, extra)
    return found


# --- reading a negotiation -------------------------------------------------------------------------


def negotiation_list(user: User) -> QuerySet[Negotiation]:
    return visible_negotiations(user).select_related("grid", "root").order_by("-opened_at", "-pk")


def access_negotiation(user: User, negotiation_id: int) -> Negotiation:
    found = visible_negotiations(user).select_related("grid", "root").filter(pk=negotiation_id).first()
    if found is None:
        raise NotFound(_("Negotiation not found."))
    return found


@dataclass
class PartyView:
    party: NegotiationParty
    name: str
    rounds: list[NegotiationFigure] = field(default_factory=list)
    can_answer: bool = False

    @property
    def current(self) -> NegotiationFigure | None:
        return self.rounds[-1] if self.rounds else None


@dataclass
class NegotiationView:
    negotiation: Negotiation
    parties: list[PartyView]
    can_manage: bool
    rounds: list[int]

    @property
    def gaps_closed(self) -> int:
        """Units of the current round within the threshold."""
        threshold = self.negotiation.gap_threshold
        return sum(
            1
            for p in self.parties
            if p.current is not None and rules.within(p.current.proposed, p.current.committed, threshold)
        )


def negotiation_view(user: User, negotiation: Negotiation) -> NegotiationView:
    """A negotiation with every round of the units `user` reads (three queries)."""
    parties = NegotiationParty.objects.filter(negotiation=negotiation).select_related("unit")
    rule = negotiation_parties_q(user)
    if rule is not None:
        parties = parties.filter(rule)
    views = {
        p.pk: PartyView(p, str(p.unit), can_answer=can_answer_negotiation(user, p.unit_id))
        for p in parties.order_by("position")
    }
    figures = NegotiationFigure.objects.filter(negotiation=negotiation, party_id__in=list(views)).order_by(
        "party_id", "round"
    )
    for fig in figures:
        views[fig.party_id].rounds.append(fig)
    return NegotiationView(
        negotiation,
        list(views.values()),
        can_manage_grid(user, negotiation.root),
        list(range(1, negotiation.round + 1)),
    )


def timeline_figure(view: NegotiationView) -> dict[str, Any]:
    """Plotly: per unit, the top's proposals (solid) and the unit's commitments (dotted) round by round,
    one colour per unit."""
    data: list[dict[str, Any]] = []
    for i, party in enumerate(view.parties):
        group = f"u{party.party.unit_id}"
        color = f"hsl({(i * 67) % 360}, 60%, 42%)"
        rounds = [f.round for f in party.rounds]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{party.name} · {_('Proposed')}",
                "legendgroup": group,
                "x": rounds,
                "y": [str(f.proposed) for f in party.rounds],
                "line": {"color": color},
            }
        )
        answered = [f for f in party.rounds if f.committed is not None]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{party.name} · {_('Committed')}",
                "legendgroup": group,
                "x": [f.round for f in answered],
                "y": [str(f.committed) for f in answered],
                "line": {"color": color, "dash": "dot"},
                "marker": {"symbol": "diamond"},
            }
        )
    return {
        "data": data,
        "layout": {
            "height": 320,
            "xaxis": {
                "title": {"text": _("Round")},
                "dtick": 1,
                "range": [0.7, view.negotiation.max_rounds + 0.3],
            },
            "yaxis": {"title": {"text": _("Year target")}, "rangemode": "tozero"},
            "legend": {"orientation": "h"},
        },
    }


def negotiation_sheet(view: NegotiationView) -> tuple[list[Column], list[list[Any]]]:
    """Every round of every unit shown: the export."""
    columns = [
        Column(_("Unit")),
        Column(_("Round"), kind="int"),
        Column(_("Proposed"), kind="money"),
        Column(_("Committed"), kind="money"),
        Column(_("Gap %"), kind="number"),
        Column(_("Bottom-up"), kind="money"),
        Column(_("Booked"), kind="money"),
        Column(_("Expected pipeline"), kind="money"),
        Column(_("New business"), kind="money"),
        Column(_("Note")),
        Column(_("Final figure"), kind="money"),
    ]
    rows = [
        [
            party.name,
            f.round,
            f.proposed,
            f.committed,
            f.gap_pct,
            f.bottom_up,
            f.booked,
            f.pipeline,
            f.new_business,
            f.note,
            party.party.final,
        ]
        for party in view.parties
        for f in party.rounds
    ]
    return columns, rows


# --- what waits for a user ------------------------------------------------------------------------


def waiting_for(user: User, limit: int = 50) -> tuple[int, list[dict[str, Any]]]:
    """Negotiations waiting for `user`: answers of the units they lead (managed units, the current round
    not answered yet) and the top's turn (adjust, or approve once settled) on those they opened or whose
    root unit they manage. One query (the current round's figures: a unit's own for an answer, the first
    unit's for the top's turn), and a count only past `limit`."""
    managed = user.managed_units.values("pk")
    answers = Q(
        negotiation__status=Negotiation.Status.ANSWERING, committed__isnull=True, party__unit_id__in=managed
    )
    turns = Q(
        negotiation__status__in=[Negotiation.Status.ADJUSTING, Negotiation.Status.SETTLED], party__position=0
    ) & (Q(negotiation__opened_by=user) | Q(negotiation__root_id__in=managed))
    rows = (
        NegotiationFigure.objects.filter(round=F("negotiation__round"))
        .filter(answers | turns)
        .select_related("negotiation__grid", "negotiation__root", "party__unit")
        .order_by("negotiation__opened_at", "pk")
    )
    labels: dict[str, tuple[str, str]] = {
        Negotiation.Status.ANSWERING: ("answer", _("Answer with a committed figure")),
        Negotiation.Status.ADJUSTING: ("adjust", _("Adjust your proposals")),
        Negotiation.Status.SETTLED: ("approve", _("Approve the settled figures")),
    }
    items: list[dict[str, Any]] = []
    for fig in rows[:limit]:
        n = fig.negotiation
        action, label = labels[n.status]
        url = reverse("performance_negotiation", args=[n.pk])
        answering = action == "answer"
        items.append(
            {
                "id": n.pk,
                "action": action,
                "action_label": label,
                "unit": str(fig.party.unit) if answering else str(n.root),
                "root": str(n.root),
                "year": n.grid.year,
                "round": n.round,
                "proposed": fig.proposed if answering else None,
                "url": f"{url}#unit-{fig.party.unit_id}" if answering else url,
            }
        )
    return (len(items) if len(items) < limit else rows.count()), items


def unit_totals(view: NegotiationView) -> dict[str, Decimal]:
    """Sum of the current round's proposals and commitments (for the page's totals row)."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for party in view.parties:
        if party.current is not None:
            sums["proposed"] += party.current.proposed
            if party.current.committed is not None:
                sums["committed"] += party.current.committed
    return dict(sums)
