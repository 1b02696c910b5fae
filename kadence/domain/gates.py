"""Stage gates and the verified level (METHODOLOGY §1d, §2, §3). Pure: plain data in, plain data out.

An exit criterion is met when the facts about the deal prove it:

- `evidence`   {"evidence": "<type>"}: live evidence attached to this criterion, or of that type;
- `field`      {"field": "<name>"}: the named field is filled (the loader decides what "filled" means);
- `assessment` {"assessment": "c139", "min": "8C1F0W"} or {"assessment": "c139", "min_clear": 7};
               {"assessment": "c139_items", "items": ["C3", ...]}: those items confirmed in the latest C139;
               {"assessment": "bid_decision", "equals": "pursue"}: the latest bid decision;
               {"assessment": "buying_centre", "min_coverage": 0.5} and/or {"roles": ["coach"]};
- `approval`   a live approval of this criterion by a manager;
- `task`       {"task": "<code>"}: the deal's task with that code is done.

A criterion whose parameters are not understood is never met (its detail says "misconfigured"), so
a typo in the configuration blocks a gate visibly instead of silently letting deals through.

The level a stage grants is earned by leaving it (§1a, §1d): a stage's default level is the level a
deal holds once that stage's exit criteria are met. Walking the template in order up to and including
the current stage, the stages whose exit criteria are all met (and those of every stage before them)
are completed; the deal holds the default level of the last one completed, or the lowest open level
(I) before any (`earned`). Entering a stage therefore claims the default level of the stage before it
(`entry_levels`), and meeting the current stage's own exit criteria earns its default level. A deal is
over-staged when its stage outruns the evidence of the stages before it (one of them is not completed:
a move past unmet criteria by an override, evidence withdrawn later); the current stage's own unmet
exit criteria are the work of that stage, never a reason to flag it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kadence.domain.c139 import C139Score, parse_score
from kadence.domain.ladder import Ladder

T = TypeVar("T")


@dataclass(frozen=True)
class Criterion:
    """An exit criterion as configured: its id, stage, code, kind and parameters."""

    id: int
    stage_id: int
    code: str
    kind: str
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DealFacts:
    """What is verified about one deal, as loaded by the selectors.

    `c139_items` holds the item statuses of the latest C139 assessment (empty when never assessed);
    `covered_roles` the buying roles with at least one supportive or neutral contact; `coverage` the
    share of required roles covered (1.0 when no role is required: nothing required is missing)."""

    evidence_criteria: frozenset[int] = frozenset()
    evidence_types: frozenset[str] = frozenset()
    approved_criteria: frozenset[int] = frozenset()
    done_tasks: frozenset[str] = frozenset()
    filled_fields: frozenset[str] = frozenset()
    c139: C139Score | None = None
    c139_items: Mapping[str, str] = field(default_factory=dict)
    bid_outcome: str | None = None
    covered_roles: frozenset[str] = frozenset()
    coverage: float = 1.0


@dataclass(frozen=True)
class CriterionResult:
    """Whether one criterion is met, and a short machine-readable reason when it is not."""

    criterion: Criterion
    met: bool
    detail: str = ""


def _c139(config: Mapping[str, Any], facts: DealFacts) -> tuple[bool, str]:
    if facts.c139 is None:
        return False, "no_assessment"
    if "min" in config:
        try:
            rule = parse_score(str(config["min"]))
        except ValueError:
            return False, "misconfigured"
        return (True, "") if facts.c139.at_least(rule) else (False, f"below:{config['min']}")
    if "min_clear" in config:
        try:
            needed = int(config["min_clear"])
        except (TypeError, ValueError):
            return False, "misconfigured"
        return (True, "") if facts.c139.clear >= needed else (False, f"clear_below:{needed}")
    return False, "misconfigured"


def _c139_items(config: Mapping[str, Any], facts: DealFacts) -> tuple[bool, str]:
    items = config.get("items")
    if not isinstance(items, list) or not items:
        return False, "misconfigured"
    if facts.c139 is None:
        return False, "no_assessment"
    missing = [str(i) for i in items if facts.c139_items.get(str(i)) != "confirmed"]
    return (not missing), ("unconfirmed:" + ",".join(missing) if missing else "")


def _buying_centre(config: Mapping[str, Any], facts: DealFacts) -> tuple[bool, str]:
    roles = config.get("roles")
    minimum = config.get("min_coverage")
    if roles is None and minimum is None:
        return False, "misconfigured"
    if roles is not None:
        if not isinstance(roles, list):
            return False, "misconfigured"
        missing = [str(r) for r in roles if str(r) not in facts.covered_roles]
        if missing:
            return False, "roles_missing:" + ",".join(missing)
    if minimum is not None:
        try:
            needed = float(minimum)
        except (TypeError, ValueError):
            return False, "misconfigured"
        if facts.coverage + 1e-9 < needed:
            return False, f"coverage_below:{needed:g}"
    return True, ""


def evaluate(criterion: Criterion, facts: DealFacts) -> CriterionResult:
    """Is `criterion` met by `facts`?"""
    config = criterion.config or {}
    met, detail = False, "misconfigured"
    if criterion.kind == "evidence":
        wanted = config.get("evidence")
        met = criterion.id in facts.evidence_criteria or (
            bool(wanted) and str(wanted) in facts.evidence_types
        )
        detail = "" if met else "no_evidence"
    elif criterion.kind == "field":
        name = config.get("field")
        if name:
            met = str(name) in facts.filled_fields
            detail = "" if met else "empty"
    elif criterion.kind == "approval":
        met = criterion.id in facts.approved_criteria
        detail = "" if met else "not_approved"
    elif criterion.kind == "task":
        code = config.get("task")
        if code:
            met = str(code) in facts.done_tasks
            detail = "" if met else "task_open"
    elif criterion.kind == "assessment":
        which = config.get("assessment")
        if which == "c139":
            met, detail = _c139(config, facts)
        elif which == "c139_items":
            met, detail = _c139_items(config, facts)
        elif which == "bid_decision":
            wanted = config.get("equals")
            if wanted:
                met = facts.bid_outcome == wanted
                detail = (
                    ""
                    if met
                    else ("no_decision" if facts.bid_outcome is None else f"decision:{facts.bid_outcome}")
                )
        elif which == "buying_centre":
            met, detail = _buying_centre(config, facts)
    return CriterionResult(criterion, met, "" if met else detail)


def missing(criteria: Sequence[Criterion], facts: DealFacts) -> list[CriterionResult]:
    """The criteria of `criteria` that `facts` do not meet, in the given order."""
    return [r for r in (evaluate(c, facts) for c in criteria) if not r.met]


@dataclass(frozen=True)
class StageGate:
    """A stage in template order with its default level's order on the ladder and its criteria."""

    stage_id: int
    level_order: int
    criteria: tuple[Criterion, ...] = ()


def entry_levels(default_levels: Sequence[T], floor: T) -> list[T]:
    """The level each stage claims while a deal works in it, its exit criteria not yet met: the default
    level of the stage before it, `floor` (the lowest open level, I) for the first. `default_levels`
    are the stages' default levels in template order (orders, ids or rows: any value)."""
    return [floor, *default_levels][: len(default_levels)]


@dataclass(frozen=True)
class Standing:
    """What the evidence earns a deal at its current stage: the last stage completed in template
    order (None before any), the level order that gives, whether the current stage's own exit
    criteria are all met, and whether the stage outruns the evidence (a stage before it is not
    completed)."""

    completed: StageGate | None
    level_order: int
    exit_met: bool
    outruns: bool


def earned(
    stages: Sequence[StageGate], current_stage_id: int, facts: DealFacts, floor_order: int
) -> Standing:
    """The level the evidence earns a deal at `current_stage_id` (the rule, §1d): walking `stages` in
    template order up to and including the current one, each stage whose exit criteria are all met
    is completed, until the first that is not; the level is the default level of the last completed
    stage, `floor_order` (the lowest open level) before any. So moving into a stage keeps the level of
    the stage left, and meeting the current stage's own exit criteria raises it to the current
    stage's default level. A current stage not in `stages` raises ValueError."""
    index = next((i for i, s in enumerate(stages) if s.stage_id == current_stage_id), None)
    if index is None:
        raise ValueError(f"stage {current_stage_id} is not part of the template")
    done = 0  # how many stages, from the first, are completed
    for stage in stages[: index + 1]:
        if missing(stage.criteria, facts):
            break
        done += 1
    completed = stages[done - 1] if done else None
    return Standing(
        completed,
        completed.level_order if completed is not None else floor_order,
        exit_met=done == index + 1,
        outruns=done < index,
    )


def to_next_level(
    stages: Sequence[StageGate], current_stage_id: int, facts: DealFacts
) -> tuple[StageGate | None, list[CriterionResult]]:
    """What the deal needs for the level its current stage grants: the current stage (its default
    level is the next one) and the unmet exit criteria, in order, from the first stage not completed
    up to and including the current one; (None, []) when the current stage's exit criteria are met
    (the deal holds the stage's level: it is ready to advance). ValueError for an unknown stage."""
    index = next((i for i, s in enumerate(stages) if s.stage_id == current_stage_id), None)
    if index is None:
        raise ValueError(f"stage {current_stage_id} is not part of the template")
    needs = [r for stage in stages[: index + 1] for r in missing(stage.criteria, facts)]
    return (stages[index], needs) if needs else (None, [])


def verified_stage(stages: Sequence[StageGate], current_stage_id: int, facts: DealFacts) -> StageGate:
    """The furthest stage, up to the current one, the evidence lets the deal work in: walking the
    template in order, stop at the first stage whose own exit criteria are not all met or at the
    current stage (a deal whose verified stage is not its current one outruns its evidence). A current stage not in `stages` raises ValueError."""
    if not any(s.stage_id == current_stage_id for s in stages):
        raise ValueError(f"stage {current_stage_id} is not part of the template")
    for stage in stages:
        if stage.stage_id == current_stage_id:
            return stage
        if missing(stage.criteria, facts):
            return stage
    raise AssertionError("unreachable")


def staging(
    outruns: bool,
    level_order: int,
    c139: C139Score | None,
    rule: C139Score,
    ladder: Ladder,
) -> str:
    """The staging flag (§1d, §3): "over" when the stage outruns the evidence of the stages before it
    (`Standing.outruns`; the current stage's own unmet exit criteria never count), or the level is at
    the ladder's D ("developed") or above without the C139 rule met; "under" when the C139 rule is met
    but the level is at its C ("contacted") or below; else "". Deals store it
    (Opportunity.staging_flag), and lists filter on the stored flag."""
    met = c139 is not None and c139.at_least(rule)
    if outruns:
        return "over"
    if level_order >= ladder.developed and not met:
        return "over"
    if met and level_order <= ladder.contacted:
        return "under"
    return ""
