"""Sales-force sizing (issue 14 §6) on known data: north-1 has a 2 000 000 quarter target, 400 000 won
(one deal, with 10 activities recorded on it) and 350 000 open closing in the quarter; the inputs are
data (the company default, a unit's own, its ancestors'), edited through the service, the API and the
page; the report reads the same figures as the quota position; query counts; visibility."""

from __future__ import annotations

import io
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kadence.activities.services import activity_create
from kadence.core.errors import Conflict, PermissionDenied, ValidationFailed
from kadence.performance.position.selectors import position_report
from kadence.performance.sizing import services
from kadence.performance.sizing.models import SizingAssumption
from kadence.performance.sizing.selectors import sizing_report
from kadence.planning.models import Target
from tests.rhythm.pack_data import rita_week

pytestmark = pytest.mark.django_db
D = Decimal


def _data(org):
    data = rita_week(org)
    Target.objects.create(
        unit=org.n1, period_kind="quarter", period_start=data.quarter.start, amount=D("2000000")
    )
    for i in range(10):
        activity_create(
            org.rita, opportunity_id=data.won.pk, kind="visit", subject=f"拜访 {i}", date=data.today
        )
    return data


def test_default_inputs_are_seeded():
    row = SizingAssumption.objects.get(unit__isnull=True)
    assert row.hours_per_activity == D("2.00") and row.selling_hours_per_month == D("100.00")


def test_team_sizing_worked_through(org, no_gates):
    data = _data(org)
    report = sizing_report(org.mona, unit_id=org.n1.pk)
    row = report.total
    s, i = row.sizing, row.sizing.inputs
    expected = next(r for r in [position_report(org.mona, unit_id=org.n1.pk).total]).expected
    assert i.target == D("2000000") and i.booked == D("400000") and i.expected == expected
    assert s.gap == D("1600000") - expected
    assert i.average_won_deal == D("400000.00") and row.history_deals == 1
    assert i.activities_per_won_deal == D("10.00") and row.activities_from_history
    assert s.deals_needed == int((s.gap / D("400000")).to_integral_value(ROUND_CEILING))
    assert s.hours_needed == s.deals_needed * 10 * 2
    months = (D(3) * report.position.days_left / data.quarter.days).quantize(D("0.0001"), ROUND_HALF_UP)
    assert report.months_left == months and i.hours_per_rep == (100 * months).quantize(
        D("0.01"), ROUND_HALF_UP
    )
    assert s.reps_needed == (s.hours_needed / i.hours_per_rep).quantize(D("0.01"), ROUND_HALF_UP)
    assert i.headcount == 2  # rita and tom
    assert s.shortfall == int(s.reps_needed.to_integral_value(ROUND_CEILING)) - 2


def test_inputs_inherit_and_override(org, no_gates):
    _data(org)
    services.sizing_set(
        org.dora, org.north.pk, version=None, hours_per_activity="4", selling_hours_per_month="80"
    )
    row = sizing_report(org.mona, unit_id=org.n1.pk).total
    assert row.assumption.unit_id == org.north.pk and not row.own
    assert row.sizing.inputs.hours_per_activity == D("4.00")
    own = services.sizing_set(
        org.mona,
        org.n1.pk,
        version=None,
        hours_per_activity="3",
        selling_hours_per_month="90",
        activities_per_won_deal="20",
    )
    row = sizing_report(org.mona, unit_id=org.n1.pk).total
    assert (
        row.own
        and row.sizing.inputs.activities_per_won_deal == D("20.00")
        and not row.activities_from_history
    )
    # stale and duplicate writes are 409s; a manager may not set the default nor another region's unit
    with pytest.raises(Conflict):
        services.sizing_set(
            org.mona, org.n1.pk, version=None, hours_per_activity="3", selling_hours_per_month="90"
        )
    services.sizing_set(
        org.mona, org.n1.pk, version=own.version, hours_per_activity="5", selling_hours_per_month="90"
    )
    with pytest.raises(Conflict):
        services.sizing_set(
            org.mona, org.n1.pk, version=own.version, hours_per_activity="6", selling_hours_per_month="90"
        )
    with pytest.raises(PermissionDenied):
        services.sizing_set(org.mona, None, version=1, hours_per_activity="1", selling_hours_per_month="1")
    with pytest.raises(ValidationFailed):
        services.sizing_set(org.ada, None, version=1, hours_per_activity="0", selling_hours_per_month="1")
    with pytest.raises(PermissionDenied):
        services.sizing_set(
            org.rita, org.n1.pk, version=None, hours_per_activity="1", selling_hours_per_month="1"
        )
    services.sizing_reset(org.mona, org.n1.pk, version=own.version + 1)
    assert sizing_report(org.mona, unit_id=org.n1.pk).total.assumption.unit_id == org.north.pk
    from kadence.core.models import AuditEntry

    assert AuditEntry.objects.filter(entity=services.ENTITY).count() >= 4


def test_region_rows_and_query_count(org, no_gates, django_assert_max_num_queries):
    _data(org)
    sizing_report(org.dora)  # warm the caches
    with django_assert_max_num_queries(30):
        report = sizing_report(org.dora)
    assert {r.unit.pk for r in report.units} == {org.n1.pk, org.n2.pk}
    heads = {r.unit.pk: r.sizing.inputs.headcount for r in report.units}
    assert heads == {org.n1.pk: 2, org.n2.pk: 1}
    assert report.total.sizing.inputs.headcount == 3


def test_api(client, org, no_gates, token_for):
    _data(org)
    res = client.get("/api/performance/sizing", {"unit_id": org.n1.pk}, **token_for(org.mona))
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["total"]["target"] == "2000000.00" and body["total"]["headcount"] == 2
    assert body["total"]["activities_per_won_deal"] == "10.00"
    assert (
        client.get("/api/performance/sizing", {"unit_id": org.s1.pk}, **token_for(org.mona)).status_code
        == 404
    )
    put = client.put(
        f"/api/performance/sizing/inputs/{org.n1.pk}",
        {"hours_per_activity": "3", "selling_hours_per_month": "90", "version": None},
        content_type="application/json",
        **token_for(org.mona),
    )
    assert put.status_code == 200, put.content
    row = put.json()
    assert row["hours_per_activity"] == "3.00" and row["version"] == 1
    stale = client.put(
        f"/api/performance/sizing/inputs/{org.n1.pk}",
        {"hours_per_activity": "3", "selling_hours_per_month": "90", "version": 7},
        content_type="application/json",
        **token_for(org.mona),
    )
    assert stale.status_code == 409
    bad = client.put(
        f"/api/performance/sizing/inputs/{org.n1.pk}",
        {"hours_per_activity": "-1", "selling_hours_per_month": "90", "version": 1},
        content_type="application/json",
        **token_for(org.mona),
    )
    assert bad.status_code == 422
    forbidden = client.put(
        "/api/performance/sizing/inputs/default",
        {"hours_per_activity": "3", "selling_hours_per_month": "90", "version": 1},
        content_type="application/json",
        **token_for(org.mona),
    )
    assert forbidden.status_code == 403
    default = SizingAssumption.objects.get(unit__isnull=True)
    ok = client.put(
        "/api/performance/sizing/inputs/default",
        {"hours_per_activity": "2.5", "selling_hours_per_month": "110", "version": default.version},
        content_type="application/json",
        **token_for(org.ada),
    )
    assert ok.status_code == 200 and ok.json()["selling_hours_per_month"] == "110.00"
    gone = client.delete(f"/api/performance/sizing/inputs/{org.n1.pk}?version=1", **token_for(org.mona))
    assert gone.status_code == 204
    assert (
        client.delete(
            f"/api/performance/sizing/inputs/{org.n1.pk}?version=1", **token_for(org.mona)
        ).status_code
        == 404
    )


def test_page_edit_and_export(client, org, no_gates, django_assert_max_num_queries):
    _data(org)
    client.force_login(org.mona)
    url = reverse("performance_sizing")
    sizing_report(org.mona)
    with django_assert_max_num_queries(40):
        res = client.get(url, {"unit_id": org.n1.pk})
    assert res.status_code == 200
    html = res.content.decode()
    assert 'data-testid="sizing-table"' in html and f'data-testid="sizing-form-{org.n1.pk}"' in html
    assert 'data-testid="sizing-form-default"' not in html
    posted = client.post(
        reverse("performance_sizing_inputs"),
        {"unit_id": org.n1.pk, "hours_per_activity": "3", "selling_hours_per_month": "90", "next": url},
    )
    assert posted.status_code == 302
    assert SizingAssumption.objects.get(unit=org.n1).hours_per_activity == D("3.00")
    refused = client.post(
        reverse("performance_sizing_inputs"),
        {
            "unit_id": org.n1.pk,
            "hours_per_activity": "x",
            "selling_hours_per_month": "90",
            "version": "1",
            "next": url,
        },
    )
    assert refused.status_code == 302 and SizingAssumption.objects.get(unit=org.n1).version == 1
    assert client.post(reverse("performance_sizing_inputs"), {"unit_id": org.s1.pk}).status_code == 403
    xlsx = client.get(url, {"unit_id": org.n1.pk, "format": "xlsx"})
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == org.n1.name and D(str(rows[1][1])) == D("2000000")
    assert client.get(url, {"format": "csv"}).status_code == 200
