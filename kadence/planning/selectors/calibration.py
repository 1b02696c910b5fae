"""Calibration reads (METHODOLOGY §9.6, issue 4 item 8): the observed win rates counted from closed
history, the stored calibration of a process, and the probabilities reports use.

What is counted, per process template, over the deals of that template closed (won or lost) in the
policy's history window (closed_on in (as_of − ForecastPolicy.history_days, as_of]):

- **level**: every open rung of the ladder a deal held at some point before closing — a level on a
  stage-history row as `to_level` (entered with a move) or as `from_level` (held when the next move
  happened, which catches levels the checkpoints changed between moves). A deal counts once per
  level however often it held it. Configured = the level's probability.
- **stage**: every stage of the template a deal was in (a `to_stage` of its history; the closing
  "won" stage is not a bucket). Configured = the probability of the level a deal holds on entering
  the stage: the default level of the stage before it, the lowest rung for the first (a stage's own
  default level is earned by leaving it, METHODOLOGY §1d; kadence.pipeline.ladder.stage_entry_levels).
- **C139 band**: the band of the deal's latest C139 assessment (assessments can only be made while
  a deal is open, so this is the last one before it closed); deals never assessed are not counted.
  Configured = the band's lower bound.

Outcome = the deal's status now (won / lost). Everyone signed in may read these figures: they are
company-wide statistics with no deal data in them (kadence.core.visibility.can_read_calibration).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from kadence.core.errors import NotFound
from kadence.core.models import User
from kadence.core.visibility import can_read_calibration
from kadence.deals.models import C139Assessment
from kadence.domain import c139 as c139_domain
from kadence.domain import calibration as cal
from kadence.domain.periods import history_window_start
from kadence.pipeline.ladder import stage_entry_levels
from kadence.pipeline.models import Opportunity, ProbabilityLevel, ProcessTemplate, Stage, StageChange
from kadence.planning.models import Calibration, ForecastPolicy

LEVEL, STAGE, C139 = Calibration.Dimension.LEVEL, Calibration.Dimension.STAGE, Calibration.Dimension.C139
DIMENSIONS = (LEVEL, STAGE, C139)
CLOSED = (Opportunity.Status.WON, Opportunity.Status.LOST)
WON = Opportunity.Status.WON
_BANDS = c139_domain.BandRules()
BANDS: tuple[c139_domain.Band, ...] = (
    _BANDS.against,
    _BANDS.early,
    _BANDS.developing,
    _BANDS.rule_met,
    _BANDS.win,
)


def history_start(as_of: date, policy: ForecastPolicy) -> date:
    """The first day of the history window that ends on `as_of`: the funnel's window for the same
    setting (kadence.domain.periods.history_window_start, whole months)."""
    return history_window_start(as_of, policy.history_days)


def _closed_q(template_id: int, since: date, as_of: date, prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}template_id": template_id,
            f"{prefix}status__in": CLOSED,
            f"{prefix}closed_on__gte": since,
            f"{prefix}closed_on__lte": as_of,
        }
    )


def _distinct_counts(rows: Iterable[dict[str, int]], key: str, into: dict[int, list[int]]) -> None:
    for row in rows:
        counts = into.setdefault(row[key], [0, 0])
        counts[0] += row["outcomes"]
        counts[1] += row["won"]


def _bucket(key: str, counts: list[int], configured: Decimal | None) -> cal.BucketOutcomes:
    outcomes, won = counts
    return cal.BucketOutcomes(key, outcomes, won, configured=configured)


def calibration_counts(
    template_id: int, *, as_of: date, policy: ForecastPolicy | None = None
) -> dict[str, list[cal.BucketOutcomes]]:
    """Closed outcomes per bucket of one template (see the module docstring), every open level,
    every open stage of the template and every C139 band listed, with zero counts where nothing
    closed. Four grouped queries plus three small lists."""
    policy = policy or ForecastPolicy.current()
    since = history_start(as_of, policy)
    closed = _closed_q(template_id, since, as_of, "opportunity__")
    outcomes = Count("opportunity_id", distinct=True)
    won = Count("opportunity_id", distinct=True, filter=Q(opportunity__status=WON))
    open_rung = Q(is_won=False, is_lost=False)

    levels = list(ProbabilityLevel.objects.filter(open_rung).order_by("order"))
    by_level: dict[int, list[int]] = {}
    entered = (
        StageChange.objects.filter(closed, to_level__is_won=False, to_level__is_lost=False)
        .values("to_level_id")
        .annotate(outcomes=outcomes, won=won)
        .order_by()
    )
    _distinct_counts(entered, "to_level_id", by_level)
    # levels only ever seen as `from_level` (set by the checkpoints between moves): count a deal
    # here only when no row of it entered that level, so that no deal counts twice
    entered_same = StageChange.objects.filter(
        opportunity_id=OuterRef("opportunity_id"), to_level_id=OuterRef("from_level_id")
    )
    held = (
        StageChange.objects.filter(closed, from_level__is_won=False, from_level__is_lost=False)
        .filter(~Exists(entered_same))
        .values("from_level_id")
        .annotate(outcomes=outcomes, won=won)
        .order_by()
    )
    _distinct_counts(held, "from_level_id", by_level)

    stages = list(
        Stage.objects.filter(template_id=template_id, is_won=False)
        .select_related("default_level")
        .order_by("order")
    )
    entry = stage_entry_levels(stages, levels[0] if levels else None)
    by_stage: dict[int, list[int]] = {}
    _distinct_counts(
        StageChange.objects.filter(closed, to_stage__template_id=template_id, to_stage__is_won=False)
        .values("to_stage_id")
        .annotate(outcomes=outcomes, won=won)
        .order_by(),
        "to_stage_id",
        by_stage,
    )

    latest_band = Subquery(
        C139Assessment.objects.filter(opportunity_id=OuterRef("pk"))
        .order_by("-assessed_at", "-id")
        .values("band")[:1]
    )
    band_rows = (
        Opportunity.objects.filter(_closed_q(template_id, since, as_of))
        .annotate(latest_band=latest_band)
        .filter(latest_band__isnull=False)
        .values("latest_band")
        .annotate(outcomes=Count("id"), won=Count("id", filter=Q(status=WON)))
        .order_by()
    )
    by_band = {row["latest_band"]: (row["outcomes"], row["won"]) for row in band_rows}
    known = {band.code for band in BANDS}

    return {
        LEVEL: [_bucket(level.code, by_level.get(level.pk, [0, 0]), level.probability) for level in levels],
        STAGE: [
            _bucket(stage.code, by_stage.get(stage.pk, [0, 0]), entry[stage.pk].probability)
            for stage in stages
        ],
        C139: [
            cal.BucketOutcomes(band.code, *by_band.get(band.code, (0, 0)), configured=band.low)
            for band in BANDS
        ]
        + [
            cal.BucketOutcomes(code, *counts, configured=None)
            for code, counts in sorted(by_band.items())
            if code not in known
        ],
    }


# --- the probabilities reports use ---------------------------------------------------------------


class EffectiveProbability(NamedTuple):
    """The win probability (percent) a report uses for one level of one process, where it comes from
    ("configured" or "calibrated") and how many closed outcomes the level's observed rate rests on."""

    probability: Decimal
    source: str
    outcomes: int


def _template_id(template: ProcessTemplate | int) -> int:
    return template.pk if isinstance(template, ProcessTemplate) else int(template)


def effective_probabilities_for(
    templates: Iterable[ProcessTemplate | int] | None = None, policy: ForecastPolicy | None = None
) -> dict[int, dict[int, EffectiveProbability]]:
    """template id → level id → EffectiveProbability, for the given templates (default: all). Four
    queries whatever the number of templates."""
    wanted = None if templates is None else sorted({_template_id(t) for t in templates})
    qs = ProcessTemplate.objects.all() if wanted is None else ProcessTemplate.objects.filter(pk__in=wanted)
    switched = dict(qs.values_list("pk", "use_calibrated"))
    levels = list(ProbabilityLevel.objects.order_by("order").values_list("pk", "code", "probability"))
    minimum = (policy or ForecastPolicy.current()).calibration_min_outcomes
    stored: dict[tuple[int, str], tuple[int, int]] = {
        (t, key): (n, w)
        for t, key, n, w in Calibration.objects.filter(
            template_id__in=sorted(switched), dimension=LEVEL
        ).values_list("template_id", "key", "outcomes", "won")
    }
    result: dict[int, dict[int, EffectiveProbability]] = {}
    for template_id, use_calibrated in switched.items():
        row: dict[int, EffectiveProbability] = {}
        for level_id, code, configured in levels:
            outcomes, won = stored.get((template_id, code), (0, 0))
            probability, source = cal.effective_probability(
                configured, outcomes, won, min_outcomes=minimum, use_calibrated=use_calibrated
            )
            row[level_id] = EffectiveProbability(probability, str(source), outcomes)
        result[template_id] = row
    return result


def effective_probabilities(template: ProcessTemplate | int) -> dict[int, EffectiveProbability]:
    """level id → (probability %, "configured" | "calibrated", outcomes) for one process: the observed
    win rate where the process uses calibrated probabilities AND the level has at least
    ForecastPolicy.calibration_min_outcomes outcomes, the configured probability otherwise (always
    for Won and Lost). This is what every report calls to say which probabilities it used."""
    template_id = _template_id(template)
    found = effective_probabilities_for([template_id])
    if template_id not in found:
        raise NotFound(_("Unknown process template."))
    return found[template_id]


def probabilities_note(sources: Iterable[str]) -> str:
    """One sentence for a report: which probabilities it used."""
    used = set(sources)
    if used == {str(cal.Source.CALIBRATED)}:
        return _("Win probabilities: calibrated (observed win rates from closed history).")
    if str(cal.Source.CALIBRATED) in used:
        return _(
            "Win probabilities: calibrated where a level has enough closed outcomes, configured otherwise."
        )
    return _("Win probabilities: configured (the probability ladder).")


def used_level_codes(template_id: int) -> list[str]:
    """The open levels a process uses: the levels its open stages grant on leaving (their default
    levels) and on entering (the lowest rung for the first stage), and the levels its open deals hold
    now (the buckets a report of this process would read). Switching to calibrated probabilities needs
    enough outcomes in each of them."""
    open_rung = Q(is_won=False, is_lost=False)
    stage_levels = Stage.objects.filter(template_id=template_id, is_won=False).values("default_level_id")
    # entering a stage claims the default level of the one before it (a subset of the above), or the
    # lowest rung for the first stage
    lowest = ProbabilityLevel.objects.filter(open_rung).order_by("order", "id").values("pk")[:1]
    held = Opportunity.objects.filter(template_id=template_id, status=Opportunity.Status.OPEN).values(
        "level_id"
    )
    return list(
        ProbabilityLevel.objects.filter(open_rung)
        .filter(Q(pk__in=stage_levels) | Q(pk__in=held) | Q(pk__in=lowest))
        .order_by("order")
        .values_list("code", flat=True)
    )


# --- the calibration report ----------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationRow:
    """One bucket on the page / in the API: its label and the calibration figures (percentages; Brier
    on fractions); for levels also the probability reports use and its source."""

    key: str
    label: str
    outcomes: int
    won: int
    configured: Decimal | None
    observed: Decimal | None
    brier: Decimal | None
    enough: bool
    used: bool = False
    effective: Decimal | None = None
    source: str = ""


@dataclass(frozen=True)
class CalibrationReport:
    """The stored calibration of one process: tables per dimension, the pooled Brier per dimension,
    the switch state, and the level buckets a switch-on would need more outcomes in."""

    template: ProcessTemplate
    templates: list[ProcessTemplate]
    use_calibrated: bool
    min_outcomes: int
    history_days: int
    computed_at: datetime | None
    levels: list[CalibrationRow]
    stages: list[CalibrationRow]
    bands: list[CalibrationRow]
    brier: dict[str, Decimal | None]
    short: list[CalibrationRow]
    note: str

    @property
    def can_switch_on(self) -> bool:
        return self.computed_at is not None and not self.short


def _rows(buckets: list[cal.BucketOutcomes], labels: dict[str, str], minimum: int) -> list[CalibrationRow]:
    return [
        CalibrationRow(
            key=r.key,
            label=labels.get(r.key, r.key),
            outcomes=r.outcomes,
            won=r.won,
            configured=r.configured,
            observed=r.observed,
            brier=r.brier,
            enough=r.enough,
        )
        for r in cal.calibration_table(buckets, minimum)
    ]


def level_label(level: ProbabilityLevel) -> str:
    return f"{level.badge} · {level.name}"


def band_label(band: c139_domain.Band) -> str:
    return c139_domain.band_label(band.code, band.low, band.high)


def calibration_report(user: User | None, template_id: int | None = None) -> CalibrationReport:
    """The stored calibration of a process (default: the default template), as computed by the last
    `kadence calibrate` run, for `user` (None: the system, as in the calibrate command). The visibility
    policy decides who reads it (can_read_calibration: the figures are company-wide, the same for
    every reader). Buckets follow the ladder / the stage order / the band order; buckets with no
    stored row (never computed, or added since) show zero outcomes."""
    if user is not None and not can_read_calibration(user):
        raise NotFound(_("Unknown process template."))
    templates = list(ProcessTemplate.objects.order_by("-is_default", "code"))
    if template_id is None:
        template = next(iter(templates), None)
    else:
        template = next((t for t in templates if t.pk == template_id), None)
    if template is None:
        raise NotFound(_("Unknown process template."))
    policy = ForecastPolicy.current()
    minimum = policy.calibration_min_outcomes
    stored = {(row.dimension, row.key): row for row in Calibration.objects.filter(template_id=template.pk)}
    computed_at = max((row.computed_at for row in stored.values()), default=None)
    levels = list(ProbabilityLevel.objects.filter(is_won=False, is_lost=False).order_by("order"))
    stages = list(
        Stage.objects.filter(template_id=template.pk, is_won=False)
        .select_related("default_level")
        .order_by("order")
    )
    entry = stage_entry_levels(stages, levels[0] if levels else None)

    def bucket(dimension: str, key: str, configured: Decimal | None) -> cal.BucketOutcomes:
        row = stored.get((dimension, key))
        return cal.BucketOutcomes(key, row.outcomes if row else 0, row.won if row else 0, configured)

    level_buckets = [bucket(LEVEL, level.code, level.probability) for level in levels]
    stage_buckets = [bucket(STAGE, stage.code, entry[stage.pk].probability) for stage in stages]
    known = {band.code for band in BANDS}
    band_buckets = [bucket(C139, band.code, band.low) for band in BANDS] + [
        bucket(C139, key, row.configured)
        for (dimension, key), row in sorted(stored.items())
        if dimension == C139 and key not in known
    ]

    used = set(used_level_codes(template.pk))
    effective_rows = []
    for row in _rows(level_buckets, {level.code: level_label(level) for level in levels}, minimum):
        assert row.configured is not None
        effective, source = cal.effective_probability(
            row.configured,
            row.outcomes,
            row.won,
            min_outcomes=minimum,
            use_calibrated=template.use_calibrated,
        )
        effective_rows.append(
            CalibrationRow(
                **{**row.__dict__, "used": row.key in used, "effective": effective, "source": str(source)}
            )
        )
    short = [row for row in effective_rows if row.used and not row.enough]
    return CalibrationReport(
        template=template,
        templates=templates,
        use_calibrated=template.use_calibrated,
        min_outcomes=minimum,
        history_days=policy.history_days,
        computed_at=computed_at,
        levels=effective_rows,
        stages=_rows(stage_buckets, {stage.code: stage.name for stage in stages}, minimum),
        bands=_rows(band_buckets, {band.code: band_label(band) for band in BANDS}, minimum),
        brier={
            LEVEL: cal.pooled_brier(level_buckets),
            STAGE: cal.pooled_brier(stage_buckets),
            C139: cal.pooled_brier(band_buckets),
        },
        short=short,
        note=probabilities_note(row.source for row in effective_rows if row.used),
    )
