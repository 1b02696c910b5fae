"""Known activities for the quota tests (issue 13 §1): the week of Monday 30 November 2026.

rita (rep, north-1): 3 effective visits at her important account (BP 5M), 1 visit with no result at
sara's account (not important; nobody had a done activity there before: a new customer), 1 effective
outbound call, 1 planned visit (not counted); a done visit the week before at her account (so that it is
no new customer). tom (rep, north-1): his own quota of 8 effective visits a week; 2 effective visits.
ivy (inside sales, north-1): 3 customer contacts, 2 of them effective calls. nick (north-2) and sara
(south-1): one effective visit each."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from kadence.activities.models import Activity
from kadence.core.models import User
from kadence.rhythm.quotas.models import ActivityQuota

MONDAY = date(2026, 11, 30)
WEEK = (MONDAY, MONDAY + timedelta(days=6))


def _log(owner, account, kind, day, *, result="", done=True):
    effective = done and kind in ("visit", "meeting", "demo") and bool(result)
    return Activity.objects.create(
        owner=owner,
        team_id=owner.org_unit_id,
        account=account,
        kind=kind,
        subject=f"{kind} {day}",
        date=day,
        done=done,
        result=result,
        is_effective=effective,
    )


def build(org) -> SimpleNamespace:
    ivy = User.objects.create_user(username="ivy", role=User.Role.INSIDE, org_unit=org.n1, display_name="Ivy")
    tue, wed = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    _log(org.rita, org.account, "visit", MONDAY - timedelta(days=3), result="found")  # the week before
    for day in (MONDAY, tue, wed):
        _log(org.rita, org.account, "visit", day, result="found")
    _log(org.rita, org.sara_account, "visit", tue)
    _log(org.rita, org.account, "call_out", wed, result="advanced")
    _log(org.rita, org.account, "visit", wed + timedelta(days=1), result="found", done=False)
    ActivityQuota.objects.create(user=org.tom, metric="effective_visits", per="week", amount=8)
    for day in (MONDAY, tue):
        _log(org.tom, org.account, "meeting", day, result="advanced")
    _log(ivy, org.account, "call_out", MONDAY, result="solved")
    _log(ivy, org.account, "call_out", tue, result="found")
    _log(ivy, org.account, "email", tue)
    _log(org.nick, org.account, "visit", tue, result="solved")
    _log(org.sara, org.sara_account, "visit", tue, result="solved")
    org.ivy = ivy
    return org
