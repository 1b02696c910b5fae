"""Forecast writes (METHODOLOGY §9.3–§9.4): a seller submits their forecast for a period, a manager or
director adjusts it with a reason, every submission and adjustment is kept forever with a snapshot of
the figures behind it; the scheduled snapshot of every seller and unit; the rolling 4-week order
forecast. Atomic and audited; submissions are never changed or deleted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.validation import clean_money, clean_text
from kadence.core.visibility import can_lead, in_scope, sellers_q
from kadence.domain import forecast as fc
from kadence.domain.periods import Period, next_week_starts, week_start
from kadence.pipeline.models import Opportunity
from kadence.planning.models import ForecastSnapshot, ForecastSubmission, OrderForecast
from kadence.planning.selectors.forecast import (
    deals_behind,
    forecast_period,
    period_groups,
    records_for,
    unit_calls,
)

ENTITY = "planning.forecastsubmission"
ORDER_ENTITY = "planning.orderforecast"


def _money(value: Any, field: str) -> Decimal:
    return clean_money(value, field)


def _open_period(period: Period, today: date) -> None:
    if period.end < today:
        raise ValidationFailed(
            _("This period is over; its forecasts can no longer change."),
            {"period_start": [_("Choose the current or a later period.")]},
            code="period_over",
        )


def _figures(totals: fc.CategoryTotals) -> dict[str, Any]:
    return {
        "booked": totals.booked.amount,
        "commit": totals.commit.amount,
        "best_case": totals.best_case.amount,
        "pipeline": totals.pipeline.amount,
        "weighted": totals.weighted,
    }


def _seller_totals(user: User, period: Period, today: date) -> fc.CategoryTotals:
    totals = fc.CategoryTotals()
    for group in period_groups(Opportunity.objects.filter(owner_id=user.pk), period, today):
        totals = totals + group.totals
    return totals


def _snapshot(user: User, period: Period, today: date, totals: fc.CategoryTotals, forecast: Decimal) -> None:
    ForecastSnapshot.objects.create(
        source=ForecastSnapshot.Source.SUBMISSION,
        taken_on=today,
        user=user,
        unit=None,
        period_kind=period.kind,
        period_start=period.start,
        next_quarter=totals.next_quarter.amount,
        forecast=forecast,
        open_count=totals.open_count,
        **_figures(totals),
    )


@transaction.atomic
def forecast_submit(
    user: User,
    *,
    period_kind: str | None = None,
    period_start: date | None = None,
    forecast: Any = None,
    reason: str = "",
) -> ForecastSubmission:
    """A seller submits their forecast (their call) for the current or a later period: `forecast`
    defaults to booked + commit of their deals; the category sums, the weighted pipeline and the
    deals behind it are recorded with it, and a snapshot (source "submission") is written."""
    today = timezone.localdate()
    period = forecast_period(period_kind, period_start, today)
    _open_period(period, today)
    if not user.org_unit_id:
        raise ValidationFailed(
            _("You are not placed in a team; an admin must place you before you can submit."), code="no_team"
        )
    reason = clean_text(reason, "reason", 500, multiline=True).strip()
    totals = _seller_totals(user, period, today)
    call = totals.commit_call if forecast is None or forecast == "" else _money(forecast, "forecast")
    submission = ForecastSubmission.objects.create(
        kind=ForecastSubmission.Kind.SUBMISSION,
        user=user,
        unit_id=user.org_unit_id,
        period_kind=period.kind,
        period_start=period.start,
        forecast=call,
        reason=reason,
        deals=deals_behind(user, period, today),
        submitted_by=user,
        **_figures(totals),
    )
    audit_changes(ENTITY, submission.pk, {"forecast": (None, call)}, user, reason)
    _snapshot(user, period, today, totals, call)
    return submission


@transaction.atomic
def forecast_adjust(user: User, submission_id: int, *, forecast: Any, reason: str) -> ForecastSubmission:
    """A manager or director adjusts the latest submission of a seller in their scope, with a reason
    (never their own forecast). The adjustment is a new row (`adjusts` the submission); the seller's
    forecast of record becomes it. A submission that is no longer the seller's latest answers 409."""
    today = timezone.localdate()
    submission = (
        ForecastSubmission.objects.select_related("user")
        .select_for_update()
        .filter(pk=submission_id, kind=ForecastSubmission.Kind.SUBMISSION)
        .first()
    )
    if submission is None or not (submission.user_id == user.pk or in_scope(user, submission.unit_id)):
        raise NotFound(_("Forecast submission not found."))
    if submission.user_id == user.pk:
        raise PermissionDenied(_("You cannot adjust your own forecast; your manager can."))
    if not can_lead(user):
        raise PermissionDenied(_("Only a manager or director can adjust a forecast."))
    period = Period(submission.period_kind, submission.period_start)  # type: ignore[arg-type]
    _open_period(period, today)
    reason = clean_text(reason, "reason", 500, multiline=True).strip()
    if not reason:
        raise ValidationFailed(
            _("Say why you adjust this forecast."), {"reason": [_("This field is required.")]}
        )
    call = _money(forecast, "forecast")
    latest = (
        ForecastSubmission.objects.filter(
            user_id=submission.user_id,
            kind=ForecastSubmission.Kind.SUBMISSION,
            period_kind=period.kind,
            period_start=period.start,
        )
        .order_by("-submitted_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    if latest != submission.pk:
        raise Conflict(_("The seller has submitted a newer forecast; adjust that one."), latest_id=latest)
    adjustment = ForecastSubmission.objects.create(
        kind=ForecastSubmission.Kind.ADJUSTMENT,
        user_id=submission.user_id,
        unit_id=submission.unit_id,
        period_kind=period.kind,
        period_start=period.start,
        booked=submission.booked,
        commit=submission.commit,
        best_case=submission.best_case,
        pipeline=submission.pipeline,
        weighted=submission.weighted,
        forecast=call,
        adjusts=submission,
        reason=reason,
        submitted_by=user,
    )
    audit_changes(ENTITY, submission.pk, {"forecast": (submission.forecast, call)}, user, reason)
    _snapshot(submission.user, period, today, _seller_totals(submission.user, period, today), call)
    return adjustment


# --- scheduled snapshots ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRun:
    period: Period
    taken_on: date
    created: int
    skipped: int


def forecast_snapshot_take(*, taken_on: date, period_kind: str = "quarter") -> SnapshotRun:
    """One scheduled snapshot per seller and per org unit of the period holding `taken_on`, from the
    deals as they stand now (won deals count up to `taken_on`). Idempotent per day: a seller or unit
    that already has its scheduled snapshot of that day is skipped, never updated.

    A unit's figures are the sums over the deals of its subtree (by the deal's team); its forecast is
    the sum of its sellers' forecasts of record (booked + commit for sellers without one), or empty when
    none of its sellers has submitted. Four queries and one bulk insert, whatever the size."""
    period = forecast_period(period_kind, taken_on, taken_on)
    existing = set(
        ForecastSnapshot.objects.filter(
            source=ForecastSnapshot.Source.SCHEDULED,
            taken_on=taken_on,
            period_kind=period.kind,
            period_start=period.start,
        ).values_list("user_id", "unit_id")
    )
    groups = period_groups(Opportunity.objects.all(), period, taken_on)
    records = records_for(period, Q())
    sellers = set(
        User.objects.filter(sellers_q(), is_active=True, org_unit__isnull=False).values_list("id", flat=True)
    )
    sellers |= {g.owner_id for g in groups} | set(records)
    paths = dict(OrgUnit.objects.values_list("id", "path"))

    def chain(unit_id: int) -> list[int]:
        """The unit and its ancestors (from the materialised path)."""
        path = paths.get(unit_id) or ""
        return [int(part) for part in path.strip("/").split("/") if part] or [unit_id]

    per_seller: dict[int, fc.CategoryTotals] = defaultdict(fc.CategoryTotals)
    per_unit: dict[int, fc.CategoryTotals] = defaultdict(fc.CategoryTotals)
    for group in groups:
        per_seller[group.owner_id] = per_seller[group.owner_id] + group.totals
        for unit_id in chain(group.team_id):
            per_unit[unit_id] = per_unit[unit_id] + group.totals
    unit_call: dict[int, Decimal] = defaultdict(lambda: fc.ZERO)
    for team_id, call in unit_calls(groups, records).items():
        for unit_id in chain(team_id):
            unit_call[unit_id] += call
    recorded = {unit_id for r in records.values() for unit_id in chain(r.unit_id)}

    common = {
        "source": ForecastSnapshot.Source.SCHEDULED,
        "taken_on": taken_on,
        "period_kind": period.kind,
        "period_start": period.start,
    }
    rows = []
    for user_id in sorted(sellers):
        if (user_id, None) not in existing:
            totals = per_seller.get(user_id, fc.CategoryTotals())
            record = records.get(user_id)
            rows.append(
                ForecastSnapshot(
                    user_id=user_id,
                    unit=None,
                    forecast=record.forecast if record else None,
                    next_quarter=totals.next_quarter.amount,
                    open_count=totals.open_count,
                    **common,
                    **_figures(totals),
                )
            )
    for unit_id in sorted(paths):
        if (None, unit_id) not in existing:
            totals = per_unit.get(unit_id, fc.CategoryTotals())
            rows.append(
                ForecastSnapshot(
                    unit_id=unit_id,
                    user=None,
                    forecast=unit_call[unit_id] if unit_id in recorded else None,
                    next_quarter=totals.next_quarter.amount,
                    open_count=totals.open_count,
                    **common,
                    **_figures(totals),
                )
            )
    created = ForecastSnapshot.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return SnapshotRun(period, taken_on, len(created), len(existing))


# --- rolling 4-week order forecast ------------------------------------------------------------------------


@transaction.atomic
def order_forecast_save(
    user: User, amounts: Mapping[date, Any], *, today: date | None = None
) -> list[OrderForecast]:
    """The user's forecast of orders for the next four weeks, made this week (`made_on` = this
    Monday). Saving again in the same week replaces this week's figures (audited); last week's stay
    as they were. Weeks not among the next four are refused."""
    today = today or timezone.localdate()
    made_on = week_start(today)
    allowed = next_week_starts(today)
    if not amounts:
        raise ValidationFailed(
            _("Enter the orders you expect for at least one week."), {"weeks": [_("This field is required.")]}
        )
    wrong = [w for w in amounts if w not in allowed]
    if wrong:
        raise ValidationFailed(
            _("Forecast the four weeks after this one (weeks start on Monday)."),
            {"weeks": [_("Not one of the next four weeks: %(w)s") % {"w": wrong[0]}]},
        )
    values = {w: _money(v, f"week_{w.isoformat()}") for w, v in amounts.items()}
    current = {
        f.week_start: f
        for f in OrderForecast.objects.select_for_update().filter(
            user_id=user.pk, made_on=made_on, week_start__in=list(values)
        )
    }
    saved = []
    for week in sorted(values):  # one order of rows, so two saves cannot deadlock
        row = current.get(week)
        if row is None:
            try:
                with transaction.atomic():
                    saved.append(
                        OrderForecast.objects.create(
                            user=user, made_on=made_on, week_start=week, amount=values[week]
                        )
                    )
                continue
            except IntegrityError:
                # A parallel save created this week's row first (its INSERT held the key until it
                # committed): replace its figure like any second save of the week.
                row = OrderForecast.objects.select_for_update().get(
                    user_id=user.pk, made_on=made_on, week_start=week
                )
        if row.amount != values[week]:
            audit_changes(ORDER_ENTITY, row.pk, {"amount": (row.amount, values[week])}, user)
            row.amount = values[week]
            row.save(update_fields=["amount"])
        saved.append(row)
    return saved
