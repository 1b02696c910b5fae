"""Activity-quota attainment (issue 13 §1): the seeded defaults, a person's quota over their role's, the
arithmetic on known data (tests/rhythm/quotas_world.py), team and region totals, who sees whom, the
number of queries, and the 1x1 pack's rep_attainment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from kadence.core.errors import NotFound, ValidationFailed
from kadence.core.models import User
from kadence.rhythm.quotas.models import ActivityQuota
from kadence.rhythm.quotas.selectors import attainment_report, rep_attainment
from tests.rhythm.quotas_world import MONDAY, WEEK, build

pytestmark = pytest.mark.django_db


def cells(row) -> dict[str, tuple]:
    return {c.metric: (c.actual, c.quota, c.gap, c.pct) for c in row.cells}


def test_the_methodology_defaults_are_seeded(db):
    rows = set(ActivityQuota.objects.filter(user=None).values_list("role", "metric", "per", "amount"))
    assert rows == {
        ("rep", "effective_visits", "week", 12),
        ("rep", "important_visits", "week", 2),
        ("rep", "new_customers", "month", 2),
        ("inside", "customer_contacts", "day", 5),
        ("inside", "effective_calls", "day", 10),
    }


def test_attainment_of_a_week_on_known_data(org):
    build(org)
    report = attainment_report(org.mona, period="week", day=MONDAY + timedelta(days=3))
    assert (report.period.start, report.period.end) == WEEK
    by_name = {r.user.username: r for r in report.reps}
    assert set(by_name) == {"rita", "tom", "ivy"}  # mona's team only
    assert cells(by_name["rita"]) == {
        "effective_visits": (3, Decimal("12.0"), Decimal("9.0"), Decimal("25.0")),
        "customer_contacts": (5, None, None, None),  # the planned visit does not count
        "effective_calls": (1, None, None, None),
        "important_visits": (3, Decimal("2.0"), Decimal("0.0"), Decimal("150.0")),
        # 2 a month over Mon 30 Nov (1 of 21 November working days) and 1-4 Dec (4 of 23): 0.4
        "new_customers": (1, Decimal("0.4"), Decimal("0.0"), Decimal("250.0")),
    }
    # tom's own quota (8) replaces the role's 12
    assert cells(by_name["tom"])["effective_visits"] == (2, Decimal("8.0"), Decimal("6.0"), Decimal("25.0"))
    assert cells(by_name["ivy"])["customer_contacts"] == (
        3,
        Decimal("25.0"),
        Decimal("22.0"),
        Decimal("12.0"),
    )
    assert cells(by_name["ivy"])["effective_calls"] == (2, Decimal("50.0"), Decimal("48.0"), Decimal("4.0"))
    assert cells(by_name["ivy"])["effective_visits"] == (0, None, None, None)
    (team,) = report.teams
    assert team.unit == org.n1 and team.reps == 3
    # the reps with a quota of the metric: rita 3 / 12 + tom 2 / 8
    assert cells(team)["effective_visits"] == (5, Decimal("20.0"), Decimal("15.0"), Decimal("25.0"))
    assert cells(team)["customer_contacts"] == (3, Decimal("25.0"), Decimal("22.0"), Decimal("12.0"))
    assert report.regions == []  # a manager's page has no regions
    assert [p.week for p in report.trend][-1] == MONDAY and len(report.trend) == 8
    assert report.trend[-1].actual["effective_visits"] == 5 and report.trend[-1].pct[
        "effective_visits"
    ] == Decimal("25.0")
    assert report.trend[-2].actual["effective_visits"] == 1  # rita's visit of the week before


def test_periods_month_quarter_and_day(org):
    build(org)
    month = attainment_report(org.rita, period="month", day=MONDAY)
    (rita,) = month.reps
    # November: 21 working days; rita's visits of the 27th and 30th
    assert cells(rita)["effective_visits"][:2] == (2, Decimal("50.4"))
    assert cells(rita)["new_customers"][1] == Decimal("2.0")
    quarter = attainment_report(org.rita, period="quarter", day=MONDAY)
    assert cells(quarter.reps[0])["new_customers"][1] == Decimal("6.0")
    day = attainment_report(org.ivy, period="day", day=MONDAY)
    assert cells(day.reps[0])["customer_contacts"] == (1, Decimal("5.0"), Decimal("4.0"), Decimal("20.0"))
    with pytest.raises(ValidationFailed):
        attainment_report(org.rita, period="year", day=MONDAY)


def test_a_zero_quota_of_a_person_means_no_percentage(org):
    build(org)
    ActivityQuota.objects.create(user=org.rita, metric="important_visits", per="week", amount=0)
    (rita,) = attainment_report(org.rita, period="week", day=MONDAY).reps
    assert cells(rita)["important_visits"] == (3, Decimal("0.0"), Decimal("0.0"), None)


def test_who_sees_whom(org):
    build(org)

    def names(user, **kw):
        return {r.user.username for r in attainment_report(user, period="week", day=MONDAY, **kw).reps}

    assert names(org.rita) == {"rita"}
    assert names(org.mona) == {"rita", "tom", "ivy"}
    assert names(org.dora) == {"rita", "tom", "ivy", "nick"}
    assert names(org.sam) == {"sara"}
    assert names(org.ada) == {"rita", "tom", "ivy", "nick", "sara"}
    assert names(org.mona, owner_id=org.tom.pk) == {"tom"}
    for user, kwargs in [
        (org.rita, {"owner_id": org.tom.pk}),
        (org.rita, {"unit_id": org.n1.pk}),
        (org.mona, {"owner_id": org.sara.pk}),
        (org.mona, {"unit_id": org.s1.pk}),
        (org.sam, {"unit_id": org.north.pk}),
    ]:
        with pytest.raises(NotFound):
            attainment_report(user, period="week", day=MONDAY, **kwargs)
    dora = attainment_report(org.dora, period="week", day=MONDAY)
    assert [(g.unit, g.reps) for g in dora.regions] == [(org.north, 4)]
    assert {g.unit for g in dora.teams} == {org.n1, org.n2}
    ada = attainment_report(org.ada, period="week", day=MONDAY)
    assert {g.unit for g in ada.regions} == {org.north, org.south}
    assert cells(ada.total)["effective_visits"][0] == 3 + 2 + 1 + 1


def test_the_queries_do_not_grow_with_the_reps(org, django_assert_max_num_queries):
    build(org)
    with django_assert_max_num_queries(9) as small:
        attainment_report(org.ada, period="week", day=MONDAY)
    for n in range(6):
        User.objects.create_user(username=f"rep{n}", role=User.Role.REP, org_unit=org.n2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        report = attainment_report(org.ada, period="week", day=MONDAY)
    assert len(report.reps) == 11


def test_rep_attainment_for_the_pack(org, django_assert_num_queries):
    build(org)
    with django_assert_num_queries(5):
        rows = rep_attainment(org.rita, *WEEK)
    assert [r["metric"] for r in rows] == [
        "effective_visits",
        "customer_contacts",
        "effective_calls",
        "important_visits",
        "new_customers",
    ]
    assert rows[0] == {
        "metric": "effective_visits",
        "label": rows[0]["label"],
        "actual": 3,
        "quota": Decimal("12.0"),
        "gap": Decimal("9.0"),
        "pct": Decimal("25.0"),
    }
    assert rows[0]["label"]
