"""The weekly plan pages: the rep's week, a plan's page with its htmx actions, the team view, the quick
visit log; CSRF on every form; query counts."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kadence.activities.models import Activity
from kadence.rhythm.plans import services
from kadence.rhythm.plans.models import PlanComment, PlanItem, VisitAttachment, WeeklyPlan
from tests.rhythm.plans_helpers import contact, done, next_monday, this_monday

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "plan"}


def _plan(org, week=None, items=0):
    plan, _ = services.plan_open(org.rita, week or this_monday())
    for i in range(items):
        plan.refresh_from_db()
        services.item_add(
            org.rita,
            plan.pk,
            version=plan.version,
            day=plan.week_start,
            account_id=org.account.pk,
            contact_ids=[contact(org.account, f"c{i}").pk],
            opportunity_id=org.opp.pk,
            goal=f"goal {i}",
        )
    plan.refresh_from_db()
    return plan


def test_my_week_plans_next_week(client, org):
    client.force_login(org.rita)
    page = client.get(reverse("rhythm_plans"))
    assert page.status_code == 200 and b'data-testid="plan-next-week"' in page.content
    r = client.post(reverse("rhythm_plan_open"), {"week_start": next_monday().isoformat()})
    plan = WeeklyPlan.objects.get(owner=org.rita)
    assert r.status_code == 302 and r.url == reverse("rhythm_plan_detail", args=[plan.pk])
    assert b'data-testid="open-next-plan"' in client.get(reverse("rhythm_plans")).content


def test_my_week_shows_plan_vs_actual_in_few_queries(client, org, django_assert_max_num_queries):
    _plan(org, items=5)
    for _ in range(3):
        done(org.rita, org.account, this_monday())
    client.force_login(org.rita)
    client.get(reverse("rhythm_plans"))
    with django_assert_max_num_queries(14):
        page = client.get(reverse("rhythm_plans"))
    assert page.status_code == 200
    assert page.context["week"].kept_count == 3 and page.context["week"].planned == 5


def test_plan_page_actions_through_htmx(client, org, django_assert_max_num_queries):
    plan = _plan(org, items=4)
    client.force_login(org.rita)
    with django_assert_max_num_queries(22):
        page = client.get(reverse("rhythm_plan_detail", args=[plan.pk]))
    assert page.status_code == 200 and page.content.count(b'data-testid="plan-item"') == 4
    r = client.post(
        reverse("rhythm_plan_item_add", args=[plan.pk]),
        {
            "version": plan.version,
            "kind": "call_out",
            "day": this_monday().isoformat(),
            "account": org.account.pk,
            "goal": "电话",
        },
        **HX,
    )
    assert r.status_code == 200 and r.content.count(b'data-testid="plan-item"') == 5
    # stale version: the fragment again with the reason, 409
    r = client.post(
        reverse("rhythm_plan_item_add", args=[plan.pk]),
        {"version": plan.version, "day": this_monday().isoformat(), "account": org.account.pk},
        **HX,
    )
    assert r.status_code == 409 and b'data-testid="plan-error"' in r.content
    # outside the week: 422 with the message
    plan.refresh_from_db()
    r = client.post(
        reverse("rhythm_plan_item_add", args=[plan.pk]),
        {
            "version": plan.version,
            "day": (this_monday() + timedelta(days=7)).isoformat(),
            "account": org.account.pk,
        },
        **HX,
    )
    assert r.status_code == 422 and b'data-testid="plan-error"' in r.content
    item = PlanItem.objects.filter(plan=plan).first()
    r = client.post(
        reverse("rhythm_plan_item_edit", args=[plan.pk, item.pk]),
        {"version": item.version, "goal": "改"},
        **HX,
    )
    assert r.status_code == 200 and PlanItem.objects.get(pk=item.pk).goal == "改"
    item.refresh_from_db()
    r = client.post(
        reverse("rhythm_plan_item_remove", args=[plan.pk, item.pk]), {"version": item.version}, **HX
    )
    assert r.status_code == 200 and not PlanItem.objects.filter(pk=item.pk).exists()
    plan.refresh_from_db()
    r = client.post(reverse("rhythm_plan_submit", args=[plan.pk]), {"version": plan.version})
    assert r.status_code == 302
    assert WeeklyPlan.objects.get(pk=plan.pk).status == "submitted"
    plan.refresh_from_db()
    r = client.post(reverse("rhythm_plan_copy", args=[plan.pk]), {"version": plan.version}, **HX)
    assert r.status_code == 200


def test_a_manager_comments_from_the_plan_and_the_team_page(client, org, django_assert_max_num_queries):
    plan = _plan(org, items=2)
    _plan_tom, _ = services.plan_open(org.tom, this_monday())
    client.force_login(org.mona)
    client.get(reverse("rhythm_plans_team"))
    with django_assert_max_num_queries(16):
        team = client.get(reverse("rhythm_plans_team"), {"week": this_monday().isoformat()})
    assert team.status_code == 200
    rows = {row.rep.username: row for row in team.context["page"].items}
    assert set(rows) == {"rita", "tom"} and rows["rita"].planned == 2
    r = client.post(reverse("rhythm_plan_comment", args=[plan.pk]), {"text": "周三前约到总工"}, **HX)
    assert r.status_code == 200 and "周三前约到总工" in r.content.decode()
    r = client.post(
        reverse("rhythm_plan_comment", args=[plan.pk]),
        {"text": "好", "fragment": "team"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"team-comments-{plan.pk}",
    )
    assert r.status_code == 200 and b'data-testid="team-comment"' in r.content
    assert PlanComment.objects.filter(plan=plan).count() == 2
    # the rep sees the comments but has no comment form; a rep cannot comment
    client.force_login(org.rita)
    page = client.get(reverse("rhythm_plan_detail", args=[plan.pk]))
    assert b'data-testid="plan-comment"' in page.content and b'data-testid="comment-add"' not in page.content
    assert client.post(reverse("rhythm_plan_comment", args=[plan.pk]), {"text": "x"}, **HX).status_code == 403


def test_visibility_of_pages(client, org):
    plan = _plan(org)
    for user, status in [(org.tom, 404), (org.sam, 404), (org.mona, 200), (org.dora, 200), (org.ada, 200)]:
        client.force_login(user)
        assert client.get(reverse("rhythm_plan_detail", args=[plan.pk])).status_code == status
    client.force_login(org.mona)
    r = client.post(
        reverse("rhythm_plan_item_add", args=[plan.pk]),
        {"version": plan.version, "day": this_monday().isoformat(), "account": org.account.pk},
    )
    assert r.status_code == 403
    client.force_login(org.sam)
    assert client.get(reverse("rhythm_plans_team"), {"unit": org.n1.pk}).status_code == 404
    assert client.get(reverse("rhythm_plans_team"), {"week": "nope"}).status_code in (400, 422)


def test_forms_need_csrf(org):
    plan = _plan(org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rita)
    for url in (
        reverse("rhythm_plan_open"),
        reverse("rhythm_plan_submit", args=[plan.pk]),
        reverse("rhythm_plan_item_add", args=[plan.pk]),
        reverse("rhythm_log_visit"),
    ):
        assert client.post(url, {}).status_code == 403


def test_quick_visit_log(client, org, django_assert_max_num_queries):
    plan = _plan(org, items=1)
    c = contact(org.account)
    client.force_login(org.rita)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("rhythm_log_visit"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'capture="environment"' in html and 'enctype="multipart/form-data"' in html
    assert org.account.name in html
    parts = client.get(
        reverse("rhythm_plan_account_parts"), {"account": org.account.pk}, HTTP_HX_REQUEST="true"
    )
    assert c.name in parts.content.decode() and org.opp.name in parts.content.decode()
    options = client.get(reverse("rhythm_plan_account_options"), {"q": "江苏"}, HTTP_HX_REQUEST="true")
    assert org.account.name in options.content.decode()
    assert (
        client.get(reverse("rhythm_plan_account_parts"), {"account": org.sara_account.pk}).status_code == 404
    )
    r = client.post(
        reverse("rhythm_log_visit"),
        {
            "account": org.account.pk,
            "contacts": [c.pk],
            "opportunity": org.opp.pk,
            "result": "found",
            "outcome": "发现新需求",
            "next_step": "报价",
            "next_step_date": (this_monday() + timedelta(days=9)).isoformat(),
            "date": this_monday().isoformat(),
            "file": SimpleUploadedFile("名片.png", b"\x89PNG" + b"0" * 20, content_type="image/png"),
        },
    )
    assert r.status_code == 302, r.content
    activity = Activity.objects.get(owner=org.rita)
    assert activity.result == "found" and activity.next_step == "报价"
    assert PlanItem.objects.get(plan=plan).fulfilled_by_id == activity.pk
    confirmation = client.get(r.url)
    assert (
        b'data-testid="visit-logged"' in confirmation.content
        and b'data-testid="visit-file"' in confirmation.content
    )
    attachment = VisitAttachment.objects.get()
    assert client.get(reverse("rhythm_visit_attachment", args=[attachment.pk])).status_code == 200
    week = client.get(reverse("rhythm_plans"))
    assert week.context["week"].kept_count == 1 and b'data-testid="visit-file"' in week.content


def test_quick_visit_log_refusals_keep_the_form(client, org, settings):
    settings.KADENCE_VISIT_FILE_MAX_BYTES = 10
    client.force_login(org.rita)
    r = client.post(
        reverse("rhythm_log_visit"),
        {"account": org.account.pk, "outcome": "keep me", "file": SimpleUploadedFile("a.jpg", b"x" * 100)},
    )
    assert r.status_code == 422 and b'data-testid="visit-error"' in r.content and b"keep me" in r.content
    r = client.post(
        reverse("rhythm_log_visit"), {"account": org.account.pk, "file": SimpleUploadedFile("a.exe", b"x")}
    )
    assert r.status_code == 422
    r = client.post(reverse("rhythm_log_visit"), {"outcome": "no account"})
    assert r.status_code == 422
    assert not Activity.objects.filter(owner=org.rita).exists()


def test_hub_links_the_plans(client, org):
    client.force_login(org.rita)
    assert b'data-testid="hub-plans"' in client.get(reverse("rhythm_hub")).content
