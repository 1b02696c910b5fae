"""KPI writes: an admin edits the KPI definitions (each change kept as a version); a manager enters the
manual inputs of their sellers; a manager, director or admin (or the nightly job) scores a period into
stored scorecards. Atomic, audited, versioned."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes, diff
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.visibility import SELLER_ROLES, Scope, is_admin, is_seller, quota_sellers, resolve_scope
from kadence.domain import kpi as dk
from kadence.domain.periods import Period, period_containing
from kadence.performance.kpi.measures import Measure, measure
from kadence.performance.kpi.models import (
    Curve,
    GradeBand,
    KpiDefinition,
    KpiDefinitionVersion,
    KpiManualInput,
    KpiMetric,
    Scorecard,
    ScorecardLine,
    ScoringPeriod,
)

DEFINITION_FIELDS = (
    "name_zh",
    "name_en",
    "metric",
    "weight",
    "target",
    "curve",
    "floor",
    "sort_order",
    "is_active",
)
MAX_FIGURE = Decimal("9999999999")


def scoring_period(kind: str, day: date) -> Period:
    """The month or quarter holding `day` (422 for another kind)."""
    if kind not in ScoringPeriod.values:
        raise ValidationFailed(
            _("Choose month or quarter."), {"period": [_("Choose month or quarter.")]}, code="bad_period"
        )
    return period_containing(kind, day)  # type: ignore[arg-type]


def can_score(user: User) -> bool:
    """Managers, directors and admins score periods (each the sellers of their reach)."""
    return not is_seller(user) and (is_admin(user) or user.role in (User.Role.MANAGER, User.Role.DIRECTOR))


# --- definitions -----------------------------------------------------------------------------------


def _decimal(value: Any, field: str, *, low: Decimal = Decimal(0), high: Decimal = MAX_FIGURE) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(_("Enter a number."), {field: [_("Enter a number.")]}) from exc
    if not number.is_finite() or not low <= number <= high:
        raise ValidationFailed(_("Out of range."), {field: [_("Out of range.")]})
    return number.quantize(dk.CENT)


def _clean_definition(values: dict[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "metric" in clean and clean["metric"] not in KpiMetric.values:
        raise ValidationFailed(_("Unknown metric."), {"metric": [_("Choose one of the metrics.")]})
    if "curve" in clean and clean["curve"] not in Curve.values:
        raise ValidationFailed(_("Unknown scoring curve."), {"curve": [_("Choose a curve.")]})
    for name, high in (("weight", Decimal(1000)), ("target", MAX_FIGURE), ("floor", Decimal(100))):
        if name in clean:
            clean[name] = _decimal(clean[name], name, high=high)
    for name in ("name_zh", "name_en"):
        if name in clean and not str(clean[name]).strip():
            raise ValidationFailed(_("Give the KPI a name."), {name: [_("This field is required.")]})
    return clean


def _snapshot(definition: KpiDefinition) -> dict[str, Any]:
    return {
        "role": definition.role,
        "code": definition.code,
        **{f: str(getattr(definition, f)) for f in DEFINITION_FIELDS},
    }


def keep_version(definition: KpiDefinition, actor: User | None) -> None:
    KpiDefinitionVersion.objects.create(
        definition=definition, version=definition.version, values=_snapshot(definition), changed_by=actor
    )


def _require_admin(user: User) -> None:
    if not is_admin(user):
        raise PermissionDenied(_("Only an admin configures the KPIs."))


@transaction.atomic
def kpi_definition_create(user: User, *, role: str, code: str, **values: Any) -> KpiDefinition:
    """A new KPI for a role (a code used twice in a role is a 409 `duplicate`)."""
    _require_admin(user)
    if role not in User.Role.values:
        raise ValidationFailed(_("Unknown role."), {"role": [_("Choose a role.")]})
    clean = _clean_definition({"curve": Curve.LINEAR, "floor": 0, **values})
    missing = [f for f in ("name_zh", "name_en", "metric", "weight", "target") if f not in clean]
    if missing:
        raise ValidationFailed(
            _("Some fields are missing."), {f: [_("This field is required.")] for f in missing}
        )
    try:
        with transaction.atomic():
            definition = KpiDefinition.objects.create(role=role, code=code, **clean)
    except IntegrityError as exc:
        raise Conflict(_("This role already has a KPI with this code."), code="duplicate") from exc
    keep_version(definition, user)
    audit_changes(
        "performance.kpidefinition", definition.pk, {k: (None, v) for k, v in clean.items()}, user, "created"
    )
    return definition


@transaction.atomic
def kpi_definition_update(user: User, definition_id: int, *, version: int, **values: Any) -> KpiDefinition:
    """Change a KPI (`version` as read; 409 when stale). The version before stays in the history, and
    the cards already scored keep the figures they were scored with."""
    _require_admin(user)
    version = require_version(version)
    unknown = set(values) - set(DEFINITION_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationFailed(
            _("Field %(field)s cannot be set here.") % {"field": name}, {name: [_("Not editable.")]}
        )
    definition = KpiDefinition.objects.select_for_update().filter(pk=definition_id).first()
    if definition is None:
        raise NotFound(_("Unknown KPI."))
    clean = _clean_definition(values)
    changes = diff(definition, clean)
    versioned_update(definition, version, clean)
    keep_version(definition, user)
    audit_changes("performance.kpidefinition", definition.pk, changes, user)
    return definition


# --- manual inputs ---------------------------------------------------------------------------------


def _seller_in_reach(user: User, seller_id: int) -> User:
    """A seller the user leads (or any, for an admin); NotFound otherwise; a seller may not enter."""
    if is_seller(user):
        raise PermissionDenied(_("Only a manager enters KPI figures."))
    scope = resolve_scope(user, owner_id=seller_id)
    assert scope.owner is not None
    return scope.owner


@transaction.atomic
def kpi_input_set(
    user: User,
    *,
    seller_id: int,
    definition_id: int,
    period: str,
    day: date,
    value: Any,
    note: str = "",
    version: int | None = None,
) -> KpiManualInput:
    """Enter (or change: give the `version` read, 409 when stale) a manual KPI figure of a seller for a
    month or quarter. Audited."""
    seller = _seller_in_reach(user, seller_id)
    when = scoring_period(period, day)
    definition = KpiDefinition.objects.filter(pk=definition_id).first()
    if definition is None or not definition.is_manual:
        raise ValidationFailed(
            _("This KPI is measured by Kadence, not entered."), {"definition_id": [_("Choose a manual KPI.")]}
        )
    figure = _decimal(value, "value", low=-MAX_FIGURE)
    note = str(note or "")[:500]
    row = (
        KpiManualInput.objects.select_for_update()
        .filter(user=seller, definition=definition, period_kind=when.kind, period_start=when.start)
        .first()
    )
    if row is None:
        try:
            with transaction.atomic():
                row = KpiManualInput.objects.create(
                    user=seller,
                    definition=definition,
                    period_kind=when.kind,
                    period_start=when.start,
                    value=figure,
                    note=note,
                    entered_by=user,
                )
        except IntegrityError as exc:
            raise Conflict(_("Someone entered this figure at the same moment; reload it.")) from exc
        audit_changes(
            "performance.kpimanualinput", row.pk, {"value": (None, figure), "note": (None, note)}, user
        )
        return row
    if version is None:
        raise Conflict(
            _("This figure was already entered; change it with the version you read."),
            current_version=row.version,
        )
    clean = {"value": figure, "note": note, "entered_by": user, "entered_at": timezone.now()}
    changes = diff(row, {"value": figure, "note": note})
    versioned_update(row, require_version(version), clean)
    audit_changes("performance.kpimanualinput", row.pk, changes, user)
    return row


# --- scoring ---------------------------------------------------------------------------------------


def _line_actual(
    definition: KpiDefinition, measured: dict[str, Measure], manual: dict[int, Decimal]
) -> Measure:
    if definition.is_manual:
        value = manual.get(definition.pk)
        return Measure(value, {"entered": None if value is None else str(value)})
    found = measured.get(definition.metric)
    if found is None or found.actual is None:
        return Measure(None, found.inputs if found else {})
    return Measure(found.actual.quantize(dk.CENT), found.inputs)


@transaction.atomic
def scorecards_compute(
    actor: User | None, *, period: str, day: date, unit_id: int | None = None, owner_id: int | None = None
) -> int:
    """Score the month or quarter holding `day` for the sellers of the actor's reach (or the unit /
    seller chosen; the nightly job, with no actor, scores every seller): each card is written again
    from Kadence's data, the manual inputs and the KPIs in force. The number of cards written. A fixed
    number of queries whatever the number of sellers."""
    when = scoring_period(period, day)
    if actor is None:
        scope = Scope()
    else:
        if not can_score(actor):
            raise PermissionDenied(_("Only a manager, a director or an admin scores a period."))
        scope = resolve_scope(actor, unit_id=unit_id, owner_id=owner_id)
    people = list(quota_sellers(scope).filter(role__in=SELLER_ROLES).order_by("pk"))
    ids = [p.pk for p in people]
    by_role: dict[str, list[KpiDefinition]] = defaultdict(list)
    for definition in KpiDefinition.objects.filter(is_active=True, role__in={p.role for p in people}):
        by_role[definition.role].append(definition)
    bands = [dk.Band(code, low) for code, low in GradeBand.objects.values_list("code", "min_score")]
    band_data = [{"code": b.code, "min_score": str(b.min_score)} for b in bands]
    manual: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for uid, def_id, value in KpiManualInput.objects.filter(
        user_id__in=ids, period_kind=when.kind, period_start=when.start
    ).values_list("user_id", "definition_id", "value"):
        manual[uid][def_id] = value
    measured = measure(people, when)
    existing = {
        c.user_id: c
        for c in Scorecard.objects.select_for_update().filter(
            user_id__in=ids, period_kind=when.kind, period_start=when.start
        )
    }
    ScorecardLine.objects.filter(scorecard__in=list(existing.values())).delete()
    now = timezone.now()
    cards: list[tuple[Scorecard, list[ScorecardLine]]] = []
    for person in people:
        definitions = by_role.get(person.role, [])
        if not definitions:
            continue
        actuals = [_line_actual(d, measured.get(person.pk, {}), manual[person.pk]) for d in definitions]
        result = dk.score_card(
            [
                dk.Line(d.weight, d.target, d.curve, d.floor, d.lower_is_better, m.actual)
                for d, m in zip(definitions, actuals, strict=True)
            ],
            bands,
        )
        card = existing.get(person.pk) or Scorecard(
            user=person, period_kind=when.kind, period_start=when.start, version=0
        )
        card.role, card.unit_id, card.period_end = person.role, person.org_unit_id, when.end
        card.total, card.grade, card.bands = result.total, result.grade, band_data
        card.computed_at, card.computed_by, card.version = now, actor, card.version + 1
        lines = [
            ScorecardLine(
                definition=d,
                definition_version=d.version,
                code=d.code,
                name_zh=d.name_zh,
                name_en=d.name_en,
                metric=d.metric,
                weight=d.weight,
                target=d.target,
                curve=d.curve,
                floor=d.floor,
                lower_is_better=d.lower_is_better,
                actual=m.actual,
                inputs=m.inputs,
                score=s,
                points=p,
                sort_order=i,
            )
            for i, (d, m, s, p) in enumerate(
                zip(definitions, actuals, result.scores, result.points, strict=True)
            )
        ]
        cards.append((card, lines))
    stale = [c for c, _lines in cards if c.pk is not None]
    Scorecard.objects.bulk_create([c for c, _lines in cards if c.pk is None])
    Scorecard.objects.bulk_update(
        stale,
        ["role", "unit", "period_end", "total", "grade", "bands", "computed_at", "computed_by", "version"],
    )
    for card, lines in cards:
        for line in lines:
            line.scorecard = card
    ScorecardLine.objects.bulk_create([line for _card, lines in cards for line in lines])
    return len(cards)


def scoring_due(today: date) -> list[Period]:
    """The periods the nightly job scores: the month and the quarter holding yesterday (on the first
    day of a month, that closes the month before)."""
    yesterday = today - timedelta(days=1)
    return [period_containing("month", yesterday), period_containing("quarter", yesterday)]
