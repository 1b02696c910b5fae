"""The probability ladder as the rules read it: the orders of the rungs marked contacted, qualified and
developed (kadence.domain.ladder). An admin may rename, renumber or reprice rungs; the marks say which
rung is which. A ladder that lacks a mark stops the reports and gates that need it with a
configuration error naming what to fix, instead of guessing a rung (the code used to fall back to the
shipped numbers 2, 3 and 4, and judged deals against the wrong rungs without a word)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured

from kadence.domain.gates import entry_levels
from kadence.domain.ladder import Ladder, LadderError, ladder_of
from kadence.pipeline.models import ProbabilityLevel, Stage


class LadderMisconfigured(ImproperlyConfigured):
    """The probability ladder lacks a marked rung, or its marked rungs are out of order."""


def level_ladder() -> Ladder:
    """The marked rungs of the ladder (one query). LadderMisconfigured when they are missing or out of
    order."""
    marks = dict(ProbabilityLevel.objects.exclude(mark="").values_list("mark", "order"))
    try:
        return ladder_of(marks)
    except LadderError as exc:
        raise LadderMisconfigured(
            f"The probability ladder is misconfigured: {exc}. Set the mark of the C (contacted), "
            "Q (qualified) and D (developed) rungs in the admin (Probability ladder)."
        ) from exc


def lowest_open_level() -> ProbabilityLevel:
    """The lowest open rung (I by default): the level a deal holds before it has completed any stage
    (METHODOLOGY §1d). LadderMisconfigured when the ladder has no open rung."""
    level = ProbabilityLevel.objects.filter(is_won=False, is_lost=False).order_by("order", "id").first()
    if level is None:
        raise LadderMisconfigured("The probability ladder has no open rung; add one in the admin.")
    return level


def stage_entry_levels(
    stages: Iterable[Stage], floor: ProbabilityLevel | None = None
) -> dict[int, ProbabilityLevel]:
    """Stage id → the level a deal holds while it works in the stage before meeting its exit criteria:
    the default level of the stage before it in its template, the lowest open level for a first stage
    (kadence.domain.gates.entry_levels, the rule of §1d). `stages` are all the stages of their
    templates, or a leading run of them (the open ones), with `default_level` loaded; `floor`, the
    lowest open level, is read (one query) unless given."""
    floor = floor or lowest_open_level()
    by_template: dict[int, list[Stage]] = {}
    for stage in sorted(stages, key=lambda s: (s.template_id, s.order, s.pk)):
        by_template.setdefault(stage.template_id, []).append(stage)
    out: dict[int, ProbabilityLevel] = {}
    for rows in by_template.values():
        levels = entry_levels([s.default_level for s in rows], floor)
        out.update({s.pk: level for s, level in zip(rows, levels, strict=True)})
    return out
