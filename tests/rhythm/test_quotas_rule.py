"""The effective-visit rule as data (issue 13 §1): the activity services set is_effective from kind,
done and result by the configured EffectiveVisitRule; a change of the rule judges later activities."""

from __future__ import annotations

import pytest

from kadence.activities.models import EffectiveVisitRule
from kadence.activities.services import activity_create, activity_mark_done, activity_update
from kadence.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def _new(org, kind="visit", **values):
    return activity_create(org.rita, account_id=org.account.pk, kind=kind, subject="拜访", **values)


def test_the_seeded_rule():
    rule = EffectiveVisitRule.objects.get()
    assert (rule.kinds, rule.results) == (["visit", "meeting", "demo"], ["found", "advanced", "solved"])


def test_the_services_judge_each_activity_by_the_rule(org):
    assert _new(org, result="found").is_effective
    assert _new(org, "demo", result="solved").is_effective
    assert not _new(org).is_effective  # nothing of the three
    assert not _new(org, "call_out", result="found").is_effective  # not face to face
    planned = _new(org, result="advanced", done=False)
    assert not planned.is_effective
    assert activity_mark_done(org.rita, planned.pk, version=planned.version).is_effective
    visit = _new(org, result="found")
    visit = activity_update(org.rita, visit.pk, version=visit.version, result="")
    assert not visit.is_effective and visit.result == ""
    visit = activity_update(org.rita, visit.pk, version=visit.version, result="solved")
    assert visit.is_effective
    visit = activity_update(org.rita, visit.pk, version=visit.version, kind="email")
    assert not visit.is_effective
    with pytest.raises(ValidationFailed):
        _new(org, result="maybe")


def test_a_changed_rule_judges_the_activities_logged_afterwards(org):
    before = _new(org, "meeting", result="found")
    EffectiveVisitRule.objects.update(kinds=["visit"], results=["found", "advanced"])
    assert before.is_effective  # stored flags stay as they were judged
    assert not _new(org, "meeting", result="found").is_effective
    assert not _new(org, result="solved").is_effective
    assert _new(org, result="advanced").is_effective
    EffectiveVisitRule.objects.all().delete()  # no row: the shipped defaults
    assert _new(org, "meeting", result="solved").is_effective


def test_the_sql_of_an_effective_call_agrees_with_the_domain(org):
    """kadence.domain.quotas.is_effective_call and its SQL twin (selectors.effective_call_q) agree on
    every kind × result × done."""
    from kadence.activities.models import Activity
    from kadence.activities.selectors import effective_visit_rule
    from kadence.domain.quotas import is_effective_call
    from kadence.rhythm.quotas.selectors import effective_call_q

    rule = effective_visit_rule()
    rows = [
        _new(org, kind, result=result, done=done)
        for kind in Activity.Kind.values
        for result in Activity.Result.values
        for done in (True, False)
    ]
    in_sql = set(Activity.objects.filter(effective_call_q(rule), done=True).values_list("pk", flat=True))
    in_python = {
        a.pk
        for a in rows
        if is_effective_call(
            rule, kind=a.kind, done=a.done, result=a.result, call_kind=Activity.Kind.CALL_OUT
        )
    }
    assert in_sql == in_python and len(in_sql) == 3
