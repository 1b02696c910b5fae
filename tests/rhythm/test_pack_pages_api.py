"""The 1x1 pack's pages (list, pack, PDF, posts) and the API of the pack and the inbox: answers, 4xx
never 500, CSRF, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kadence.deals.models import GateApproval
from kadence.pipeline.models import ExitCriterion, Opportunity
from kadence.rhythm.pack import services
from kadence.rhythm.pack.models import PackAction, PackNote
from tests.rhythm.pack_data import rita_week

pytestmark = pytest.mark.django_db


def monday():
    today = timezone.localdate()
    return today - timedelta(days=today.weekday())


def week_url(name, rep, week=None, *extra):
    return reverse(name, args=[rep.pk, (week or monday()).isoformat(), *extra])


def test_pack_page_with_sections_notes_and_actions(client, org, no_gates, django_assert_max_num_queries):
    rita_week(org)
    services.note_save(org.mona, org.rita.pk, monday(), text="下周：约总工")
    services.action_add(org.mona, org.rita.pk, monday() - timedelta(days=7), text="补齐竞争对手")
    client.force_login(org.mona)
    with django_assert_max_num_queries(53):  # the pack's 28, the session, the user, the navigation
        page = client.get(week_url("rhythm_pack", org.rita))
    assert page.status_code == 200
    text = page.content.decode()
    for key in ("changes", "deals", "forecast", "quota", "expenses", "notes", "actions"):
        assert f'data-section="{key}"' in text
    assert "下周：约总工" in text and "补齐竞争对手" in text and 'data-testid="action-form"' in text
    assert 'data-testid="pack-v"' in text and "badge-warn" in text  # V < 1 flagged


def test_rep_reads_own_pack_without_the_forms_and_marks_own_action(client, org):
    action = services.action_add(org.mona, org.rita.pk, monday(), text="提交方案", owner_id=org.rita.pk)
    client.force_login(org.rita)
    page = client.get(week_url("rhythm_pack", org.rita))
    assert page.status_code == 200
    assert b'data-testid="action-form"' not in page.content and b'data-testid="note-form"' not in page.content
    assert b'data-testid="action-toggle"' in page.content
    answer = client.post(
        reverse("rhythm_pack_action_mark", args=[action.pk]),
        {"version": action.version, "rep_id": org.rita.pk, "week": monday().isoformat(), "done": "1"},
    )
    assert answer.status_code == 303
    assert PackAction.objects.get(pk=action.pk).done_at is not None
    assert client.post(week_url("rhythm_pack_action_add", org.rita), {"text": "x"}).status_code == 403
    assert client.get(week_url("rhythm_pack", org.tom)).status_code == 404


def test_manager_posts_note_and_action_a_stale_note_says_so(client, org):
    client.force_login(org.mona)
    assert client.post(week_url("rhythm_pack_note", org.rita), {"text": "一"}).status_code == 303
    assert (
        client.post(week_url("rhythm_pack_note", org.rita), {"text": "二", "version": "1"}).status_code == 303
    )
    stale = client.post(week_url("rhythm_pack_note", org.rita), {"text": "三", "version": "1"}, follow=True)
    assert PackNote.objects.get(rep=org.rita).text == "二"
    assert stale.status_code == 200 and b"msg-error" in stale.content
    due = (monday() + timedelta(days=3)).isoformat()
    answer = client.post(
        week_url("rhythm_pack_action_add", org.rita), {"text": "跟进", "owner_id": org.rita.pk, "due_on": due}
    )
    assert answer.status_code == 303
    assert PackAction.objects.get(rep=org.rita).due_on.isoformat() == due
    bad = client.post(
        week_url("rhythm_pack_action_add", org.rita), {"text": "x", "due_on": "not a date"}, follow=True
    )
    assert bad.status_code == 200 and PackAction.objects.count() == 1


def test_pack_page_redirects_to_the_monday_and_refuses_bad_weeks(client, org):
    client.force_login(org.mona)
    tuesday = monday() + timedelta(days=1)
    if tuesday <= timezone.localdate():
        assert client.get(reverse("rhythm_pack", args=[org.rita.pk, tuesday.isoformat()])).status_code == 302
    assert client.get(reverse("rhythm_pack", args=[org.rita.pk, "nope"])).status_code == 422
    future = (monday() + timedelta(days=14)).isoformat()
    assert client.get(reverse("rhythm_pack", args=[org.rita.pk, future])).status_code == 422
    index = client.get(reverse("rhythm_packs"))
    assert index.status_code == 200 and f'data-rep="{org.tom.pk}"'.encode() in index.content
    picked = client.get(reverse("rhythm_packs"), {"rep": org.rita.pk, "week": monday().isoformat()})
    assert picked.status_code == 302 and picked["Location"].endswith(week_url("rhythm_pack", org.rita))


def test_pdf_download(client, org, no_gates):
    rita_week(org)
    services.note_save(org.mona, org.rita.pk, monday(), text="<b>要点</b> & 下一步")
    services.action_add(org.mona, org.rita.pk, monday(), text="拜访 < 总工 >")
    client.force_login(org.mona)
    answer = client.get(week_url("rhythm_pack_pdf", org.rita))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF") and b"STSong-Light" in answer.content
    assert "attachment" in answer["Content-Disposition"]
    client.force_login(org.tom)
    assert client.get(week_url("rhythm_pack_pdf", org.rita)).status_code == 404


def test_print_stylesheet_is_there():
    from pathlib import Path

    css = Path("kadence/static/kadence/kadence.css").read_text()
    block = css[css.index("/* rhythm: pack */") :]
    assert "@media print" in block and "@page" in block and "A4" in block


# --- API -------------------------------------------------------------------------------------------


def test_api_pack_read_and_write(client, org, no_gates, token_for):
    rita_week(org)
    mona, rita = token_for(org.mona), token_for(org.rita)
    url = f"/api/rhythm/packs/{org.rita.pk}/{monday().isoformat()}"
    answer = client.get(url, **mona)
    assert answer.status_code == 200
    body = answer.json()
    assert [s["key"] for s in body["sections"]][:2] == ["changes", "deals"]
    quota = next(s for s in body["sections"] if s["key"] == "quota")["data"]
    assert quota["v"] == "0.58" and quota["below_one"] is True
    note = client.put(f"{url}/note", {"text": "好"}, content_type="application/json", **mona)
    assert note.status_code == 200 and note.json()["version"] == 1
    stale = client.put(f"{url}/note", {"text": "x", "version": 7}, content_type="application/json", **mona)
    assert stale.status_code == 409
    added = client.post(
        f"{url}/actions", {"text": "约见", "owner_id": org.rita.pk}, content_type="application/json", **mona
    )
    assert added.status_code == 201
    action = added.json()
    assert (
        client.post(f"{url}/actions", {"text": "x"}, content_type="application/json", **rita).status_code
        == 403
    )
    done = client.patch(
        f"/api/rhythm/pack-actions/{action['id']}",
        {"version": action["version"], "done": True},
        content_type="application/json",
        **rita,
    )
    assert done.status_code == 200 and done.json()["done_at"]
    empty = client.patch(
        f"/api/rhythm/pack-actions/{action['id']}", {"version": 2}, content_type="application/json", **mona
    )
    assert empty.status_code == 422
    listed = client.get("/api/rhythm/packs", **mona).json()
    assert {r["rep"]["id"] for r in listed} == {org.rita.pk, org.tom.pk}


@pytest.mark.parametrize(
    "path",
    [
        "/api/rhythm/packs/{rita}/not-a-date",
        "/api/rhythm/packs/{rita}/2026-02-30",
        "/api/rhythm/packs/{rita}/9999-01-01",
        "/api/rhythm/packs/{rita}/0001-01-01",
        "/api/rhythm/packs/0/2026-01-05",
        "/api/rhythm/packs/99999999/2026-01-05",
        "/api/rhythm/packs/{sara}/2026-01-05",
        "/api/rhythm/packs/{mona}/2026-01-05",
        "/api/rhythm/packs/abc/2026-01-05",
    ],
)
def test_api_gets_answer_4xx_never_500(client, org, token_for, path):
    answer = client.get(
        path.format(rita=org.rita.pk, sara=org.sara.pk, mona=org.mona.pk), **token_for(org.mona)
    )
    assert answer.status_code in (404, 422), answer.content
    assert "code" in answer.json() or "detail" in answer.json()


def test_api_needs_a_token(client, org):
    assert client.get(f"/api/rhythm/packs/{org.rita.pk}/{monday().isoformat()}").status_code == 401
    assert client.get("/api/rhythm/inbox").status_code == 401


def test_api_inbox_and_approve(client, org, token_for):
    criterion = ExitCriterion.objects.get(stage__template=org.opp.template, code="manager_review")
    Opportunity.objects.filter(pk=org.opp.pk).update(stage_id=criterion.stage_id)
    mona = token_for(org.mona)
    body = client.get("/api/rhythm/inbox", **mona).json()
    gates = next(k for k in body["kinds"] if k["kind"] == "gates")
    assert (
        gates["count"] >= 1
        and {"opp_id": org.opp.pk, "criterion_id": criterion.pk}.items() <= gates["items"][0].items()
    )
    # a seller has nothing waiting (a GET without an id answers no 404: config/api.py operation_errors)
    empty = client.get("/api/rhythm/inbox", **token_for(org.rita))
    assert empty.status_code == 200 and empty.json()["total"] == 0 and empty.json()["kinds"] == []
    url = f"/api/rhythm/inbox/gates/{org.opp.pk}/{criterion.pk}"
    assert (
        client.post(
            f"{url}/approve", {"note": "ok"}, content_type="application/json", **token_for(org.rita)
        ).status_code
        == 403
    )
    assert (
        client.post(f"{url}/approve", {"note": "ok"}, content_type="application/json", **mona).status_code
        == 200
    )
    assert GateApproval.objects.filter(opportunity=org.opp, criterion=criterion).exists()
    assert (
        client.post(f"{url}/reject", {"note": "no"}, content_type="application/json", **mona).status_code
        == 409
    )
    bad = client.post(
        "/api/rhythm/inbox/reviews", {"kind": "nope", "ref_id": 1}, content_type="application/json", **mona
    )
    assert bad.status_code == 422
    missing = client.post(
        "/api/rhythm/inbox/reviews",
        {"kind": "forecast", "ref_id": 999999},
        content_type="application/json",
        **mona,
    )
    assert missing.status_code == 404
