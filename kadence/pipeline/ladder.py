"""The probability ladder as the rules read it: the orders of the rungs marked contacted, qualified and
developed (kadence.domain.ladder). An admin may rename, renumber or reprice rungs; the marks say which
rung is which. A ladder that lacks a mark stops the reports and gates that need it with a
configuration error naming what to fix, instead of guessing a rung (the code used to fall back to the
shipped numbers 2, 3 and 4, and judged deals against the wrong rungs without a word)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from kadence.domain.ladder import Ladder, LadderError, ladder_of
from kadence.pipeline.models import ProbabilityLevel


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
