"""Weekly plan services: open, items (validation), submit, comments (who may), copy, versions (409)."""

from datetime import timedelta

import pytest

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.rhythm.plans import selectors, services
from kadence.rhythm.plans.models import PlanItem, WeeklyPlan
from tests.rhythm.plans_helpers import contact, done, next_monday, this_monday

pytestmark = pytest.mark.django_db


def _item(org, plan, **values):
    values.setdefault("day", plan.week_start)
    values.setdefault("account_id", org.account.pk)
    plan.refresh_from_db()
    return services.item_add(org.rita, plan.pk, version=plan.version, **values)


def test_open_next_week_by_default_once(org):
    plan, created = services.plan_open(org.rita)
    assert created and plan.week_start == next_monday() and plan.team_id == org.n1.pk
    again, created = services.plan_open(org.rita, next_monday())
    assert again.pk == plan.pk and not created
    assert AuditEntry.objects.filter(entity="rhythm.weeklyplan", entity_id=plan.pk).exists()


@pytest.mark.parametrize("shift", [1, -7, 7 * 20])
def test_open_refuses_a_non_monday_a_past_week_or_too_far(org, shift):
    with pytest.raises(ValidationFailed):
        services.plan_open(org.rita, this_monday() + timedelta(days=shift))


def test_add_item_with_contacts_and_deal(org):
    plan, _ = services.plan_open(org.rita)
    c = contact(org.account)
    item = _item(org, plan, kind="visit", contact_ids=[c.pk], opportunity_id=org.opp.pk, goal="确认需求")
    assert list(item.contacts.all()) == [c] and item.opportunity_id == org.opp.pk
    plan.refresh_from_db()
    assert plan.version == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"day_shift": 7}, "day"),
        ({"day_shift": -1}, "day"),
        ({"sara_account": True}, "account_id"),
        ({"sara_contact": True}, "contact_ids"),
        ({"sara_opp": True}, "opportunity_id"),
        ({"kind": "fax"}, "kind"),
        ({"goal": "x" * 501}, "goal"),
    ],
)
def test_item_validation_names_the_field(org, values, field):
    plan, _ = services.plan_open(org.rita)
    kwargs = {
        "day": plan.week_start + timedelta(days=values.pop("day_shift", 0)),
        "account_id": org.account.pk,
    }
    if values.pop("sara_account", False):
        kwargs["account_id"] = org.sara_account.pk
    if values.pop("sara_contact", False):
        kwargs["contact_ids"] = [contact(org.sara_account).pk]
    if values.pop("sara_opp", False):
        kwargs["opportunity_id"] = org.sara_opp.pk
    kwargs.update(values)
    with pytest.raises(ValidationFailed) as caught:
        services.item_add(org.rita, plan.pk, version=plan.version, **kwargs)
    assert field in caught.value.errors


def test_a_deal_of_another_account_is_refused(org):
    from kadence.accounts.services import account_create

    other = account_create(org.rita, name="另一个客户", industry_id=org.industry.pk, region_id=org.north.pk)
    plan, _ = services.plan_open(org.rita)
    with pytest.raises(ValidationFailed) as caught:
        services.item_add(
            org.rita,
            plan.pk,
            version=plan.version,
            day=plan.week_start,
            account_id=other.pk,
            opportunity_id=org.opp.pk,
        )
    assert "opportunity_id" in caught.value.errors


def test_stale_versions_answer_conflict(org):
    plan, _ = services.plan_open(org.rita)
    item = _item(org, plan)
    with pytest.raises(Conflict):
        services.item_add(org.rita, plan.pk, version=1, day=plan.week_start, account_id=org.account.pk)
    with pytest.raises(Conflict):
        services.item_update(org.rita, plan.pk, item.pk, version=item.version + 5, goal="x")
    with pytest.raises(Conflict):
        services.item_remove(org.rita, plan.pk, item.pk, version=item.version + 5)
    with pytest.raises(Conflict):
        services.plan_submit(org.rita, plan.pk, version=1)
    with pytest.raises(ValidationFailed):
        services.plan_submit(org.rita, plan.pk, version=None)


def test_update_and_remove_item(org):
    plan, _ = services.plan_open(org.rita)
    item = _item(org, plan)
    item = services.item_update(
        org.rita, plan.pk, item.pk, version=item.version, goal="新目标", kind="call_out"
    )
    assert (item.goal, item.kind, item.version) == ("新目标", "call_out", 2)
    services.item_remove(org.rita, plan.pk, item.pk, version=item.version)
    assert not PlanItem.objects.filter(pk=item.pk).exists()
    assert AuditEntry.objects.filter(entity="rhythm.planitem", entity_id=item.pk, field="removed").exists()


def test_only_the_rep_changes_the_plan(org):
    plan, _ = services.plan_open(org.rita)
    with pytest.raises(PermissionDenied):
        services.item_add(
            org.mona, plan.pk, version=plan.version, day=plan.week_start, account_id=org.account.pk
        )
    with pytest.raises(NotFound):  # tom, a teammate, does not even see it
        services.plan_submit(org.tom, plan.pk, version=plan.version)
    with pytest.raises(NotFound):
        services.plan_comment(org.sam, plan.pk, text="hi")


def test_submit_needs_items_and_is_idempotent(org):
    plan, _ = services.plan_open(org.rita)
    with pytest.raises(ValidationFailed):
        services.plan_submit(org.rita, plan.pk, version=plan.version)
    _item(org, plan)
    plan.refresh_from_db()
    plan = services.plan_submit(org.rita, plan.pk, version=plan.version)
    assert plan.status == WeeklyPlan.Status.SUBMITTED and plan.submitted_at
    assert services.plan_submit(org.rita, plan.pk, version=1).status == WeeklyPlan.Status.SUBMITTED


@pytest.mark.parametrize(("who", "allowed"), [("mona", True), ("dora", True), ("ada", True), ("rita", False)])
def test_who_comments(org, who, allowed):
    plan, _ = services.plan_open(org.rita)
    user = getattr(org, who)
    if allowed:
        comment = services.plan_comment(user, plan.pk, text="多拜访技术决策者")
        assert comment.author_id == user.pk
    else:
        with pytest.raises(PermissionDenied):
            services.plan_comment(user, plan.pk, text="self")


def test_a_blank_comment_is_refused(org):
    plan, _ = services.plan_open(org.rita)
    with pytest.raises(ValidationFailed):
        services.plan_comment(org.mona, plan.pk, text="   ")


def test_copy_unfinished_from_last_week(org):
    this, _ = services.plan_open(org.rita, this_monday())
    kept = _item(org, this, kind="visit")
    missed = _item(org, this, kind="call_out", goal="回访")
    done(org.rita, org.account, this_monday(), "visit")
    nxt, _ = services.plan_open(org.rita)
    assert services.plan_copy_unfinished(org.rita, nxt.pk, version=nxt.version) == 1
    copied = PlanItem.objects.get(plan=nxt)
    assert (copied.copied_from_id, copied.goal, copied.day) == (
        missed.pk,
        "回访",
        missed.day + timedelta(weeks=1),
    )
    nxt.refresh_from_db()
    assert services.plan_copy_unfinished(org.rita, nxt.pk, version=nxt.version) == 0  # not twice
    assert kept.pk != copied.copied_from_id


def test_plan_vs_actual_and_exports_for_other_parts(org):
    plan, _ = services.plan_open(org.rita, this_monday())
    _item(org, plan, kind="visit")
    _item(org, plan, kind="call_out")
    done(org.rita, org.account, this_monday(), "meeting")
    done(org.rita, org.sara_account if False else org.account, this_monday(), "email")
    week = selectors.plan_vs_actual(org.rita, this_monday() + timedelta(days=3))
    assert (week.planned, week.kept_count, len(week.missed), len(week.unplanned)) == (2, 1, 1, 1)
    assert week.kept_rate == 0.5
    kept = selectors.plans_kept([org.rita.pk, org.tom.pk], this_monday(), this_monday() + timedelta(days=6))
    assert kept == {org.rita.pk: (2, 1)}
    due = list(selectors.planned_due(this_monday()))
    assert [(d.user_id, d.due_date) for d in due] == [(org.rita.pk, this_monday())]
    assert due[0].key.startswith("plan-item:") and due[0].url.startswith("/")


def test_plan_vs_actual_reads_a_fixed_number_of_queries(org, django_assert_max_num_queries):
    plan, _ = services.plan_open(org.rita, this_monday())
    for i in range(6):
        _item(org, plan, kind="visit", contact_ids=[contact(org.account, f"c{i}").pk])
        done(org.rita, org.account, this_monday())
    with django_assert_max_num_queries(5):
        week = selectors.plan_vs_actual(org.rita, this_monday())
        assert week.kept_count == 6
        [list(r.item.contacts.all()) for r in week.items]
