"""Single-deal diagnosis (项目型销售七步分析法, METHODOLOGY §7): from the problems the checks found on
one deal to a dated action list with owners. Pure: the selector gathers the findings, this module
decides what to do about each, who does it and by when.

Each finding has a `kind`; `RULES` says, per kind, who acts ("owner" of the deal, its "manager", or the
"assignee" named on the finding) and in how many days from `as_of`. A finding may carry its own due date
(a stage's standard duration, a task's due date): the action is then due on the earlier of that date and
the rule's, but never before `as_of`. Actions sort by due date, then severity, then kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Rule:
    """Who acts on a kind of finding and within how many days."""

    actor: str  # "owner", "manager" or "assignee"
    days: int
    severity: str = "medium"


# Shipped defaults; a caller may pass its own mapping.
RULES: Mapping[str, Rule] = {
    "criterion_open": Rule("owner", 7, "medium"),  # an exit criterion of the current stage is not met
    "approval_open": Rule("manager", 3, "medium"),  # an approval criterion waits for the manager
    "over_staged": Rule("owner", 3, "high"),  # proof missing for a stage the deal has passed
    "under_staged": Rule("owner", 7, "low"),  # the evidence supports more than the stage shows
    "stalled": Rule("owner", 3, "high"),  # longer in the stage than its standard days
    "close_date_passed": Rule("owner", 1, "high"),
    "task_overdue": Rule("assignee", 2, "medium"),
    "role_missing": Rule("manager", 5, "medium"),
    "no_economic_buyer": Rule("owner", 14, "high"),
    "no_coach": Rule("owner", 14, "high"),
    "high_influence_opponent": Rule("owner", 7, "high"),
    "stale_key_contact": Rule("owner", 7, "medium"),
    "milestone_slipped": Rule("owner", 7, "medium"),
    "budget_warn": Rule("owner", 7, "low"),
    "budget_over": Rule("manager", 3, "high"),
    "bid_decision_due": Rule("owner", 3, "high"),
    "no_c139": Rule("owner", 14, "medium"),
}


@dataclass(frozen=True)
class Finding:
    """A problem found by a check. `subject` names what it is about (a criterion, a contact, a role…);
    `assignee_id` is who the finding itself names (a task's assignee); `due` a date the finding brings."""

    kind: str
    subject: str = ""
    assignee_id: int | None = None
    due: date | None = None


@dataclass(frozen=True)
class Action:
    """What to do about a finding: who (a user id), by when, how urgent."""

    finding: Finding
    actor_id: int | None
    due: date
    severity: str


def plan(
    findings: Sequence[Finding],
    as_of: date,
    owner_id: int,
    manager_id: int | None,
    rules: Mapping[str, Rule] = RULES,
) -> list[Action]:
    """The dated action list. Unknown kinds raise KeyError (a check without a rule is a bug).
    With no manager, manager actions go to the owner; with no assignee, assignee actions too."""
    actions = []
    for finding in findings:
        rule = rules[finding.kind]
        due = as_of + timedelta(days=rule.days)
        if finding.due is not None:
            due = max(as_of, min(due, finding.due))
        if rule.actor == "manager":
            actor = manager_id if manager_id is not None else owner_id
        elif rule.actor == "assignee":
            actor = finding.assignee_id if finding.assignee_id is not None else owner_id
        else:
            actor = owner_id
        actions.append(Action(finding, actor, due, rule.severity))
    return sorted(
        actions, key=lambda a: (a.due, SEVERITIES.index(a.severity), a.finding.kind, a.finding.subject)
    )
