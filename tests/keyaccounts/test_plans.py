"""Account plans (issue 15 §8): the services (visibility, versions, audit, the status steps and the
snapshot), plan vs actual from won revenue, actions linked to activities and deals, the home slot, the
pages (five steps, print, exports) and the API."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kadence.activities.services import activity_create
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.domain.kam.plans import plan_quarters
from kadence.keyaccounts.plans import selectors, services
from kadence.keyaccounts.plans.models import AccountPlan, PlanAction, PlanPolicy
from kadence.keyaccounts.wiring import plan_actions_slot
from kadence.pipeline.models import Opportunity, OpportunityTeamMember

pytestmark = pytest.mark.django_db
API = "/api/key-accounts/plans"


def _year(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return date(today.year, 1, 1), date(today.year, 12, 31)


@pytest.fixture
def plan(org):
    start, end = _year()
    return services.plan_create(org.mona, account_id=org.account.pk, period_start=start, period_end=end)


def test_a_manager_writes_a_plan_owned_by_the_accounts_owner_with_its_quarters(org, plan):
    assert plan.owner_id == org.rita.pk and plan.status == "draft" and plan.version == 1
    assert [q.key for q in plan.quarters.all()] == [f"{plan.period_start.year}-Q{n}" for n in (1, 2, 3, 4)]
    assert org.account.name in plan.title
    assert AuditEntry.objects.filter(entity="keyaccounts.accountplan", entity_id=plan.pk).exists()


def test_who_sees_and_writes_a_plan(org, plan):
    from kadence.core.visibility import access_account_plan, visible_account_plans

    for user in (org.rita, org.mona, org.dora, org.ada):
        assert access_account_plan(user, plan.pk, for_write=True).pk == plan.pk
    for user in (org.sara, org.tom, org.sam):
        assert not visible_account_plans(user).filter(pk=plan.pk).exists()
        with pytest.raises(NotFound):
            access_account_plan(user, plan.pk)
    start, end = _year()
    with pytest.raises(NotFound):
        services.plan_create(org.sara, account_id=org.account.pk, period_start=start, period_end=end)


def test_a_stale_edit_is_refused_and_changes_are_audited(org, plan):
    services.plan_update(
        org.rita, plan.pk, version=1, objectives="Double our share", target_revenue="2000000"
    )
    plan.refresh_from_db()
    assert plan.version == 2 and plan.target_revenue == D("2000000.00")
    with pytest.raises(Conflict):
        services.plan_update(org.mona, plan.pk, version=1, strengths="late")
    assert AuditEntry.objects.filter(entity="keyaccounts.accountplan", field="objectives").count() == 1
    with pytest.raises(ValidationFailed):
        services.plan_update(org.rita, plan.pk, version=2, period_start=date(2030, 1, 1))  # ends before start
    with pytest.raises(ValidationFailed):
        services.plan_update(org.rita, plan.pk, version=2, owner_id=org.sara.pk)  # cannot see the account


def test_activation_snapshots_step_one_and_fixes_the_period(org, plan):
    facts = selectors.account_facts(org.account, plan.period_start, plan.period_end)
    assert facts["buying_power"] == "5000000.00" and facts["open_count"] == 1
    assert facts["open_deals"][0]["name"] == org.opp.name and "rad" in facts
    services.plan_set_status(org.mona, plan.pk, version=1, status="active")
    plan.refresh_from_db()
    assert plan.status == "active" and plan.snapshot["open_count"] == 1 and plan.activated_at
    Opportunity.objects.filter(pk=org.opp.pk).update(amount=D("1"))  # the account moves on
    shown, from_snapshot = selectors.plan_facts(plan)
    assert from_snapshot and shown["open_deals"][0]["amount"] == "1200000.00"
    with pytest.raises(ValidationFailed) as refused:
        services.plan_update(org.mona, plan.pk, version=2, period_end=plan.period_end - timedelta(days=1))
    assert refused.value.code == "period_fixed"
    with pytest.raises(ValidationFailed):
        services.plan_set_status(org.mona, plan.pk, version=2, status="draft")
    services.plan_set_status(org.mona, plan.pk, version=2, status="closed")
    with pytest.raises(ValidationFailed) as closed:
        services.action_create(org.mona, plan.pk, title="x", owner_id=org.rita.pk, due_on=date.today())
    assert closed.value.code == "plan_closed"


def test_plan_vs_actual_counts_won_revenue_in_each_quarter(org, plan):
    today = timezone.localdate()
    quarter = next(q for q in plan.quarters.all() if q.start <= today <= q.end)
    services.quarter_update(org.rita, plan.pk, quarter.pk, version=1, expected_revenue="1000000")
    Opportunity.objects.filter(pk=org.opp.pk).update(status="won", closed_on=today)
    review = selectors.plan_review(plan, today)
    row = next(r for r in review.quarters if r.quarter.key == quarter.key)
    assert (row.expected, row.actual, row.attainment) == (D("1000000.00"), D("1200000.00"), D("1.2000"))
    assert review.actual == D("1200000.00")
    services.quarter_update(org.mona, plan.pk, quarter.pk, version=2, review_note="Won the substation deal")
    quarter.refresh_from_db()
    assert quarter.review_note and quarter.reviewed_by_id == org.mona.pk and quarter.version == 3
    with pytest.raises(Conflict):
        services.quarter_update(org.mona, plan.pk, quarter.pk, version=1, review_note="stale")


def test_actions_owners_deals_activities_and_who_updates_them(org, plan):
    due = timezone.localdate() + timedelta(days=3)
    mine = services.action_create(
        org.mona, plan.pk, title="Meet the CIO", owner_id=org.rita.pk, due_on=due, opportunity_id=org.opp.pk
    )
    with pytest.raises(ValidationFailed):  # tom does not see the account
        services.action_create(org.mona, plan.pk, title="x", owner_id=org.tom.pk, due_on=due)
    with pytest.raises(ValidationFailed):  # a deal of another account
        services.action_create(
            org.ada, plan.pk, title="x", owner_id=org.rita.pk, due_on=due, opportunity_id=org.sara_opp.pk
        )
    # tom joins the deal team: he sees the account, may own an action and update its progress only
    from kadence.pipeline.models import DealRole

    OpportunityTeamMember.objects.create(opportunity=org.opp, user=org.tom, role=DealRole.objects.first())
    toms = services.action_create(
        org.mona, plan.pk, title="Technical workshop", owner_id=org.tom.pk, due_on=due
    )
    services.action_update(org.tom, plan.pk, toms.pk, version=1, status="done")
    toms.refresh_from_db()
    assert toms.status == "done" and toms.done_on == timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.action_update(org.tom, plan.pk, toms.pk, version=2, title="renamed")
    with pytest.raises(PermissionDenied):
        services.action_update(org.tom, plan.pk, mine.pk, version=1, status="done")
    # an activity logged against the account is attached: progress on the action
    visit = activity_create(org.rita, account_id=org.account.pk, kind="visit", subject="CIO visit")
    services.action_attach_activity(org.rita, plan.pk, mine.pk, activity_id=visit.pk, version=1)
    mine.refresh_from_db()
    assert list(mine.activities.values_list("pk", flat=True)) == [visit.pk] and mine.version == 2
    other = activity_create(org.sara, account_id=org.sara_account.pk, kind="call_out", subject="elsewhere")
    with pytest.raises(NotFound):
        services.action_attach_activity(org.rita, plan.pk, mine.pk, activity_id=other.pk, version=2)
    with pytest.raises(ValidationFailed):
        services.action_attach_activity(org.ada, plan.pk, mine.pk, activity_id=other.pk, version=2)


def test_the_home_slot_lists_overdue_and_due_soon_actions_in_two_queries(
    org, plan, django_assert_num_queries
):
    today = timezone.localdate()
    services.action_create(
        org.mona, plan.pk, title="Overdue one", owner_id=org.rita.pk, due_on=today - timedelta(days=2)
    )
    services.action_create(
        org.mona, plan.pk, title="Soon", owner_id=org.rita.pk, due_on=today + timedelta(days=5)
    )
    services.action_create(
        org.mona, plan.pk, title="Later", owner_id=org.rita.pk, due_on=today + timedelta(days=60)
    )
    services.action_create(org.mona, plan.pk, title="Mona's", owner_id=org.mona.pk, due_on=today)
    with django_assert_num_queries(2):
        slot = plan_actions_slot(org.rita, today)
    assert [(r.action.title, r.state) for r in slot["rows"]] == [
        ("Overdue one", "overdue"),
        ("Soon", "due_soon"),
    ]
    for n in range(12):
        services.action_create(org.mona, plan.pk, title=f"more {n}", owner_id=org.rita.pk, due_on=today)
    with django_assert_num_queries(2):
        slot = plan_actions_slot(org.rita, today)
        [r.action.plan.account.name for r in slot["rows"]]
    assert len(slot["rows"]) == PlanPolicy.current().home_limit
    assert plan_actions_slot(org.sara, today) is None
    PlanPolicy.objects.create(pk=1, due_soon_days=90, home_limit=50)  # configuration as data
    titles = [r.action.title for r in plan_actions_slot(org.rita, today)["rows"]]
    assert "Later" in titles and len(titles) == 15


def test_the_pages_the_print_view_and_the_exports(client, org, plan, django_assert_max_num_queries):
    services.action_create(
        org.mona, plan.pk, title="=HYPERLINK(1)", owner_id=org.rita.pk, due_on=timezone.localdate()
    )
    client.force_login(org.mona)
    account_page = client.get(reverse("account_detail", args=[org.account.pk])).content.decode()
    assert 'data-testid="write-account-plan"' in account_page
    url = reverse("kam_plan_detail", args=[plan.pk])
    client.get(url)
    with django_assert_max_num_queries(
        33
    ):  # as many with 10 actions (measured: 32, with the BP of the year and the RAD policy)
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    for step in range(1, 6):
        assert f'data-testid="kam-step-{step}"' in html
    assert 'data-chart="kam-plan-figure"' in html and org.opp.name in html
    printed = client.get(reverse("kam_plan_print", args=[plan.pk])).content.decode()
    assert "@media print" in printed and "<nav" not in printed and "=HYPERLINK(1)" in printed
    export = client.get(url, {"format": "xlsx"})
    book = load_workbook(io.BytesIO(export.content))
    assert len(book.worksheets) == 4
    cells = [
        c
        for row in book.worksheets[2].iter_rows()
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert cells and not cells[0].value.startswith("=")
    listing = reverse("kam_plan_list")
    with django_assert_max_num_queries(12):
        page = client.get(listing)
    assert page.status_code == 200 and plan.title in page.content.decode()
    streamed = b"".join(client.get(listing, {"format": "xlsx"}).streaming_content)
    rows = list(load_workbook(io.BytesIO(streamed)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == plan.title
    assert client.get(listing, {"status": "nope"}).status_code == 422
    client.force_login(org.sara)
    assert client.get(url).status_code == 404
    assert client.get(reverse("kam_plan_print", args=[plan.pk])).status_code == 404
    assert plan.title not in client.get(listing).content.decode()
    assert client.get(reverse("kam_plan_new"), {"account_id": org.account.pk}).status_code == 404


def test_the_page_forms_create_edit_and_add_actions_with_htmx(client, org):
    client.force_login(org.mona)
    new = reverse("kam_plan_new") + f"?account_id={org.account.pk}"
    assert client.get(new).status_code == 200
    refused = client.post(
        new, {"account_id": org.account.pk, "period_start": "2026-12-31", "period_end": "2026-01-01"}
    )
    assert refused.status_code == 422 and AccountPlan.objects.count() == 0
    made = client.post(
        new,
        {
            "account_id": org.account.pk,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "owner_id": org.rita.pk,
        },
    )
    plan = AccountPlan.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse("kam_plan_detail", args=[plan.pk])
    edit = client.post(reverse("kam_plan_edit", args=[plan.pk]), {"version": 1, "objectives": "Grow"})
    assert edit.status_code == 302
    stale = client.post(reverse("kam_plan_edit", args=[plan.pk]), {"version": 1, "objectives": "Again"})
    assert stale.status_code == 302 and AccountPlan.objects.get().objectives == "Grow"
    add = reverse("kam_plan_action_add", args=[plan.pk])
    answer = client.post(
        add, {"title": "Visit", "owner_id": org.rita.pk, "due_on": "2026-05-01"}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200 and 'data-testid="kam-action"' in answer.content.decode()
    bad = client.post(
        add, {"title": "", "owner_id": org.rita.pk, "due_on": "2026-05-01"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 422 and 'data-testid="kam-action-error"' in bad.content.decode()
    action = PlanAction.objects.get()
    done = client.post(
        reverse("kam_plan_action_edit", args=[plan.pk, action.pk]),
        {"version": 1, "status": "done"},
        HTTP_HX_REQUEST="true",
    )
    assert done.status_code == 200 and PlanAction.objects.get().status == "done"
    stale = client.post(
        reverse("kam_plan_action_edit", args=[plan.pk, action.pk]),
        {"version": 1, "status": "open"},
        HTTP_HX_REQUEST="true",
    )
    assert stale.status_code == 409
    assert (
        client.post(
            reverse("kam_plan_status", args=[plan.pk]), {"version": 2, "status": "active"}
        ).status_code
        == 302
    )
    assert AccountPlan.objects.get().status == "active"


def test_the_api(client, org, token_for):
    start, end = _year()
    mona, sara = token_for(org.mona), token_for(org.sara)
    made = client.post(
        API,
        json.dumps(
            {"account_id": org.account.pk, "period_start": start.isoformat(), "period_end": end.isoformat()}
        ),
        content_type="application/json",
        **mona,
    )
    assert made.status_code == 201, made.content
    body = made.json()
    pid = body["id"]
    assert (
        body["owner_id"] == org.rita.pk
        and len(body["quarters"]) == 4
        and body["facts"]["buying_power"] == "5000000.00"
    )
    assert client.get(f"{API}/{pid}", **sara).status_code == 404
    assert client.get(API, **sara).json()["count"] == 0
    assert client.get(API, **mona).json()["items"][0]["id"] == pid
    assert client.get(API, {"status": "bad"}, **mona).status_code == 422
    patch = client.patch(
        f"{API}/{pid}",
        json.dumps({"version": 1, "objectives": "Grow"}),
        content_type="application/json",
        **mona,
    )
    assert patch.status_code == 200 and patch.json()["version"] == 2
    stale = client.patch(
        f"{API}/{pid}", json.dumps({"version": 1, "objectives": "x"}), content_type="application/json", **mona
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    action = client.post(
        f"{API}/{pid}/actions",
        json.dumps({"title": "Visit", "owner_id": org.rita.pk, "due_on": start.isoformat()}),
        content_type="application/json",
        **mona,
    )
    assert action.status_code == 201 and action.json()["action_items"][0]["state"] in (
        "overdue",
        "due_soon",
        "open",
    )
    aid = action.json()["action_items"][0]["id"]
    bad = client.post(
        f"{API}/{pid}/actions",
        json.dumps({"title": "x", "owner_id": org.sara.pk, "due_on": "2026-01-01"}),
        content_type="application/json",
        **mona,
    )
    assert bad.status_code == 422
    done = client.patch(
        f"{API}/{pid}/actions/{aid}",
        json.dumps({"version": 1, "status": "done"}),
        content_type="application/json",
        **token_for(org.rita),
    )
    assert done.status_code == 200 and done.json()["action_items"][0]["status"] == "done"
    qid = body["quarters"][0]["id"]
    q = client.patch(
        f"{API}/{pid}/quarters/{qid}",
        json.dumps({"version": 1, "expected_revenue": "500000"}),
        content_type="application/json",
        **mona,
    )
    assert q.status_code == 200 and q.json()["quarters"][0]["expected_revenue"] == "500000.00"
    act = client.post(
        f"{API}/{pid}/status",
        json.dumps({"version": 2, "status": "active"}),
        content_type="application/json",
        **mona,
    )
    assert act.status_code == 200 and act.json()["facts_from_snapshot"] is True
    assert (
        client.post(
            f"{API}/{pid}/status",
            json.dumps({"version": 3, "status": "draft"}),
            content_type="application/json",
            **mona,
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"{API}/{pid}/status",
            json.dumps({"version": 3, "status": "closed"}),
            content_type="application/json",
            **sara,
        ).status_code
        == 404
    )


def test_quarters_follow_a_draft_period_change(org, plan):
    q1 = plan.quarters.first()
    services.quarter_update(org.mona, plan.pk, q1.pk, version=1, expected_revenue="100")
    y = plan.period_start.year
    services.plan_update(org.mona, plan.pk, version=1, period_start=date(y, 2, 1), period_end=date(y, 8, 31))
    rows = list(plan.quarters.all())
    assert [q.key for q in rows] == [q.key for q in plan_quarters(date(y, 2, 1), date(y, 8, 31))]
    assert rows[0].start == date(y, 2, 1) and rows[0].expected_revenue == D("100.00")


def test_an_admin_changes_the_settings_on_the_page_and_through_the_api(client, org, token_for):
    # the page: the card is an admin's; a manager's post is refused and changes nothing
    client.force_login(org.mona)
    assert 'data-testid="kam-plan-settings"' not in client.get("/key-accounts/plans/").content.decode()
    assert client.post("/key-accounts/plans/settings/", {"version": 1, "due_soon_days": 3}).status_code == 403
    assert PlanPolicy.current().due_soon_days == 14
    client.force_login(org.ada)
    assert 'data-testid="kam-plan-settings"' in client.get("/key-accounts/plans/").content.decode()
    response = client.post(
        "/key-accounts/plans/settings/",
        {"version": 1, "due_soon_days": "7", "recent_activity_days": "60", "home_limit": "5"},
    )
    assert response.status_code == 302
    policy = PlanPolicy.objects.get(pk=1)
    assert (policy.due_soon_days, policy.recent_activity_days, policy.home_limit) == (7, 60, 5)
    assert AuditEntry.objects.filter(entity="keyaccounts.planpolicy", field="due_soon_days").exists()
    client.post("/key-accounts/plans/settings/", {"version": policy.version, "home_limit": "0"})
    assert PlanPolicy.objects.get(pk=1).home_limit == 5  # out of range: a message, nothing changed

    # the API: everyone reads; an admin writes with the version read; stale → 409; bad → 422
    client.logout()
    rep, admin = token_for(org.rita), token_for(org.ada)
    read = client.get("/api/key-accounts/plan-settings", **rep).json()
    assert read == {
        "due_soon_days": 7,
        "recent_activity_days": 60,
        "home_limit": 5,
        "version": policy.version,
    }
    body = json.dumps({"version": policy.version, "home_limit": 9})
    assert client.put("/api/key-accounts/plan-settings", body, "application/json", **rep).status_code == 403
    done = client.put("/api/key-accounts/plan-settings", body, "application/json", **admin)
    assert done.status_code == 200 and done.json()["home_limit"] == 9
    assert client.put("/api/key-accounts/plan-settings", body, "application/json", **admin).status_code == 409
    bad = json.dumps({"version": policy.version + 1, "due_soon_days": 0})
    assert client.put("/api/key-accounts/plan-settings", bad, "application/json", **admin).status_code == 422
    with pytest.raises(ValidationFailed):
        services.policy_update(org.ada, version=policy.version + 1, nonsense=3)


def test_the_settings_card_and_schema_take_their_ranges_from_the_service(client, org):
    from kadence.keyaccounts.plans.api import KamPlanSettingsIn

    client.force_login(org.ada)
    page = client.get("/key-accounts/plans/").content.decode()
    for name, (low, high) in services.POLICY_LIMITS.items():
        assert f'name="{name}" min="{low}" max="{high}"' in page
        field = KamPlanSettingsIn.model_fields[name]
        bounds = {type(m).__name__: m for m in field.metadata}
        assert bounds["Ge"].ge == low and bounds["Le"].le == high
