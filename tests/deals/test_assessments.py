"""C139 assessment and bid / no-bid through the services (METHODOLOGY §3, §5): the worked examples,
validation (nothing saved on bad input), history, audit, what the gates and the staging flag make of
an assessment, and who may assess (owner, deal-team member, manager in scope; 404 for the rest)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kadence.accounts.models import Contact
from kadence.core.errors import NotFound, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.core.visibility import access_opportunity
from kadence.deals.models import BidAssessment, C139Answer, C139Assessment, ControlPolicy
from kadence.deals.selectors import assessments as selectors
from kadence.deals.selectors.gates import gate_checklist
from kadence.deals.services.assessments import bid_assess, c139_assess
from kadence.domain import c139 as c139_domain
from kadence.pipeline.models import DealRole, Opportunity, Stage
from kadence.pipeline.services import opportunity_close_lost, opportunity_team_add
from tests.versions import opp_version


def answers(clear: int, first: int, win: str = "unknown", **extra) -> dict[str, dict]:
    """The first `clear` Clears and `first` Firsts confirmed, W1 as given, the rest unknown."""
    result = {f"C{i}": {"status": "confirmed" if i <= clear else "unknown"} for i in range(1, 10)}
    result.update({f"F{i}": {"status": "confirmed" if i <= first else "unknown"} for i in range(1, 4)})
    result["W1"] = {"status": win}
    for item, fields in extra.items():
        result[item] = {**result[item], **fields}
    return result


def bid(user, opp, **changes):
    fields = {
        "buyer_type": "enterprise",
        "real_opportunity": 1,
        "can_compete": 1,
        "can_win": 1,
        "worth_winning": 1,
        "outcome": "pursue",
    }
    fields.update(changes)
    return bid_assess(user, opp.pk, **fields)


def criterion_met(user, opp, code: str) -> bool:
    checklist = gate_checklist(user, opp.pk)
    return next(r.met for s in checklist.stages for r in s.rows if r.criterion.code == code)


def put_at(opp, code: str) -> Opportunity:
    stage = Stage.objects.get(template_id=opp.template_id, code=code)
    Opportunity.objects.filter(pk=opp.pk).update(stage=stage)
    return Opportunity.objects.get(pk=opp.pk)


@pytest.fixture
def coach(org):
    return Contact.objects.create(account=org.account, name="李工", buying_roles=["coach"])


# --- C139: the worked example of METHODOLOGY §3 ------------------------------------------------------


def test_8c1f0w_meets_the_rule_with_band_60_to_90(org):
    saved = c139_assess(org.rita, org.opp.pk, answers=answers(8, 1), note="与教练确认")
    assert (saved.result, saved.clear, saved.first, saved.win) == ("8C1F0W", 8, 1, 0)
    assert saved.meets_rule is True and saved.win_against is False
    assert (saved.band, saved.band_low, saved.band_high) == ("rule_met", Decimal(60), Decimal(90))
    assert saved.assessed_by == org.rita and saved.note == "与教练确认"


def test_9c0f0w_does_not_meet_the_rule_or_better_is_per_tier(org):
    saved = c139_assess(org.rita, org.opp.pk, answers=answers(9, 0))
    assert saved.result == "9C0F0W" and saved.meets_rule is False
    assert (saved.band, saved.band_low, saved.band_high) == ("developing", Decimal(25), Decimal(50))


def test_w1_against_is_at_most_10_percent_whatever_the_rest(org):
    saved = c139_assess(org.rita, org.opp.pk, answers=answers(9, 3, "negative"))
    assert saved.result == "9C3F0W" and saved.win_against is True
    assert saved.meets_rule is True  # the rule counts tiers; the band is what W1 against caps
    assert (saved.band, saved.band_low, saved.band_high) == ("against", Decimal(0), Decimal(10))


def test_w1_for_is_at_least_90_percent(org):
    saved = c139_assess(org.rita, org.opp.pk, answers=answers(2, 0, "confirmed"))
    assert saved.result == "2C0F1W" and saved.meets_rule is False
    assert (saved.band, saved.band_low, saved.band_high) == ("win", Decimal(90), Decimal(100))


def test_few_clears_are_below_25_percent(org):
    saved = c139_assess(org.rita, org.opp.pk, answers=answers(5, 3))
    assert (saved.result, saved.band, saved.band_high) == ("5C3F0W", "early", Decimal(25))


def test_rule_and_middle_band_come_from_the_policy(org):
    ControlPolicy.objects.filter(pk=1).update(c139_rule="7C1F0W", c139_min_clear_mid=4)
    seven = c139_assess(org.rita, org.opp.pk, answers=answers(7, 1))
    four = c139_assess(org.rita, org.opp.pk, answers=answers(4, 0))
    assert seven.meets_rule is True and seven.band == "rule_met"
    assert four.band == "developing"


# --- C139: answers, validation, history, audit -------------------------------------------------------


def test_all_13_answers_are_stored_missing_ones_as_unknown(org, coach):
    when = timezone.localdate() - timedelta(days=2)
    saved = c139_assess(
        org.rita,
        org.opp.pk,
        answers={
            "C3": {
                "status": "confirmed",
                "confirmed_with_id": coach.pk,
                "confirmed_on": when,
                "note": "组织结构图",
            },
            "W1": {"status": "negative"},
        },
    )
    rows = {a.item: a for a in C139Answer.objects.filter(assessment=saved)}
    assert sorted(rows) == sorted(c139_domain.ITEMS)
    assert (rows["C3"].status, rows["C3"].confirmed_with, rows["C3"].confirmed_on, rows["C3"].note) == (
        "confirmed",
        coach,
        when,
        "组织结构图",
    )
    assert (
        rows["W1"].status == "negative"
        and rows["C1"].status == "unknown"
        and rows["F2"].confirmed_with is None
    )
    assert saved.result == "1C0F0W" and saved.win_against is True


def test_confirmed_without_a_contact_is_allowed(org):
    saved = c139_assess(org.rita, org.opp.pk, answers=answers(8, 1))
    assert saved.answers.filter(status="confirmed", confirmed_with__isnull=True).count() == 9


def test_dates_may_come_as_iso_text(org, coach):
    saved = c139_assess(
        org.rita, org.opp.pk, answers={"C1": {"status": "confirmed", "confirmed_on": "2024-03-01"}}
    )
    assert saved.answers.get(item="C1").confirmed_on == date(2024, 3, 1)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"C10": {"status": "confirmed"}}, "answers"),
        ({"X1": {}}, "answers"),
        ({"C1": {"status": "maybe"}}, "answers.C1.status"),
        ({"C1": {"status": "confirmed", "confirmed_on": "tomorrow"}}, "answers.C1.confirmed_on"),
        ({"C1": {"status": "confirmed", "color": "red"}}, "answers.C1"),
        ({"C1": "confirmed"}, "answers.C1"),
        ({"C1": {"status": "confirmed", "confirmed_with_id": "abc"}}, "answers.C1.confirmed_with_id"),
        ({"C1": {"status": "confirmed", "confirmed_with_id": 10**30}}, "answers.C1.confirmed_with_id"),
        ({"C1": {"status": "confirmed", "confirmed_with_id": 999999}}, "answers.C1.confirmed_with_id"),
        ({"C1": {"note": "x" * 501}}, "answers.C1.note"),
        ({"C1": {"note": "a\x00b"}}, "answers.C1.note"),
    ],
)
def test_invalid_answers_are_refused_and_nothing_is_saved(org, bad, field):
    with pytest.raises(ValidationFailed) as caught:
        c139_assess(org.rita, org.opp.pk, answers=bad)
    assert caught.value.status == 422 and field in caught.value.errors
    assert not C139Assessment.objects.exists() and not C139Answer.objects.exists()


def test_unknown_item_is_named_in_the_error(org):
    with pytest.raises(ValidationFailed) as caught:
        c139_assess(
            org.rita, org.opp.pk, answers={"C1": {"status": "confirmed"}, "Z9": {"status": "confirmed"}}
        )
    assert "Z9" in caught.value.errors["answers"][0] and "Z9" in caught.value.detail


def test_confirmed_on_may_not_be_in_the_future(org):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationFailed) as caught:
        c139_assess(org.rita, org.opp.pk, answers={"C1": {"status": "confirmed", "confirmed_on": tomorrow}})
    assert "answers.C1.confirmed_on" in caught.value.errors
    c139_assess(
        org.rita, org.opp.pk, answers={"C1": {"status": "confirmed", "confirmed_on": timezone.localdate()}}
    )


def test_the_contact_must_belong_to_the_deals_account(org):
    other = Contact.objects.create(account=org.sara_account, name="王经理")
    with pytest.raises(ValidationFailed) as caught:
        c139_assess(
            org.rita, org.opp.pk, answers={"C1": {"status": "confirmed", "confirmed_with_id": other.pk}}
        )
    assert "answers.C1.confirmed_with_id" in caught.value.errors
    # Even an admin, who sees every contact, cannot name a contact of another account.
    with pytest.raises(ValidationFailed):
        c139_assess(
            org.ada, org.opp.pk, answers={"C1": {"status": "confirmed", "confirmed_with_id": other.pk}}
        )
    assert not C139Assessment.objects.exists()


def test_answers_must_be_an_object(org):
    with pytest.raises(ValidationFailed) as caught:
        c139_assess(org.rita, org.opp.pk, answers=["C1"])
    assert "answers" in caught.value.errors


def test_closed_deals_are_not_assessed(org, no_gates):
    from kadence.pipeline.models import LossReason

    opportunity_close_lost(
        org.rita,
        org.opp.pk,
        loss_reason_id=LossReason.objects.get(code="price").pk,
        version=opp_version(org.opp.pk),
    )
    with pytest.raises(ValidationFailed) as caught:
        c139_assess(org.rita, org.opp.pk, answers=answers(8, 1))
    assert caught.value.code == "closed"
    with pytest.raises(ValidationFailed) as caught:
        bid(org.rita, org.opp)
    assert caught.value.code == "closed"
    assert not C139Assessment.objects.exists() and not BidAssessment.objects.exists()


def test_every_save_is_a_new_row_and_the_result_change_is_audited(org):
    first = c139_assess(org.rita, org.opp.pk, answers=answers(6, 0))
    second = c139_assess(org.rita, org.opp.pk, answers=answers(8, 1), note="教练确认了 F1")
    assert C139Assessment.objects.filter(opportunity=org.opp).count() == 2
    assert selectors.c139_record(org.rita, org.opp.pk).latest.pk == second.pk != first.pk
    trail = list(
        AuditEntry.objects.filter(entity="pipeline.opportunity", entity_id=org.opp.pk, field="c139")
        .order_by("id")
        .values_list("old_value", "new_value", "reason")
    )
    assert trail == [("", "6C0F0W", ""), ("6C0F0W", "8C1F0W", "教练确认了 F1")]


# --- C139: what the gates and the staging flag make of it -----------------------------------------


def test_8c1f0w_meets_the_tianlong8_exit_criterion(org):
    assert org.opp.template.code == "tianlong8"
    c139_assess(org.rita, org.opp.pk, answers=answers(7, 1))
    assert criterion_met(org.rita, org.opp, "c139_8c1f0w") is False
    assert criterion_met(org.rita, org.opp, "seven_clears") is True
    c139_assess(org.rita, org.opp.pk, answers=answers(8, 1))
    assert criterion_met(org.rita, org.opp, "c139_8c1f0w") is True
    assert criterion_met(org.rita, org.opp, "org_structure") is True  # C3 confirmed
    c139_assess(org.rita, org.opp.pk, answers=answers(9, 0))  # the latest counts, and 9C0F0W is below
    assert criterion_met(org.rita, org.opp, "c139_8c1f0w") is False


def test_deal_at_d_with_7c0f0w_is_over_staged(org, no_gates):
    opp = put_at(org.opp, "deal_review")
    c139_assess(org.rita, opp.pk, answers=answers(7, 0))
    opp.refresh_from_db()
    assert (opp.c139_result, opp.staging_flag, opp.level.code) == ("7C0F0W", "over", "D")


def test_deal_at_c_with_8c1f0w_is_under_staged(org, no_gates):
    opp = put_at(org.opp, "proposal_sent")
    c139_assess(org.rita, opp.pk, answers=answers(8, 1))
    opp.refresh_from_db()
    assert (opp.c139_result, opp.staging_flag, opp.level.code) == ("8C1F0W", "under", "C")
    c139_assess(org.rita, opp.pk, answers=answers(5, 0))
    opp.refresh_from_db()
    assert (opp.c139_result, opp.staging_flag) == ("5C0F0W", "")


def test_deal_at_d_with_8c1f0w_is_in_line(org, no_gates):
    opp = put_at(org.opp, "deal_review")
    c139_assess(org.rita, opp.pk, answers=answers(8, 1))
    opp.refresh_from_db()
    assert (opp.c139_result, opp.staging_flag) == ("8C1F0W", "")


# --- bid / no-bid --------------------------------------------------------------------------------


def test_bid_computes_score_and_suggestion(org):
    row = bid(
        org.rita,
        org.opp,
        real_opportunity=1,
        can_compete=1,
        can_win=0,
        worth_winning=1,
        meets_minimum_spec=True,
        genuine_competition=True,
    )
    assert (row.score, row.suggested_outcome, row.outcome, row.qualify_by) == (3, "pursue", "pursue", None)
    assert row.meets_minimum_spec and row.genuine_competition and not row.close_relationship
    assert row.assessed_by == org.rita and row.buyer_type == "enterprise"


def test_a_decision_against_the_suggestion_needs_a_note(org):
    with pytest.raises(ValidationFailed) as caught:
        bid(org.rita, org.opp, can_win=-1, outcome="pursue")
    assert caught.value.code == "note_required" and "note" in caught.value.errors
    assert not BidAssessment.objects.exists()
    row = bid(org.rita, org.opp, can_win=-1, outcome="pursue", note="高层已表态支持，竞品参数可以澄清")
    assert (row.suggested_outcome, row.outcome) == ("abandon", "pursue")


def test_qualify_gets_a_deadline_after_today(org):
    today = timezone.localdate()
    row = bid(org.rita, org.opp, can_win=0, worth_winning=0, outcome="qualify")
    assert row.suggested_outcome == "qualify" and row.qualify_by == today + timedelta(days=14)
    ControlPolicy.objects.filter(pk=1).update(bid_qualify_days=30)
    assert bid(
        org.rita, org.opp, can_win=0, worth_winning=0, outcome="qualify"
    ).qualify_by == today + timedelta(30)
    chosen = today + timedelta(days=3)
    assert (
        bid(org.rita, org.opp, can_win=0, worth_winning=0, outcome="qualify", qualify_by=chosen).qualify_by
        == chosen
    )
    for bad in (today, today - timedelta(days=1)):
        with pytest.raises(ValidationFailed) as caught:
            bid(org.rita, org.opp, can_win=0, worth_winning=0, outcome="qualify", qualify_by=bad)
        assert "qualify_by" in caught.value.errors
    assert BidAssessment.objects.count() == 3


def test_a_deadline_is_kept_only_for_qualify(org):
    row = bid(org.rita, org.opp, qualify_by=timezone.localdate() + timedelta(days=5))
    assert row.outcome == "pursue" and row.qualify_by is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"real_opportunity": 2}, "real_opportunity"),
        ({"can_win": -2}, "can_win"),
        ({"can_compete": True}, "can_compete"),
        ({"worth_winning": "yes"}, "worth_winning"),
        ({"worth_winning": None}, "worth_winning"),
        ({"buyer_type": "alien"}, "buyer_type"),
        ({"outcome": "maybe"}, "outcome"),
        ({"spec_biased": "yes"}, "spec_biased"),
        ({"note": "x" * 10001}, "note"),
        ({"outcome": "qualify", "qualify_by": "someday"}, "qualify_by"),
    ],
)
def test_invalid_bid_input_is_refused_and_nothing_saved(org, changes, field):
    with pytest.raises(ValidationFailed) as caught:
        bid(org.rita, org.opp, **changes)
    assert caught.value.status == 422 and field in caught.value.errors
    assert not BidAssessment.objects.exists()


def test_bid_thresholds_come_from_the_policy(org):
    ControlPolicy.objects.filter(pk=1).update(bid_pursue_min_score=4, bid_abandon_max_score=1)
    assert bid(org.rita, org.opp, worth_winning=0, outcome="qualify").suggested_outcome == "qualify"  # 3 < 4
    assert (
        bid(org.rita, org.opp, can_compete=0, can_win=0, worth_winning=0, outcome="abandon").suggested_outcome
        == "abandon"
    )  # 1 ≤ 1


def test_two_abandon_signs_suggest_abandon(org):
    row = bid(
        org.rita,
        org.opp,
        spec_biased=True,
        competitor_advantage=True,
        outcome="abandon",
        buyer_type="government",
    )
    assert (row.score, row.suggested_outcome, row.buyer_type) == (4, "abandon", "government")


def test_the_number_of_abandon_signs_comes_from_the_policy(org):
    ControlPolicy.objects.filter(pk=1).update(bid_abandon_min_signs=3)
    row = bid(org.rita, org.opp, spec_biased=True, competitor_advantage=True, outcome="pursue")
    assert row.suggested_outcome == "pursue"


def test_the_latest_bid_decision_is_what_the_gate_checks_and_it_is_audited(org):
    assert criterion_met(org.rita, org.opp, "bid_pursue") is False
    bid(org.rita, org.opp)
    assert criterion_met(org.rita, org.opp, "bid_pursue") is True
    bid(org.rita, org.opp, can_win=-1, outcome="abandon")
    assert criterion_met(org.rita, org.opp, "bid_pursue") is False
    assert BidAssessment.objects.filter(opportunity=org.opp).count() == 2
    trail = list(
        AuditEntry.objects.filter(entity_id=org.opp.pk, field="bid_decision")
        .order_by("id")
        .values_list("old_value", "new_value")
    )
    assert trail == [("", "pursue"), ("pursue", "abandon")]


def test_bid_overdue(org):
    row = bid(org.rita, org.opp, can_win=0, worth_winning=0, outcome="qualify")
    assert selectors.bid_overdue(row) is False
    assert selectors.bid_overdue(row, today=row.qualify_by) is False
    assert selectors.bid_overdue(row, today=row.qualify_by + timedelta(days=1)) is True
    assert selectors.bid_overdue(bid(org.rita, org.opp)) is False
    assert selectors.bid_overdue(None) is False


# --- who may assess ------------------------------------------------------------------------------


def _team(org, user):
    opportunity_team_add(
        org.rita, org.opp.pk, user_id=user.pk, role_id=DealRole.objects.get(code="presales").pk
    )
    return user


@pytest.mark.parametrize("name", ["rita", "team_member", "mona", "dora", "ada"])
def test_who_may_assess(org, coach, name):
    user = _team(org, org.tom) if name == "team_member" else getattr(org, name)
    saved = c139_assess(user, org.opp.pk, answers=answers(8, 1, C1={"confirmed_with_id": coach.pk}))
    assert saved.assessed_by == user and saved.answers.get(item="C1").confirmed_with == coach
    assert bid(user, org.opp).assessed_by == user
    assert selectors.c139_record(user, org.opp.pk).latest.pk == saved.pk
    assert selectors.bid_history(user, org.opp.pk, limit=1)[0][0].assessed_by == user


@pytest.mark.parametrize("name", ["tom", "nick", "sara", "sam", "sven"])
def test_who_does_not_see_the_deal_gets_not_found(org, name):
    user = getattr(org, name)
    with pytest.raises(NotFound):
        c139_assess(user, org.opp.pk, answers=answers(8, 1))
    with pytest.raises(NotFound):
        bid(user, org.opp)
    with pytest.raises(NotFound):
        selectors.c139_record(user, org.opp.pk)
    with pytest.raises(NotFound):
        selectors.bid_history(user, org.opp.pk)
    assert not C139Assessment.objects.exists() and not BidAssessment.objects.exists()


def test_team_member_picks_contacts_of_the_account(org, coach):
    tom = _team(org, org.tom)
    assert [c.pk for c in selectors.deal_contacts(tom, org.opp)] == [coach.pk]
    assert selectors.deal_contacts(org.sara, org.sara_opp) == []


# --- reads in a fixed number of queries -----------------------------------------------------------


def test_overview_reads_in_a_fixed_number_of_queries(org, coach, django_assert_max_num_queries):
    for clear in range(3, 9):
        c139_assess(org.rita, org.opp.pk, answers=answers(clear, 1, C1={"confirmed_with_id": coach.pk}))
        bid(org.rita, org.opp, outcome="pursue")
    opp = access_opportunity(org.mona, org.opp.pk)
    with django_assert_max_num_queries(8):
        overview = selectors.c139_overview(org.mona, opp)
        rows = [
            (r.question.code, r.status, r.answer.confirmed_with if r.answer else None)
            for _tier, rs in overview.tiers
            for r in rs
        ]
    assert overview.latest.result == "8C1F0W" and len(overview.history) == overview.history_count == 6
    assert [t for t, _rows in overview.tiers] == ["clear", "first", "win"] and len(rows) == 13
    assert rows[0] == ("C1", "confirmed", coach) and overview.rule == "8C1F0W"
    with django_assert_max_num_queries(5):
        bids = selectors.bid_overview(org.mona, opp)
    assert len(bids.history) == 6 and bids.latest.outcome == "pursue" and bids.reasons == ("score_high",)


def test_history_is_capped_newest_first(org):
    for clear in range(0, 5):
        c139_assess(org.rita, org.opp.pk, answers=answers(clear, 0))
    record = selectors.c139_record(org.rita, org.opp.pk, limit=3)
    rows, count = record.history, record.history_count
    assert [r.result for r in rows] == ["4C0F0W", "3C0F0W", "2C0F0W"] and count == 5
    assert rows[0].band_text == "< 25%"


# --- domain additions (kadence.domain.c139) ----------------------------------------------------------


def test_band_rules_labels_and_tiers():
    rules = c139_domain.band_rules("7C2F0W", 5)
    assert str(rules.rule) == "7C2F0W" and rules.min_clear_mid == 5
    with pytest.raises(ValueError):
        c139_domain.band_rules("8C1F", 6)
    with pytest.raises(ValueError):
        c139_domain.band_rules("8C1F0W", 10)
    labels = [
        c139_domain.band_label(b.code, b.low, b.high)
        for b in (rules.against, rules.win, rules.rule_met, rules.developing, rules.early)
    ]
    assert labels == ["≤ 10%", "≥ 90%", "≥ 60%", "25–50%", "< 25%"]
    assert c139_domain.band_label("rule_met", Decimal("60.00"), Decimal("90.00")) == "≥ 60%"
    assert [c139_domain.TIERS[i] for i in ("C9", "F1", "W1")] == ["clear", "first", "win"]
