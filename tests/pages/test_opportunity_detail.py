"""The opportunity page and its actions: visibility, close won / lost, reopen, reassign, deal team,
the move form, and both languages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kadence.core.models import AuditEntry
from kadence.pipeline import services
from kadence.pipeline.models import Competitor, DealRole, LossReason, Opportunity, StageChange

from .conftest import needs_url, stages_of


@pytest.fixture(autouse=True)
def _other_apps_pages():
    needs_url("account_detail", 1)
    needs_url("activity_create")


def detail(opp) -> str:
    return reverse("opportunity_detail", args=[opp.pk])


def act(name, opp) -> str:
    return reverse(f"opportunity_{name}", args=[opp.pk])


def test_detail_shows_header_progress_history_and_audit(org, login, no_gates):
    services.opportunity_update(org.rita, org.opp.pk, version=1, amount="1500000", reason="扩容")
    services.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages_of(org.opp)[2].pk, version=2, reason="首次会面"
    )
    response = login(org.rita).get(detail(org.opp))
    assert response.status_code == 200
    ctx, body = response.context, response.content.decode()
    assert ctx["opp"] == org.opp and ctx["perms"] == {
        "can_edit": True,
        "can_reassign": False,
        "can_approve": False,
    }
    assert [step["state"] for step in ctx["progress"]][:3] == ["done", "done", "current"]
    assert [h.kind for h in ctx["history"]] == ["advanced", "updated", "created"]  # newest first
    assert "首次会面" in body and "1,500,000" in body and "扩容" in body
    assert {row["entry"].field for row in ctx["audit"]} == {"amount", "level"}
    assert reverse("account_detail", args=[org.account.pk]) in body
    assert f"{reverse('activity_create')}?opportunity={org.opp.pk}" in body
    assert "reassign_form" not in ctx and 'data-testid="reassign"' not in body


def test_invisible_opportunity_is_404_everywhere(org, login):
    client = login(org.rita)
    assert client.get(detail(org.sara_opp)).status_code == 404
    assert client.get(reverse("opportunity_edit", args=[org.sara_opp.pk])).status_code == 404
    response = client.post(act("close_won", org.sara_opp), {"version": 1})
    assert response.status_code == 404
    assert Opportunity.objects.get(pk=org.sara_opp.pk).status == "open"
    assert client.get(detail(org.opp).replace(str(org.opp.pk), "999999")).status_code == 404


def test_close_lost_without_reason_is_refused_in_place(org, login):
    response = login(org.rita).post(act("close_lost", org.opp), {"version": 1}, follow=True)
    assert response.status_code == 422
    assert response.context["action_slot"] == "close_lost"
    assert "Choose why the deal was lost." in response.content.decode()
    assert Opportunity.objects.get(pk=org.opp.pk).status == "open"


def test_close_lost_with_reason_and_competitor(org, login):
    reason = LossReason.objects.get(code="price")
    rival = Competitor.objects.create(name="西门子")
    response = login(org.rita).post(
        act("close_lost", org.opp), {"version": 1, "loss_reason": reason.pk, "winning_competitor": rival.pk}
    )
    assert response.status_code == 302 and response.url == detail(org.opp)
    opp = Opportunity.objects.get(pk=org.opp.pk)
    assert (opp.status, opp.loss_reason, opp.winning_competitor) == ("lost", reason, rival)
    page = login(org.rita).get(detail(org.opp)).content.decode()
    assert "西门子" in page and 'data-testid="reopen"' in page


def test_close_won_then_reopen_needs_a_reason(org, login, no_gates):
    client = login(org.rita)
    assert client.post(act("close_won", org.opp), {"version": 1}).status_code == 302
    assert Opportunity.objects.get(pk=org.opp.pk).status == "won"
    refused = client.post(act("reopen", org.opp), {"version": 2}, follow=True)
    assert refused.status_code == 422 and Opportunity.objects.get(pk=org.opp.pk).status == "won"
    assert client.post(act("reopen", org.opp), {"version": 2, "reason": "客户追加预算"}).status_code == 302
    assert list(
        StageChange.objects.filter(opportunity=org.opp).values_list("kind", flat=True).order_by("id")
    ) == ["created", "won", "reopened"]


def test_stale_close_is_a_conflict(org, login, no_gates):
    services.opportunity_update(org.rita, org.opp.pk, version=1, amount="1")
    response = login(org.rita).post(act("close_won", org.opp), {"version": 1}, follow=True)
    assert response.status_code == 409 and 'data-code="conflict"' in response.content.decode()
    assert Opportunity.objects.get(pk=org.opp.pk).status == "open"


def test_reassign_is_forbidden_for_reps(org, login):
    response = login(org.rita).post(act("reassign", org.opp), {"version": 1, "owner": org.tom.pk})
    assert response.status_code == 403
    assert Opportunity.objects.get(pk=org.opp.pk).owner == org.rita


def test_manager_reassigns_within_scope(org, login):
    client = login(org.mona)
    page = client.get(detail(org.opp))
    assert page.context["perms"]["can_reassign"] and 'data-testid="reassign"' in page.content.decode()
    response = client.post(act("reassign", org.opp), {"version": 1, "owner": org.tom.pk, "reason": "调岗"})
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=org.opp.pk).owner == org.tom
    assert AuditEntry.objects.filter(entity_id=org.opp.pk, field="owner", new_value="tom").exists()
    outside = client.post(act("reassign", org.opp), {"version": 2, "owner": org.sara.pk})
    assert outside.status_code == 403  # sara is outside mona's scope
    assert Opportunity.objects.get(pk=org.opp.pk).owner == org.tom


def test_deal_team_add_and_remove(org, login):
    role = DealRole.objects.get(code="presales")
    client = login(org.rita)
    assert client.post(act("team_add", org.opp), {"user": org.nick.pk, "role": role.pk}).status_code == 302
    assert org.opp.team_members.filter(user=org.nick, role=role).exists()
    assert org.nick.username.capitalize() in client.get(detail(org.opp)).content.decode()
    # being on the team lets nick read the deal, not change it
    nick = login(org.nick)
    assert nick.get(detail(org.opp)).status_code == 200
    assert nick.post(act("close_won", org.opp), {"version": 1}).status_code == 403
    client = login(org.rita)
    assert client.post(act("team_remove", org.opp), {"user": org.nick.pk}).status_code == 302
    assert not org.opp.team_members.exists()
    again = client.post(act("team_remove", org.opp), {"user": org.nick.pk})
    assert again.status_code == 404


def test_move_from_the_page(org, login, no_gates):
    target = stages_of(org.opp)[3]
    client = login(org.rita)
    response = client.post(act("move", org.opp), {"stage_id": target.pk, "version": 1, "origin": "detail"})
    assert response.status_code == 302 and response.url == detail(org.opp)
    assert Opportunity.objects.get(pk=org.opp.pk).stage == target
    stale = client.post(
        act("move", org.opp), {"stage_id": stages_of(org.opp)[1].pk, "version": 1}, follow=True
    )
    assert stale.status_code == 409 and stale.context["action_slot"] == "move"


@pytest.mark.parametrize(
    "name", ["move", "close_won", "close_lost", "reopen", "reassign", "team_add", "team_remove"]
)
def test_actions_are_post_only(org, login, name):
    assert login(org.rita).get(act(name, org.opp)).status_code == 405


@pytest.mark.parametrize(
    "lang, header", [("en", {"HTTP_ACCEPT_LANGUAGE": "en"}), ("zh-hans", {"HTTP_ACCEPT_LANGUAGE": "zh-CN"})]
)
def test_pages_render_in_both_languages(org, login, lang, header):
    client = login(org.rita)
    for url in (
        detail(org.opp),
        reverse("opportunity_list"),
        reverse("pipeline_board"),
        reverse("home"),
        reverse("opportunity_create"),
        reverse("opportunity_edit", args=[org.opp.pk]),
    ):
        response = client.get(url, **header)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in response.content.decode(), url


def test_language_cookie_is_honoured(org, login, settings):
    client = login(org.rita)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en">' in client.get(detail(org.opp)).content.decode()


def test_detail_query_count_does_not_grow_with_history(org, login, django_assert_max_num_queries, no_gates):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kadence.activities.services import activity_create

    client = login(org.mona)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(detail(org.opp)).status_code == 200
        return len(ctx.captured_queries)

    role = DealRole.objects.first()
    services.opportunity_team_add(org.rita, org.opp.pk, user_id=org.tom.pk, role_id=role.pk)
    activity_create(org.rita, opportunity_id=org.opp.pk, kind="call_out", subject="电话 0")
    before = count()
    s = stages_of(org.opp)
    version = Opportunity.objects.get(pk=org.opp.pk).version
    for i in range(1, 6):
        version = services.opportunity_move_stage(
            org.rita, org.opp.pk, stage_id=s[i].pk, version=version
        ).version
        version = services.opportunity_update(
            org.rita, org.opp.pk, version=version, amount=str(1000000 + i)
        ).version
        activity_create(org.rita, opportunity_id=org.opp.pk, kind="call_out", subject=f"电话 {i}")
    services.opportunity_team_add(org.rita, org.opp.pk, user_id=org.nick.pk, role_id=role.pk)
    # 40: the page also reads what the next level needs (the template's gates and the deal's facts,
    # eleven queries whatever the history)
    with django_assert_max_num_queries(40):
        after = count()
    assert after == before


# --- post-redirect-get: a refused form never answers at its POST address -------------------------


def test_a_blocked_move_redirects_and_the_next_get_shows_the_missing_criteria(org, login):
    """The gate is not met: the answer is a 303 to the opportunity page (not the page rendered at the
    POST address, which a reload would resend); that GET shows what is missing, once."""
    client = login(org.rita)
    target = stages_of(org.opp)[1]
    response = client.post(
        act("move", org.opp), {"stage_id": target.pk, "version": 1, "origin": "detail", "reason": "首次会面"}
    )
    assert response.status_code == 303 and response["Location"] == detail(org.opp)
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 409 and page.context["action_slot"] == "move"
    assert 'data-code="gate_not_met"' in body and 'class="missing"' in body
    assert [m["code"] for m in page.context["action_error"].extra["missing"]] == ["first_meeting"]
    reload = client.get(detail(org.opp))
    assert reload.status_code == 200 and 'data-code="gate_not_met"' not in reload.content.decode()
    assert Opportunity.objects.get(pk=org.opp.pk).stage_id == org.opp.stage_id


def test_a_refused_close_comes_back_filled_in_and_based_on_the_version_shown(org, login):
    services.opportunity_update(org.mona, org.opp.pk, version=1, amount="1400000")  # now version 2
    client = login(org.rita)
    response = client.post(
        act("close_lost", org.opp),
        {"version": 1, "loss_reason": LossReason.objects.first().pk, "reason": "价格"},
    )
    assert response.status_code == 303 and response["Location"] == detail(org.opp)
    page = client.get(detail(org.opp))
    assert page.status_code == 409 and page.context["action_slot"] == "close_lost"
    form = page.context["close_lost_form"]
    assert (
        form["reason"].value() == "价格" and form["version"].value() == "2"
    )  # the version of the deal shown
    assert Opportunity.objects.get(pk=org.opp.pk).status == "open"


def test_a_blocked_move_from_the_board_redirects_to_the_board(org, login):
    client = login(org.rita)
    target = stages_of(org.opp)[1]
    response = client.post(
        act("move", org.opp),
        {"stage_id": target.pk, "version": 1, "origin": "board", "board_query": "owner=" + str(org.rita.pk)},
    )
    board = reverse("pipeline_board") + f"?owner={org.rita.pk}"
    assert response.status_code == 303 and response["Location"] == board
    page = client.get(board)
    assert page.status_code == 409 and 'data-code="gate_not_met"' in page.content.decode()
    assert client.get(board).status_code == 200


def test_a_blocked_move_from_the_gates_page_comes_back_there(org, login):
    client = login(org.rita)
    target = stages_of(org.opp)[1]
    response = client.post(
        act("move", org.opp), {"stage_id": target.pk, "version": 1, "origin": "gates", "reason": "口头确认"}
    )
    gates = reverse("deal_gates", args=[org.opp.pk])
    assert response.status_code == 303 and response["Location"] == gates
    page = client.get(gates)
    body = page.content.decode()
    assert page.status_code == 409 and 'class="missing"' in body and 'value="口头确认"' in body
    assert client.get(gates).status_code == 200
