"""The C139 and bid / no-bid pages of a deal: what they show, saving through the form (redirect with a
message, or the page again with the errors in place and nothing saved), read-only for who may only
view, 404 for who may not see the deal, and the live bid suggestion."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kadence.accounts.models import Contact
from kadence.deals.models import BidAssessment, C139Assessment
from kadence.deals.services.assessments import c139_assess
from kadence.pipeline.models import DealRole, LossReason, Opportunity, Stage
from kadence.pipeline.services import opportunity_close_lost, opportunity_team_add
from tests.versions import opp_version


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def coach(org):
    return Contact.objects.create(account=org.account, name="李工", buying_roles=["coach"])


def c139_url(opp) -> str:
    return reverse("deal_c139", args=[opp.pk])


def bid_url(opp) -> str:
    return reverse("deal_bid", args=[opp.pk])


def statuses(clear: int, first: int, win: str = "unknown") -> dict[str, dict]:
    result = {f"C{i}": {"status": "confirmed" if i <= clear else "unknown"} for i in range(1, 10)}
    result.update({f"F{i}": {"status": "confirmed" if i <= first else "unknown"} for i in range(1, 4)})
    result["W1"] = {"status": win}
    return result


def form_data(clear: int, first: int, win: str = "unknown", **fields) -> dict[str, str]:
    data = {f"{item}-status": value["status"] for item, value in statuses(clear, first, win).items()}
    data.update(fields)
    return data


BID_FORM = {
    "buyer_type": "enterprise",
    "real_opportunity": "1",
    "can_compete": "1",
    "can_win": "1",
    "worth_winning": "0",
    "outcome": "pursue",
    "note": "",
}


def text_of(html: str, name: str) -> str:
    """The text inside the element carrying data-testid=name (tags stripped)."""
    match = re.search(
        rf'data-testid="{re.escape(name)}"[^>]*>(.*?)</(?:span|p|div|td|tr|section)>', html, re.S
    )
    assert match, f"no {name}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


# --- C139 page -------------------------------------------------------------------------------------


def test_c139_page_lists_the_13_items_by_tier(client, org, coach):
    client.force_login(org.rita)
    html = client.get(c139_url(org.opp)).content.decode()
    for code in [f"C{i}" for i in range(1, 10)] + ["F1", "F2", "F3", "W1"]:
        assert f'data-testid="c139-row-{code}"' in html
    for tier in ("clear", "first", "win"):
        assert f'data-testid="c139-tier-{tier}"' in html
    assert html.index("c139-tier-clear") < html.index("c139-tier-first") < html.index("c139-tier-win")
    assert "The customer&#x27;s buying process and milestones" in html
    assert 'data-testid="c139-none"' in html and 'data-testid="c139-form"' in html
    w1 = html[html.index('data-testid="c139-W1-status"') :]
    w1 = w1[: w1.index("</select>")]
    assert "For us" in w1 and "Against us" in w1
    c1 = html[html.index('data-testid="c139-C1-status"') :]
    assert "Confirmed" in c1[: c1.index("</select>")]
    assert f'<option value="{coach.pk}">李工</option>' in html
    assert 'data-testid="tab-c139"' in html


def test_c139_page_in_chinese_shows_the_chinese_question(org):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(org.rita)
    assert "客户的采购流程和关键节点" in client.get(c139_url(org.opp)).content.decode()


def test_saving_the_c139_form(client, org, coach):
    client.force_login(org.rita)
    when = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = client.post(
        c139_url(org.opp),
        form_data(
            8,
            1,
            **{"C3-contact": str(coach.pk), "C3-date": when, "C3-note": "组织结构图", "note": "与教练复核"},
        ),
    )
    assert response.status_code == 302 and response["Location"] == c139_url(org.opp)
    saved = C139Assessment.objects.get()
    assert (saved.result, saved.meets_rule, saved.note, saved.assessed_by) == (
        "8C1F0W",
        True,
        "与教练复核",
        org.rita,
    )
    c3 = saved.answers.get(item="C3")
    assert (c3.confirmed_with, c3.confirmed_on.isoformat(), c3.note) == (coach, when, "组织结构图")
    html = client.get(c139_url(org.opp)).content.decode()
    assert "C139 assessment saved." in html
    assert "confirmed items do not say with whom" in html  # 8 confirmed items without a contact
    assert text_of(html, "c139-result") == "8C1F0W"
    assert text_of(html, "c139-rule") == "8C1F0W or better: met"
    assert text_of(html, "c139-band") == "≥ 60%"
    history = html[html.index('data-testid="c139-history"') :]
    assert "8C1F0W" in history and "≥ 60%" in history and "rita".capitalize() in history
    # The form is pre-filled from the latest assessment.
    assert re.search(
        r'<option value="confirmed" selected>Confirmed</option>', html.split("c139-C8-status")[1]
    )
    assert re.search(r'<option value="unknown" selected>Unknown</option>', html.split("c139-C9-status")[1])
    assert f'<option value="{coach.pk}" selected>' in html.split("c139-C3-contact")[1]
    assert re.search(rf'<input type="date" name="C3-date" value="{when}"', html)


def test_9c0f0w_on_the_page_does_not_meet_the_rule(client, org):
    client.force_login(org.rita)
    client.post(c139_url(org.opp), form_data(9, 0))
    html = client.get(c139_url(org.opp)).content.decode()
    assert text_of(html, "c139-result") == "9C0F0W"
    assert text_of(html, "c139-rule") == "8C1F0W or better: not met"
    assert text_of(html, "c139-band") == "25–50%"


def test_w1_against_on_the_page(client, org):
    client.force_login(org.rita)
    client.post(c139_url(org.opp), form_data(9, 3, "negative"))
    html = client.get(c139_url(org.opp)).content.decode()
    assert text_of(html, "c139-band") == "≤ 10%" and "The top decision maker is against us." in html


def test_a_future_date_shows_the_error_in_place_and_saves_nothing(client, org):
    client.force_login(org.rita)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(c139_url(org.opp), form_data(8, 1, **{"C2-date": tomorrow}), follow=True)
    assert response.redirect_chain == [
        (c139_url(org.opp), 303)
    ]  # post-redirect-get: a reload resends nothing
    assert response.status_code == 422
    html = response.content.decode()
    row = html[html.index('data-testid="c139-row-C2"') :]
    assert "Use today or an earlier date." in row[: row.index("</tr>")]
    assert f'name="C2-date" value="{tomorrow}"' in row  # what was typed is kept
    assert not C139Assessment.objects.exists()


def test_a_contact_of_another_account_is_refused(client, org):
    other = Contact.objects.create(account=org.sara_account, name="王经理")
    client.force_login(org.rita)
    response = client.post(c139_url(org.opp), form_data(8, 1, **{"C1-contact": str(other.pk)}), follow=True)
    assert response.status_code == 422 and not C139Assessment.objects.exists()


def test_staging_flag_shows_on_the_c139_page(client, org, no_gates):
    Opportunity.objects.filter(pk=org.opp.pk).update(
        stage=Stage.objects.get(template_id=org.opp.template_id, code="deal_review")
    )
    client.force_login(org.rita)
    client.post(c139_url(org.opp), form_data(7, 0))
    html = client.get(c139_url(org.opp)).content.decode()
    assert 'data-testid="staging-over"' in html and text_of(html, "c139-result") == "7C0F0W"


def test_team_member_and_manager_may_save(client, org):
    opportunity_team_add(
        org.rita, org.opp.pk, user_id=org.tom.pk, role_id=DealRole.objects.get(code="presales").pk
    )
    for user in (org.tom, org.mona):
        client.force_login(user)
        assert 'data-testid="c139-form"' in client.get(c139_url(org.opp)).content.decode()
        assert client.post(c139_url(org.opp), form_data(8, 1)).status_code == 302
        assert client.post(bid_url(org.opp), BID_FORM).status_code == 302
    assert list(C139Assessment.objects.values_list("assessed_by__username", flat=True).order_by("id")) == [
        "tom",
        "mona",
    ]
    assert BidAssessment.objects.count() == 2


@pytest.mark.parametrize("name", ["tom", "nick", "sara", "sven"])
def test_who_does_not_see_the_deal_gets_404(client, org, name):
    client.force_login(getattr(org, name))
    for url in (c139_url(org.opp), bid_url(org.opp), reverse("deal_bid_suggest", args=[org.opp.pk])):
        assert client.get(url).status_code == 404
    assert client.post(c139_url(org.opp), form_data(8, 1)).status_code == 404
    assert client.post(bid_url(org.opp), BID_FORM).status_code == 404
    assert not C139Assessment.objects.exists() and not BidAssessment.objects.exists()


def test_closed_deal_is_read_only(client, org, no_gates):
    opportunity_close_lost(
        org.rita,
        org.opp.pk,
        loss_reason_id=LossReason.objects.get(code="price").pk,
        version=opp_version(org.opp.pk),
    )
    client.force_login(org.rita)
    html = client.get(c139_url(org.opp)).content.decode()
    assert 'data-testid="c139-form"' not in html
    assert 'data-testid="bid-form"' not in client.get(bid_url(org.opp)).content.decode()
    assert client.post(c139_url(org.opp), form_data(8, 1), follow=True).status_code == 422
    assert not C139Assessment.objects.exists()


def test_c139_page_reads_in_a_fixed_number_of_queries(client, org, coach, django_assert_max_num_queries):
    for clear in range(3, 9):
        c139_assess(
            org.rita,
            org.opp.pk,
            answers={**statuses(clear, 1), "C1": {"status": "confirmed", "confirmed_with_id": coach.pk}},
        )
    client.force_login(org.mona)
    client.get(c139_url(org.opp))
    with django_assert_max_num_queries(13):
        html = client.get(c139_url(org.opp)).content.decode()
    assert html.count("8C1F0W") >= 2


# --- bid page ---------------------------------------------------------------------------------------


def test_bid_page_before_any_decision(client, org):
    client.force_login(org.rita)
    html = client.get(bid_url(org.opp)).content.decode()
    assert 'data-testid="bid-none"' in html and 'data-testid="bid-form"' in html
    assert "budget-first" in html and "compliance matters most" in html and "value for money" in html
    assert (
        html.count('name="can_win"') == 3
        and 'name="spec_biased"' in html
        and 'name="meets_minimum_spec"' in html
    )
    assert "Answer the four questions to see the suggestion." in html


def test_saving_a_pursue_decision(client, org):
    client.force_login(org.rita)
    response = client.post(bid_url(org.opp), {**BID_FORM, "meets_minimum_spec": "on"})
    assert response.status_code == 302 and response["Location"] == bid_url(org.opp)
    row = BidAssessment.objects.get()
    assert (row.score, row.suggested_outcome, row.outcome, row.meets_minimum_spec) == (
        3,
        "pursue",
        "pursue",
        True,
    )
    html = client.get(bid_url(org.opp)).content.decode()
    assert "Bid / no-bid decision saved." in html
    assert text_of(html, "bid-outcome") == "Pursue" and text_of(html, "bid-score") == "3"
    assert text_of(html, "bid-suggested").startswith("Pursue")
    assert "Pursue" in text_of(html, "bid-suggestion")  # the suggestion of the saved answers
    assert "Pursue" in html.split('data-testid="bid-history"')[1]
    assert re.search(r'name="can_win" value="1"[^>]*checked', html)  # pre-filled
    assert re.search(r'name="meets_minimum_spec"[^>]*checked', html)


def test_qualify_shows_the_deadline_and_overdue_in_red(client, org):
    client.force_login(org.rita)
    client.post(bid_url(org.opp), {**BID_FORM, "can_win": "0", "outcome": "qualify"})
    deadline = timezone.localdate() + timedelta(days=14)
    html = client.get(bid_url(org.opp)).content.decode()
    assert text_of(html, "bid-deadline") == f"Qualify further by {deadline.isoformat()}"
    assert 'data-testid="bid-overdue"' not in html
    BidAssessment.objects.update(qualify_by=timezone.localdate() - timedelta(days=2))
    html = client.get(bid_url(org.opp)).content.decode()
    assert 'data-testid="bid-overdue"' in html and 'data-testid="bid-deadline" class="bad"' in html


def test_a_decision_against_the_suggestion_without_note_shows_the_error(client, org):
    client.force_login(org.rita)
    response = client.post(bid_url(org.opp), {**BID_FORM, "can_win": "-1"}, follow=True)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Required when the decision differs from the suggestion." in html
    assert "Abandon" in text_of(html, "bid-suggestion")
    assert not BidAssessment.objects.exists()
    response = client.post(bid_url(org.opp), {**BID_FORM, "can_win": "-1", "note": "高层支持"})
    assert response.status_code == 302 and BidAssessment.objects.get().outcome == "pursue"


def test_missing_answers_are_form_errors(client, org):
    client.force_login(org.rita)
    data = dict(BID_FORM)
    del data["can_compete"]
    response = client.post(bid_url(org.opp), data, follow=True)
    assert response.status_code == 422 and not BidAssessment.objects.exists()


def test_live_suggestion_fragment(client, org):
    client.force_login(org.rita)
    url = reverse("deal_bid_suggest", args=[org.opp.pk])
    html = client.get(url, {**BID_FORM, "can_win": "-1"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="bid-suggestion"' in html and "Abandon" in html and "score 1" in html
    html = client.get(url, {**BID_FORM, "spec_biased": "on", "competitor_advantage": "on"}).content.decode()
    assert "Abandon" in html and "abandon-type signs" in html
    html = client.get(url, {**BID_FORM, "worth_winning": "1"}).content.decode()
    assert "Pursue" in html and "score 4" in html
    assert "Answer the four questions" in client.get(url, {"can_win": "1"}).content.decode()
    assert not BidAssessment.objects.exists()
