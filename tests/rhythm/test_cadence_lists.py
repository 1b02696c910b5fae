"""What is due and overdue as time passes (today passed explicitly), the counts per rep, and the
functions the other parts of the rhythm call: items_for_rep, on_time, cadence_due."""

from datetime import date, timedelta

from kadence.rhythm.cadence.models import CadenceItem
from kadence.rhythm.cadence.selectors import cadence_due, counts, items_for_rep, items_list, on_time
from kadence.rhythm.cadence.services import follow_up_record, review_create

DAY0 = date(2026, 11, 2)  # a Monday


def _review(user, opp=None, account=None, on=DAY0):
    return review_create(
        user,
        opportunity_id=opp.pk if opp else None,
        account_id=account.pk if account else None,
        work_done="Reviewed",
        reviewed_on=on,
        today=on,
    )


def _item(review, kind):
    return review.items.get(kind=kind)


def test_the_follow_up_becomes_due_then_overdue(org):
    _review(org.mona, org.opp)
    follow_up_day = DAY0 + timedelta(days=15)
    assert items_list(org.rita, state="due", today=DAY0).count == 0
    assert items_list(org.rita, state="due", today=follow_up_day - timedelta(days=6)).count == 1
    assert items_list(org.rita, state="overdue", today=follow_up_day).count == 0
    overdue = items_list(org.rita, state="overdue", today=follow_up_day + timedelta(days=1))
    assert [i.kind for i in overdue.items] == ["follow_up"]
    late = items_list(org.mona, state="overdue", today=DAY0 + timedelta(days=31))
    assert {i.kind for i in late.items} == {"follow_up", "judgement"}


def test_who_sees_the_items(org):
    _review(org.mona, org.opp)
    _review(org.sam, org.sara_opp)
    seen = {
        name: items_list(getattr(org, name), state="open", today=DAY0).count
        for name in ("rita", "tom", "mona", "sam", "dora", "sven", "ada", "nick")
    }
    assert seen == {"rita": 2, "tom": 0, "mona": 2, "sam": 2, "dora": 2, "sven": 2, "ada": 4, "nick": 0}


def test_counts_per_rep_for_a_manager_are_one_query(org, django_assert_max_num_queries):
    _review(org.mona, org.opp)
    _review(org.mona, account=org.account, on=DAY0 - timedelta(days=20))
    today = DAY0 + timedelta(days=1)
    with django_assert_max_num_queries(4):  # the policy, the scope, the grouped counts
        result = counts(org.mona, today=today)
    assert (result.overdue, result.open) == (1, 4)
    [line] = result.page.items
    assert line.rep_id == org.rita.pk and line.overdue == 1
    assert counts(org.sam, today=today).open == 0


def test_the_list_page_query_count_does_not_grow(org, django_assert_max_num_queries):
    for offset in range(5):
        _review(org.rita, org.opp, on=DAY0 + timedelta(days=offset))
        _review(org.rita, account=org.account, on=DAY0 + timedelta(days=offset))
    with django_assert_max_num_queries(4):
        page = items_list(org.ada, state=None, today=DAY0, page_size=50)
        assert page.count == 20 and len(page.items) == 20
        [item.review.opportunity or item.review.account for item in page.items]


def test_items_for_rep_of_a_week(org):
    review = _review(org.mona, org.opp)
    week = DAY0 + timedelta(days=14)  # Monday of the week holding day 15
    block = items_for_rep(org.rita, week)
    assert [i.kind for i in block.due] == ["follow_up"] and block.overdue == [] and block.done == []
    follow_up = _item(review, "follow_up")
    follow_up_record(org.rita, follow_up.pk, version=1, note="ok")
    CadenceItem.objects.filter(pk=follow_up.pk).update(done_on=week + timedelta(days=2))
    block = items_for_rep(org.rita, week)
    assert [i.kind for i in block.done] == ["follow_up"]
    later = items_for_rep(org.rita.pk, DAY0 + timedelta(days=35))
    assert [i.kind for i in later.overdue] == ["judgement"]


def test_on_time(org):
    first = _review(org.mona, org.opp)
    follow_up = _item(first, "follow_up")
    follow_up_record(org.rita, follow_up.pk, version=1, note="ok")
    CadenceItem.objects.filter(pk=follow_up.pk).update(done_on=follow_up.due_on)
    second = _review(org.mona, account=org.account)
    late = _item(second, "follow_up")
    follow_up_record(org.rita, late.pk, version=1, note="late")
    CadenceItem.objects.filter(pk=late.pk).update(done_on=late.due_on + timedelta(days=3))
    result = on_time([org.rita.pk, org.tom.pk], DAY0, DAY0 + timedelta(days=40))
    # rita: 2 follow-ups + 2 judgements due, 1 done on time; tom: nothing
    assert result == {org.rita.pk: (4, 1), org.tom.pk: (0, 0)}
    # a review superseding open items before they fall due takes them out of the count
    _review(org.mona, org.opp, on=DAY0 + timedelta(days=10))
    result = on_time([org.rita.pk], DAY0, DAY0 + timedelta(days=30))
    assert result[org.rita.pk] == (4, 1)  # the old judgement superseded before due; the new follow-up counts


def test_cadence_due_reminds_the_rep_then_the_manager(org):
    review = _review(org.mona, org.opp)
    follow_up = _item(review, "follow_up")
    assert list(cadence_due(DAY0)) == []
    due = list(cadence_due(follow_up.due_on))
    assert [(d.user_id, d.key) for d in due] == [(org.rita.pk, f"cadence:{follow_up.pk}:due")]
    item = due[0]
    assert item.due_date == follow_up.due_on and item.url.startswith("/rhythm/cadence/")
    assert item.kind == "cadence" and item.title.params["subject"] == org.opp.name
    overdue = list(cadence_due(follow_up.due_on + timedelta(days=1)))
    assert {(d.user_id, d.key) for d in overdue} == {
        (org.rita.pk, f"cadence:{follow_up.pk}:overdue"),
        (org.mona.pk, f"cadence:{follow_up.pk}:overdue"),
    }
