"""The 1-15-30 cadence's services: scheduling with the policy, supersede, follow-ups, judgements and
their effect on the deal, versions (409) and who may act (rita rep north-1, tom her teammate, mona
their manager, sam the manager of south-1, dora director north, ada admin)."""

from datetime import date, timedelta

import pytest

from kadence.activities.models import Activity
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.pipeline.models import LossReason, Opportunity
from kadence.rhythm.cadence.models import CadenceItem, CadencePolicy, Review
from kadence.rhythm.cadence.services import follow_up_record, judgement_record, review_create

TODAY = date(2026, 12, 1)


def _review(user, opp=None, account=None, on=TODAY, **kwargs):
    return review_create(
        user,
        opportunity_id=opp.pk if opp else None,
        account_id=account.pk if account else None,
        work_done=kwargs.pop("work_done", "Met the CIO"),
        reviewed_on=on,
        today=kwargs.pop("today", on),
        **kwargs,
    )


def _items(review):
    return {item.kind: item for item in review.items.all()}


def test_a_review_schedules_a_follow_up_and_a_judgement_with_the_policy(org):
    review = _review(org.mona, org.opp)
    items = _items(review)
    assert review.rep == org.rita and review.team_id == org.n1.pk and review.reviewer == org.mona
    assert items["follow_up"].due_on == TODAY + timedelta(days=15)
    assert items["judgement"].due_on == TODAY + timedelta(days=30)
    assert {i.status for i in items.values()} == {"open"}
    assert AuditEntry.objects.filter(entity="rhythm.review", entity_id=review.pk).exists()


def test_the_intervals_are_configuration(org):
    CadencePolicy.objects.filter(pk=1).update(follow_up_days=10, judgement_days=20)
    items = _items(_review(org.rita, org.opp))
    assert items["follow_up"].due_on == TODAY + timedelta(days=10)
    assert items["judgement"].due_on == TODAY + timedelta(days=20)


def test_the_policy_row_is_seeded(db):
    policy = CadencePolicy.objects.get(pk=1)
    assert (policy.follow_up_days, policy.judgement_days) == (15, 30)


def test_an_account_review(org):
    review = _review(org.rita, account=org.account)
    assert review.subject == Review.Subject.ACCOUNT and review.rep == org.rita
    assert len(_items(review)) == 2


def test_a_new_review_supersedes_the_open_items_and_keeps_them(org):
    first = _review(org.mona, org.opp)
    follow_up = _items(first)["follow_up"]
    follow_up_record(org.rita, follow_up.pk, version=follow_up.version, note="Called")
    second = _review(org.mona, org.opp, on=TODAY + timedelta(days=7))
    old = {i.kind: i for i in CadenceItem.objects.filter(review=first)}
    assert old["follow_up"].status == "done"  # recorded before: left as it was
    assert old["judgement"].status == "superseded" and old["judgement"].superseded_by_id == second.pk
    assert {i.status for i in second.items.all()} == {"open"}
    # another subject is not touched
    other = _review(org.rita, account=org.account)
    assert {i.status for i in other.items.all()} == {"open"}
    assert CadenceItem.objects.get(pk=_items(second)["judgement"].pk).status == "open"


def test_review_input_is_checked(org):
    with pytest.raises(ValidationFailed):
        review_create(org.rita, work_done="x", today=TODAY)  # no subject
    with pytest.raises(ValidationFailed):
        review_create(org.rita, opportunity_id=org.opp.pk, account_id=org.account.pk, work_done="x")
    with pytest.raises(ValidationFailed):
        _review(org.rita, org.opp, work_done="")
    with pytest.raises(ValidationFailed):
        _review(org.rita, org.opp, on=TODAY + timedelta(days=1), today=TODAY)


@pytest.mark.parametrize(
    ("who", "error"),
    [("tom", NotFound), ("sam", NotFound), ("sara", NotFound), ("nick", NotFound)],
)
def test_who_may_not_review_rita_s_deal(org, who, error):
    with pytest.raises(error):
        _review(getattr(org, who), org.opp)


@pytest.mark.parametrize("who", ["rita", "mona", "dora", "ada"])
def test_who_may_review_rita_s_deal(org, who):
    assert _review(getattr(org, who), org.opp).pk


def test_a_deal_team_member_may_not_review_it(org):
    from kadence.pipeline.models import DealRole
    from kadence.pipeline.services import opportunity_team_add

    opportunity_team_add(org.rita, org.opp.pk, user_id=org.tom.pk, role_id=DealRole.objects.first().pk)
    with pytest.raises(PermissionDenied):
        _review(org.tom, org.opp)
    item = _items(_review(org.mona, org.opp))["judgement"]
    with pytest.raises(NotFound):  # tom does not see rita's items
        judgement_record(org.tom, item.pk, version=1, outcome="downgrade", today=TODAY)


def test_follow_up_needs_a_note_and_the_version(org):
    item = _items(_review(org.mona, org.opp))["follow_up"]
    with pytest.raises(ValidationFailed):
        follow_up_record(org.rita, item.pk, version=item.version, note="  ")
    with pytest.raises(ValidationFailed):
        follow_up_record(org.rita, item.pk, version=None, note="x")
    with pytest.raises(Conflict):
        follow_up_record(org.rita, item.pk, version=item.version + 1, note="x")
    done = follow_up_record(org.rita, item.pk, version=item.version, note="Progress: tender in March")
    assert done.status == "done" and done.outcome == "followed_up" and done.done_by == org.rita
    assert done.version == item.version + 1
    with pytest.raises(Conflict):  # recorded: not open any more
        follow_up_record(org.rita, item.pk, version=done.version, note="again")
    other = _items(_review(org.mona, account=org.account))["follow_up"]
    with pytest.raises(ValidationFailed):  # a follow-up is not judged
        judgement_record(org.rita, other.pk, version=other.version, outcome="downgrade")


def test_continue_writes_the_next_step_on_the_deal_and_plans_an_activity(org):
    item = _items(_review(org.mona, org.opp, on=TODAY - timedelta(days=30), today=TODAY))["judgement"]
    when = TODAY + timedelta(days=5)
    with pytest.raises(ValidationFailed):  # no next step
        judgement_record(org.mona, item.pk, version=item.version, outcome="continue", today=TODAY)
    with pytest.raises(ValidationFailed):  # too far ahead
        judgement_record(
            org.mona,
            item.pk,
            version=item.version,
            outcome="continue",
            next_step="x",
            next_step_on=TODAY + timedelta(days=31),
            today=TODAY,
        )
    done = judgement_record(
        org.rita,
        item.pk,
        version=item.version,
        outcome="continue",
        next_step="Demo to the CIO",
        next_step_on=when,
        today=TODAY,
    )
    opp = Opportunity.objects.get(pk=org.opp.pk)
    assert done.outcome == "continue" and done.next_step_on == when
    assert opp.next_step == f"{when.isoformat()}: Demo to the CIO"
    planned = Activity.objects.get(opportunity=opp, done=False)
    assert planned.date == when and planned.subject == "Demo to the CIO"


def test_continue_on_an_account_plans_an_activity(org):
    item = _items(_review(org.rita, account=org.account))["judgement"]
    judgement_record(
        org.rita,
        item.pk,
        version=1,
        outcome="continue",
        next_step="Visit the plant",
        next_step_on=TODAY + timedelta(days=3),
        today=TODAY,
    )
    assert Activity.objects.filter(account=org.account, opportunity=None, done=False).count() == 1


def test_downgrade_lowers_the_forecast_category_one_step(org):
    opp = Opportunity.objects.get(pk=org.opp.pk)
    Opportunity.objects.filter(pk=opp.pk).update(forecast_category="best_case")
    item = _items(_review(org.mona, org.opp))["judgement"]
    judgement_record(org.mona, item.pk, version=1, outcome="downgrade", note="No budget yet", today=TODAY)
    opp.refresh_from_db()
    assert opp.forecast_category == "next_quarter"
    assert AuditEntry.objects.filter(
        entity="pipeline.opportunity", entity_id=opp.pk, field="forecast_category", new_value="next_quarter"
    ).exists()


def test_downgrade_at_the_bottom_is_refused_and_records_nothing(org):
    Opportunity.objects.filter(pk=org.opp.pk).update(forecast_category="omitted")
    item = _items(_review(org.mona, org.opp))["judgement"]
    with pytest.raises(ValidationFailed) as refused:
        judgement_record(org.mona, item.pk, version=1, outcome="downgrade", today=TODAY)
    assert refused.value.code == "lowest_category"
    assert CadenceItem.objects.get(pk=item.pk).status == "open"


def test_stop_closes_the_deal_lost_with_a_reason(org):
    item = _items(_review(org.mona, org.opp))["judgement"]
    with pytest.raises(ValidationFailed):
        judgement_record(org.mona, item.pk, version=1, outcome="stop", today=TODAY)
    reason = LossReason.objects.first()
    done = judgement_record(
        org.mona, item.pk, version=1, outcome="stop", loss_reason_id=reason.pk, note="No intent", today=TODAY
    )
    opp = Opportunity.objects.get(pk=org.opp.pk)
    assert opp.status == "lost" and opp.loss_reason == reason and opp.forecast_category == "omitted"
    assert done.outcome == "stop" and done.loss_reason_id == reason.pk
    # the deal is closed: its other items drop out of the lists; only stop may be recorded now
    follow_up = _items(Review.objects.get(pk=item.review_id))["follow_up"]
    from kadence.rhythm.cadence.selectors import items_list

    assert items_list(org.mona, state="open", today=TODAY).count == 0
    assert follow_up.status == "open"


def test_stop_on_an_account_is_recorded_only(org):
    item = _items(_review(org.rita, account=org.account))["judgement"]
    done = judgement_record(org.rita, item.pk, version=1, outcome="stop", today=TODAY)
    assert done.outcome == "stop"
    org.account.refresh_from_db()


def test_a_rep_cannot_judge_another_rep_s_deal_and_a_stale_version_is_409(org):
    item = _items(_review(org.sam, org.sara_opp))["judgement"]
    with pytest.raises(NotFound):
        judgement_record(org.rita, item.pk, version=1, outcome="downgrade", today=TODAY)
    with pytest.raises(NotFound):
        judgement_record(org.mona, item.pk, version=1, outcome="downgrade", today=TODAY)
    with pytest.raises(Conflict):
        judgement_record(org.sara, item.pk, version=2, outcome="downgrade", today=TODAY)
    with pytest.raises(ValidationFailed):
        judgement_record(org.sara, item.pk, version=1, outcome="maybe", today=TODAY)
    assert judgement_record(org.sven, item.pk, version=1, outcome="downgrade", today=TODAY).status == "done"
