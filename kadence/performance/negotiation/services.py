"""Writes of the target negotiations (三上三下, issue 14 §2; rules in kadence.domain.negotiation):

- open: the top (whoever may manage the grid, kadence.core.visibility.can_manage_grid) opens a
  negotiation on a draft grid of an additive measure; round 1 holds the top's proposed year figure for
  every unit right below the root (default: the unit's year in the grid). A proposal sets the unit's row
  in the grid (the year spread over its months by the grid's rule, kadence.domain.grid.set_period);
- answer: a unit's lead (can_answer_negotiation) answers the current round with a committed figure;
  Kadence stores the bottom-up figure it would support beside it. When every unit has answered, the
  round ends: agreed (every gap within the threshold: the committed figures), imposed (last round: the
  top's figures) — both "settled" — or the top's turn to adjust;
- propose: the top's adjustment opens the next round;
- close: the top applies the final figures to the grid — each unit's year spread over its months, then
  down to the sellers (kadence.domain.grid.spread_down), the root row the sum of the rows below — and
  approves the grid through kadence.performance.grid.services.grid_approve (the target of record).

Every write is atomic and audited ("performance.negotiation", and the grid's own entries), locks the
negotiation (and the grid rows it changes) and names the version it read (409 when stale)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes, audit_many
from kadence.core.concurrency import require_version
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_money, clean_text
from kadence.core.visibility import (
    can_answer_negotiation,
    can_configure_negotiation,
    can_manage_grid,
    negotiation_parties_q,
    visible_negotiations,
)
from kadence.domain import grid as grid_rules
from kadence.domain import negotiation as rules
from kadence.performance.grid import services as grid_services
from kadence.performance.grid.models import MONTH_FIELDS, GridRow, TargetGrid
from kadence.performance.negotiation.models import (
    Negotiation,
    NegotiationFigure,
    NegotiationParty,
    NegotiationPolicy,
)
from kadence.performance.negotiation.selectors import bottom_up_figures

ENTITY = "performance.negotiation"
FIGURE = "performance.negotiationfigure"
POLICY = "performance.negotiationpolicy"


def _access(user: User, negotiation_id: int) -> Negotiation:
    found = (
        visible_negotiations(user)
        .select_related("grid", "root")
        .select_for_update(of=("self",))
        .filter(pk=negotiation_id)
        .first()
    )
    if found is None:
        raise NotFound(_("Negotiation not found."))
    return found


def _check_version(negotiation: Negotiation, version: Any) -> None:
    require_version(version)
    if negotiation.version != version:
        raise Conflict(
            _("This negotiation was changed by someone else; reload it."),
            code="stale",
            current_version=negotiation.version,
        )


def _bump(
    negotiation: Negotiation, user: User, changes: dict[str, tuple[Any, Any]], reason: str = ""
) -> None:
    """Save the negotiation's changed fields with its version bumped (it is locked), and audit them."""
    now = timezone.now()
    for name, (_old, new) in changes.items():
        setattr(negotiation, name, new)
    negotiation.version += 1
    negotiation.updated_at = now
    Negotiation.objects.filter(pk=negotiation.pk).update(
        version=F("version") + 1, updated_at=now, **{k: v for k, (_o, v) in changes.items()}
    )
    audit_changes(ENTITY, negotiation.pk, changes, user, reason)


def _proposals(
    parties: list[NegotiationParty], given: Mapping[Any, Any] | None, default: dict[int, Decimal]
) -> dict[int, Decimal]:
    """The proposed year figure of each party: given per unit id (money, ≥ 0), else `default`."""
    given = dict(given or {})
    ids = {p.unit_id for p in parties}
    unknown = [str(k) for k in given if k not in ids]
    if unknown:
        raise ValidationFailed(
            _("These units do not take part in the negotiation: %(ids)s") % {"ids": ", ".join(unknown)},
            {"proposals": [_("Name the units right below the grid's unit.")]},
        )
    return {
        p.unit_id: clean_money(given[p.unit_id], "proposals") if p.unit_id in given else default[p.unit_id]
        for p in parties
    }


def _set_years(
    user: User, grid: TargetGrid, rows: dict[int, GridRow], years: dict[int, Decimal], reason: str
) -> int:
    """Set the year of each row (by row id) by the grid's spread rule; saved through the grid's writer."""
    before = {pk: row.months for pk, row in rows.items()}
    for pk, amount in years.items():
        row = rows[pk]
        if grid_rules.period_value(row.months, "Y") == amount:
            continue
        for name, value in zip(MONTH_FIELDS, grid_rules.set_period(row.months, "Y", amount), strict=True):
            setattr(row, name, value)
    return grid_services._save(user, grid, before, rows, reason)


def _snapshot(
    user: User,
    negotiation: Negotiation,
    figures: list[NegotiationFigure],
    parties: dict[int, NegotiationParty],
) -> None:
    """Store the bottom-up figure `user` reads for each figure's unit (those out of their reach: none)."""
    found = bottom_up_figures(
        user, negotiation.root, negotiation.grid.year, [parties[f.party_id].unit_id for f in figures]
    )
    for fig in figures:
        b = found.get(parties[fig.party_id].unit_id)
        if b is not None:
            fig.booked, fig.pipeline, fig.new_business = b.booked, b.pipeline, b.new_business
            fig.bottom_up, fig.pipeline_source = b.total, b.source


# --- open ------------------------------------------------------------------------------------------


@transaction.atomic
def negotiation_open(
    user: User,
    *,
    grid_id: int,
    version: int,
    proposals: Mapping[Any, Any] | None = None,
    note: str = "",
) -> Negotiation:
    """Open a negotiation on a draft grid (its `version` as read) with round 1's proposals per unit id
    (units right below the root; a unit left out is proposed its year in the grid)."""
    grid = grid_services.access_grid(user, grid_id, lock=True)
    require_version(version)
    if not can_manage_grid(user, grid.root):
        raise PermissionDenied(_("You may not negotiate the targets of this unit."))
    if grid.version != version:
        raise Conflict(
            _("This grid was changed by someone else; reload it."), code="stale", current_version=grid.version
        )
    if grid.status != TargetGrid.Status.DRAFT:
        raise ValidationFailed(
            _("Negotiate a draft grid: this one is approved."),
            {"grid_id": [_("Not a draft.")]},
            code="not_draft",
        )
    if not grid.additive:
        raise ValidationFailed(
            _("Rates (growth %, deal size) are not negotiated in rounds."),
            {"grid_id": [_("Choose a grid of an amount or a count.")]},
            code="not_additive",
        )
    if Negotiation.objects.filter(grid=grid).exclude(status=Negotiation.Status.CLOSED).exists():
        raise Conflict(_("This grid is already in negotiation."), code="duplicate")
    rows = {r.pk: r for r in GridRow.objects.filter(grid=grid).select_for_update().order_by("pk")}
    root_row = next((r for r in rows.values() if r.parent_id is None), None)
    below = sorted(
        (r for r in rows.values() if root_row is not None and r.parent_id == root_row.pk and r.unit_id),
        key=lambda r: r.position,
    )
    if not below:
        raise ValidationFailed(
            _("The grid's unit has no unit below it to negotiate with."),
            {"grid_id": [_("No unit below.")]},
            code="no_units",
        )
    policy = NegotiationPolicy.current()
    try:
        with transaction.atomic():
            negotiation = Negotiation.objects.create(
                grid=grid,
                root=grid.root,
                opened_by=user,
                max_rounds=policy.max_rounds,
                gap_threshold=policy.gap_threshold,
                note=clean_text(note, "note", 500, multiline=True).strip(),
            )
    except IntegrityError:
        raise Conflict(_("This grid is already in negotiation."), code="duplicate") from None
    parties = NegotiationParty.objects.bulk_create(
        [
            NegotiationParty(negotiation=negotiation, row=r, unit_id=cast(int, r.unit_id), position=i)
            for i, r in enumerate(below)
        ]
    )
    years = _proposals(
        parties, proposals, {p.unit_id: grid_rules.period_value(p.row.months, "Y") for p in parties}
    )
    row_of = {p.unit_id: p.row_id for p in parties}
    _set_years(
        user,
        grid,
        rows,
        {row_of[u]: amount for u, amount in years.items()},
        _("negotiation: round 1 proposed"),
    )
    by_pk = {p.pk: p for p in parties}
    figures = [
        NegotiationFigure(
            negotiation=negotiation, party=p, round=1, proposed=years[p.unit_id], proposed_by=user
        )
        for p in parties
    ]
    _snapshot(user, negotiation, figures, by_pk)
    NegotiationFigure.objects.bulk_create(figures)
    audit_changes(
        ENTITY,
        negotiation.pk,
        {
            "grid": (None, grid.pk),
            "status": (None, negotiation.status),
            "max_rounds": (None, negotiation.max_rounds),
            "gap_threshold": (None, negotiation.gap_threshold),
        },
        user,
    )
    _audit_figures(user, figures, "proposed", _("round 1 proposed"))
    return negotiation


def _audit_figures(user: User, figures: list[NegotiationFigure], name: str, reason: str) -> None:
    audit_many(FIGURE, {f.pk: {name: (None, getattr(f, name))} for f in figures}, user, reason)


# --- answer ----------------------------------------------------------------------------------------


@transaction.atomic
def negotiation_answer(
    user: User,
    negotiation_id: int,
    *,
    unit_id: int,
    committed: Any,
    version: int,
    note: str = "",
) -> NegotiationFigure:
    """A unit's committed figure for the current round (`version` is that unit's figure's, as read; an
    answer may be changed while the round waits for the others). The bottom-up figure Kadence supports is
    stored with it. The last answer of a round ends it (kadence.domain.negotiation.outcome)."""
    negotiation = _access(user, negotiation_id)
    require_version(version)
    amount = clean_money(committed, "committed")
    text = clean_text(note, "note", 500, multiline=True).strip()
    party = NegotiationParty.objects.filter(negotiation=negotiation, unit_id=unit_id).first()
    rule = negotiation_parties_q(user)
    if party is None or (
        rule is not None and not NegotiationParty.objects.filter(rule, pk=party.pk).exists()
    ):
        raise NotFound(_("This unit does not take part in the negotiation."))
    if not can_answer_negotiation(user, unit_id):
        raise PermissionDenied(_("Only the unit's lead answers for it."))
    if negotiation.status != Negotiation.Status.ANSWERING:
        raise Conflict(
            _("The round is not waiting for answers."), code="not_answering", status=negotiation.status
        )
    figures = {
        f.party_id: f
        for f in NegotiationFigure.objects.filter(
            negotiation=negotiation, round=negotiation.round
        ).select_for_update()
    }
    fig = figures[party.pk]
    if fig.version != version:
        raise Conflict(
            _("This answer was changed by someone else; reload it."),
            code="stale",
            current_version=fig.version,
        )
    old = fig.committed
    fig.committed, fig.committed_by, fig.committed_at, fig.note = amount, user, timezone.now(), text
    _snapshot(user, negotiation, [fig], {party.pk: party})
    fig.version += 1
    fig.save()
    audit_changes(
        FIGURE, fig.pk, {"committed": (old, amount), "bottom_up": (None, fig.bottom_up)}, user, text
    )
    lines = {pk: f.figures() for pk, f in figures.items()}
    result = rules.outcome(lines, negotiation.round, negotiation.policy())
    changes: dict[str, tuple[Any, Any]] = {}
    if result == rules.ADJUST:
        changes["status"] = (negotiation.status, Negotiation.Status.ADJUSTING)
    elif result in (rules.AGREED, rules.IMPOSED):
        changes["status"] = (negotiation.status, Negotiation.Status.SETTLED)
        changes["outcome"] = (negotiation.outcome, result)
        finals = rules.final_figures(lines, result)
        parties = list(NegotiationParty.objects.filter(negotiation=negotiation))
        for p in parties:
            p.final = finals[p.pk]
        NegotiationParty.objects.bulk_update(parties, ["final"])
        audit_many(ENTITY + "party", {p.pk: {"final": (None, p.final)} for p in parties}, user, result)
    _bump(negotiation, user, changes, _("round %(n)s answered") % {"n": negotiation.round})
    return fig


# --- propose (the top's adjustment) -----------------------------------------------------------------


@transaction.atomic
def negotiation_propose(
    user: User, negotiation_id: int, *, version: int, proposals: Mapping[Any, Any] | None = None
) -> Negotiation:
    """The top's adjustment: the next round's proposal per unit id (a unit left out keeps this round's
    proposal), after every unit answered with gaps left and rounds to go. Sets the units' rows."""
    negotiation = _access(user, negotiation_id)
    _check_version(negotiation, version)
    if not can_manage_grid(user, negotiation.root):
        raise PermissionDenied(_("Only who manages the grid adjusts the proposals."))
    if negotiation.status != Negotiation.Status.ADJUSTING:
        raise Conflict(
            _("It is not the top's turn to adjust."), code="not_adjusting", status=negotiation.status
        )
    grid = grid_services.access_grid(user, negotiation.grid_id, lock=True)
    parties = list(NegotiationParty.objects.filter(negotiation=negotiation).order_by("position"))
    last = {
        f.party_id: f
        for f in NegotiationFigure.objects.filter(negotiation=negotiation, round=negotiation.round)
    }
    years = _proposals(parties, proposals, {p.unit_id: last[p.pk].proposed for p in parties})
    rows = {
        r.pk: r
        for r in GridRow.objects.filter(pk__in=[p.row_id for p in parties]).select_for_update().order_by("pk")
    }
    nxt = negotiation.round + 1
    _set_years(
        user,
        grid,
        rows,
        {p.row_id: years[p.unit_id] for p in parties},
        _("negotiation: round %(n)s proposed") % {"n": nxt},
    )
    figures = [
        NegotiationFigure(
            negotiation=negotiation, party=p, round=nxt, proposed=years[p.unit_id], proposed_by=user
        )
        for p in parties
    ]
    _snapshot(user, negotiation, figures, {p.pk: p for p in parties})
    NegotiationFigure.objects.bulk_create(figures)
    _audit_figures(user, figures, "proposed", _("round %(n)s proposed") % {"n": nxt})
    _bump(
        negotiation,
        user,
        {"round": (negotiation.round, nxt), "status": (negotiation.status, Negotiation.Status.ANSWERING)},
    )
    return negotiation


# --- close -------------------------------------------------------------------------------------------


@transaction.atomic
def negotiation_close(user: User, negotiation_id: int, *, version: int) -> Negotiation:
    """Apply a settled negotiation's final figures to the grid and approve it (the target of record):
    each unit's year spread over its months and down to its sellers, the root row the sum below."""
    negotiation = _access(user, negotiation_id)
    _check_version(negotiation, version)
    if not can_manage_grid(user, negotiation.root):
        raise PermissionDenied(_("Only who manages the grid approves the outcome."))
    if negotiation.status != Negotiation.Status.SETTLED:
        raise Conflict(
            _("The negotiation has not settled yet."), code="not_settled", status=negotiation.status
        )
    grid = grid_services.access_grid(user, negotiation.grid_id, lock=True)
    rows = {r.pk: r for r in GridRow.objects.filter(grid=grid).select_for_update().order_by("pk")}
    parties = list(NegotiationParty.objects.filter(negotiation=negotiation).order_by("position"))
    parents = {pk: r.parent_id for pk, r in sorted(rows.items(), key=lambda kv: kv[1].position)}
    tree = grid_rules.children_of(parents)
    months = {pk: r.months for pk, r in rows.items()}
    for p in parties:
        if p.row_id in months and p.final is not None:
            months[p.row_id] = grid_rules.set_period(months[p.row_id], "Y", p.final)
            months.update(grid_rules.spread_down(tree, months, p.row_id))
    root_id = next(pk for pk, parent in parents.items() if parent is None)
    months.update(grid_rules.roll_up(tree, months, root_id))
    before = {pk: r.months for pk, r in rows.items()}
    for pk, values in months.items():
        for name, value in zip(MONTH_FIELDS, values, strict=True):
            setattr(rows[pk], name, value)
    grid_services._save(user, grid, before, rows, _("negotiation settled"))
    grid.refresh_from_db(fields=["version", "status"])
    grid_services.grid_approve(user, grid.pk, version=grid.version)
    _bump(
        negotiation,
        user,
        {
            "status": (negotiation.status, Negotiation.Status.CLOSED),
            "closed_by_id": (None, user.pk),
            "closed_at": (None, timezone.now()),
        },
    )
    return negotiation


# --- the rules ------------------------------------------------------------------------------------


@transaction.atomic
def policy_update(user: User, *, max_rounds: Any, gap_threshold: Any, version: int) -> NegotiationPolicy:
    """Set the rounds at most (1–9) and the agreed gap (a fraction, 0 ≤ gap < 1: 0.05 is 5 %): an admin's.
    Negotiations already open keep the rules they opened with."""
    if not can_configure_negotiation(user):
        raise PermissionDenied(_("Only an admin sets the negotiation rules."))
    require_version(version)
    NegotiationPolicy.current()
    policy = NegotiationPolicy.objects.select_for_update().get(pk=1)
    if policy.version != version:
        raise Conflict(
            _("The rules were changed by someone else; reload them."),
            code="stale",
            current_version=policy.version,
        )
    errors: dict[str, list[str]] = {}
    if (
        isinstance(max_rounds, bool)
        or not isinstance(max_rounds, int)
        or not 1 <= max_rounds <= rules.MAX_ROUNDS_LIMIT
    ):
        errors["max_rounds"] = [_("Between 1 and 9.")]
    try:
        threshold = Decimal(str(gap_threshold))
        if (
            not threshold.is_finite()
            or not Decimal(0) <= threshold < 1
            or threshold != threshold.quantize(Decimal("0.0001"))
        ):
            raise ValueError
    except (ValueError, ArithmeticError):
        errors["gap_threshold"] = [_("A fraction from 0 to below 1, four decimals at most (0.05 is 5 %).")]
    if errors:
        raise ValidationFailed(_("Check the rules."), errors)
    changes = {
        k: (getattr(policy, k), v)
        for k, v in (("max_rounds", max_rounds), ("gap_threshold", threshold))
        if getattr(policy, k) != v
    }
    if changes:
        NegotiationPolicy.objects.filter(pk=1).update(
            version=F("version") + 1,
            updated_at=timezone.now(),
            updated_by=user,
            **{k: v for k, (_o, v) in changes.items()},
        )
        audit_changes(POLICY, 1, changes, user)
    policy.refresh_from_db()
    return policy
