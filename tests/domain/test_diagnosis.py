"""The diagnosis action list: owners and dates per finding (METHODOLOGY §7)."""

from datetime import date

import pytest

from kadence.domain.diagnosis import RULES, Finding, Rule, plan

TODAY = date(2026, 11, 23)


def test_actions_get_owners_and_dates_from_the_rules_and_sort_by_due_then_severity():
    findings = [
        Finding("no_coach"),
        Finding("budget_over"),
        Finding("task_overdue", subject="交流纪要", assignee_id=7, due=date(2026, 11, 20)),
        Finding("criterion_open", subject="入围通知", due=date(2026, 11, 25)),
        Finding("stalled"),
    ]
    actions = plan(findings, TODAY, owner_id=1, manager_id=2)
    assert [(a.finding.kind, a.actor_id, a.due.isoformat(), a.severity) for a in actions] == [
        ("task_overdue", 7, "2026-11-23", "medium"),  # its own due date is past: due today, not before
        ("criterion_open", 1, "2026-11-25", "medium"),  # the stage's deadline comes before the rule's 7 days
        ("budget_over", 2, "2026-11-26", "high"),
        ("stalled", 1, "2026-11-26", "high"),
        ("no_coach", 1, "2026-12-07", "high"),
    ]


def test_without_a_manager_or_assignee_the_owner_acts():
    actions = plan(
        [Finding("role_missing", "presales"), Finding("task_overdue", "x")],
        TODAY,
        owner_id=1,
        manager_id=None,
    )
    assert {a.actor_id for a in actions} == {1}


def test_every_rule_is_well_formed_and_unknown_findings_fail_loudly():
    assert all(r.actor in ("owner", "manager", "assignee") and r.days >= 0 for r in RULES.values())
    with pytest.raises(KeyError):
        plan([Finding("astrology")], TODAY, owner_id=1, manager_id=None)
    custom = plan(
        [Finding("no_coach")], TODAY, owner_id=1, manager_id=None, rules={"no_coach": Rule("owner", 0)}
    )
    assert custom[0].due == TODAY
