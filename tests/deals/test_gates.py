"""Stage gates end to end (METHODOLOGY §1d, §2): the rules of all four shipped templates, evidence,
approvals, overrides, the level that follows the checkpoints, and who may do what."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kadence.accounts.models import Contact
from kadence.core.errors import GateNotMet, NotFound, PermissionDenied, ValidationFailed
from kadence.deals.models import (
    BidAssessment,
    BuyingCentreMember,
    C139Answer,
    C139Assessment,
    ControlPolicy,
    Evidence,
    OpportunityTask,
)
from kadence.deals.selectors.gates import gate_checklist
from kadence.deals.services import gates
from kadence.domain.c139 import ITEMS
from kadence.pipeline import services
from kadence.pipeline.models import (
    Competitor,
    ExitCriterion,
    Opportunity,
    ProcessTemplate,
    ProductLine,
    Stage,
)
from tests.versions import opp_version

ALL_ROLES = [c for c, _label in Contact.BuyingRole.choices]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def prove(opp: Opportunity, criterion: ExitCriterion, owner, manager) -> None:
    """Create whatever makes `criterion` met for `opp`, the way a user would."""
    config = criterion.config or {}
    if criterion.kind == "evidence":
        gates.evidence_add(owner, opp.pk, title=criterion.name_zh, criterion_id=criterion.pk, note="纪要")
    elif criterion.kind == "approval":
        gates.gate_approve(manager, opp.pk, criterion_id=criterion.pk, note="ok")
    elif criterion.kind == "task":
        OpportunityTask.objects.update_or_create(
            opportunity=opp,
            stage=criterion.stage,
            code=config["task"],
            defaults={
                "name_zh": criterion.name_zh,
                "name_en": criterion.name_en,
                "done_at": timezone.now(),
                "done_by": owner,
                "completion_note": "done",
            },
        )
    elif criterion.kind == "field":
        field = config["field"]
        if field == "competitors":
            opp.competitors.add(Competitor.objects.get_or_create(name="ABB")[0])
        elif field == "product_lines":
            opp.product_lines.add(ProductLine.objects.first())
        elif field == "amount":
            Opportunity.objects.filter(pk=opp.pk).update(amount=Decimal("100"))
        elif field in ("next_step", "description"):
            Opportunity.objects.filter(pk=opp.pk).update(**{field: "x"})
        # expected_close_date and account.industry are always filled in these tests
    elif config.get("assessment") in ("c139", "c139_items"):
        assessment = C139Assessment.objects.create(
            opportunity=opp,
            assessed_by=owner,
            clear=9,
            first=3,
            win=1,
            result="9C3F1W",
            meets_rule=True,
            band="win",
            band_low=90,
            band_high=100,
        )
        C139Answer.objects.bulk_create(
            [C139Answer(assessment=assessment, item=i, status="confirmed") for i in ITEMS]
        )
    elif config.get("assessment") == "bid_decision":
        BidAssessment.objects.create(
            opportunity=opp, assessed_by=owner, score=4, suggested_outcome="pursue", outcome="pursue"
        )
    elif config.get("assessment") == "buying_centre":
        contact = Contact.objects.create(account=opp.account, name=f"联系人{criterion.pk}")
        BuyingCentreMember.objects.create(
            opportunity=opp, contact=contact, roles=ALL_ROLES, attitude="support"
        )
    else:
        raise AssertionError(f"no way to prove {criterion.code} {config}")
    gates.opportunity_recheck(opp.pk)


def open_deal(org, template_code: str) -> Opportunity:
    template = ProcessTemplate.objects.get(code=template_code)
    return services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name=f"deal {template_code}",
        amount="500000",
        template_id=template.pk,
        expected_close_date=date.today() + timedelta(days=60),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("template_code", ["tianlong8", "funnel7", "standard6", "lenovo5"])
def test_every_gate_of_every_shipped_template_blocks_until_proven(org, template_code):
    opp = open_deal(org, template_code)
    stages = list(Stage.objects.filter(template=opp.template).order_by("order"))
    assert stages[-1].is_won
    for stage, target in zip(stages, stages[1:], strict=False):
        opp.refresh_from_db()
        assert opp.stage_id == stage.pk
        criteria = list(ExitCriterion.objects.filter(stage=stage, is_active=True).order_by("order", "id"))
        assert criteria, f"{template_code}/{stage.code} has no exit criteria"
        checklist = gate_checklist(org.rita, opp.pk)
        open_codes = {r.criterion.code for r in checklist.current.rows if not r.met}
        # A stage may start proven (funnel7's first gate asks for the account's industry, already set).
        assert open_codes or all(r.met for r in checklist.current.rows)
        remaining = [c for c in criteria if c.code in open_codes]
        while remaining:
            with pytest.raises(GateNotMet) as refused:
                services.opportunity_move_stage(
                    org.rita, opp.pk, stage_id=target.pk, version=opp_version(opp.pk)
                )
            missing = refused.value.extra["missing"]
            assert {m["code"] for m in missing} == {c.code for c in remaining}
            assert all(m["stage_id"] == stage.pk and m["name"] and m["detail"] for m in missing)
            opp.refresh_from_db()
            assert opp.stage_id == stage.pk, "a refused move changes nothing"
            prove(opp, remaining.pop(0), org.rita, org.mona)
        opp.refresh_from_db()
        # Leaving a stage earns its level: meeting its exit criteria does.
        assert opp.level_id == stage.default_level_id, (stage.code, opp.level.code)
        moved = services.opportunity_move_stage(
            org.rita, opp.pk, stage_id=target.pk, version=opp_version(opp.pk)
        )
        if target.is_won:
            assert moved.status == Opportunity.Status.WON
        else:  # entering the next stage keeps it, never outrunning the evidence
            assert moved.level_id == stage.default_level_id and moved.staging_flag in ("", "under", "over")


@pytest.mark.django_db
def test_a_deal_opened_late_without_evidence_is_over_staged_and_evidence_lifts_its_level(org):
    template = ProcessTemplate.objects.get(code="tianlong8")
    stages = list(template.stages.order_by("order"))
    opp = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="late",
        amount="800000",
        template_id=template.pk,
        stage_id=stages[4].pk,
        expected_close_date=date.today() + timedelta(days=30),
    )
    assert opp.level.code == "I" and opp.probability == Decimal("10") and opp.staging_flag == "over"
    for stage in stages[:4]:
        for criterion in stage.exit_criteria.filter(is_active=True):
            prove(opp, criterion, org.rita, org.mona)
    opp.refresh_from_db()
    # Stages 1-4 completed: stage 4's level, C (under-staged: proving stage 3's C5/C6 saved a 9C3F1W
    # C139); stage 5's own exit earns its Q.
    assert opp.level.code == "C" and opp.probability == Decimal("25") and opp.staging_flag == "under"
    for criterion in stages[4].exit_criteria.filter(is_active=True):
        prove(opp, criterion, org.rita, org.mona)
    opp.refresh_from_db()
    assert opp.level.code == "Q" and opp.probability == Decimal("50") and opp.staging_flag == ""
    # Withdrawing one piece of proof of stage 1 pulls the level back down to the lowest, I.
    first = Evidence.objects.filter(opportunity=opp, criterion__stage=stages[0]).first()
    gates.evidence_remove(org.rita, first.pk, reason="wrong file")
    opp.refresh_from_db()
    assert opp.level.code == "I" and opp.staging_flag == "over"
    assert Evidence.objects.get(pk=first.pk).removed_at is not None


@pytest.mark.django_db
def test_c139_rule_flags_over_and_under_staging(org):
    template = ProcessTemplate.objects.get(code="tianlong8")
    stages = list(template.stages.order_by("order"))
    opp = org.opp
    # 8C1F0W at a C-level stage: under-staged.
    Opportunity.objects.filter(pk=opp.pk).update(stage=stages[2])
    for stage in stages[:2]:
        for criterion in stage.exit_criteria.all():
            prove(opp, criterion, org.rita, org.mona)
    assessment = C139Assessment.objects.create(
        opportunity=opp,
        clear=8,
        first=1,
        win=0,
        result="8C1F0W",
        meets_rule=True,
        band="rule_met",
        band_low=60,
        band_high=90,
    )
    C139Answer.objects.bulk_create(
        [
            C139Answer(assessment=assessment, item=i, status="confirmed")
            for i in ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "F1"]
        ]
    )
    opp = gates.opportunity_recheck(opp.pk)
    # Stage 3 works on its exit (立项 not proven): the deal holds stage 2's I, below what C139 says.
    assert opp.level.code == "I" and opp.staging_flag == "under" and opp.c139_result == "8C1F0W"


@pytest.mark.django_db
def test_the_owner_cannot_override_and_a_manager_needs_a_reason(org):
    stages = list(org.opp.template.stages.order_by("order"))
    with pytest.raises(PermissionDenied):
        services.opportunity_move_stage(
            org.rita,
            org.opp.pk,
            stage_id=stages[1].pk,
            override=True,
            reason="trust me",
            version=opp_version(org.opp.pk),
        )
    with pytest.raises(ValidationFailed) as no_reason:
        services.opportunity_move_stage(
            org.mona, org.opp.pk, stage_id=stages[1].pk, override=True, version=opp_version(org.opp.pk)
        )
    assert no_reason.value.code == "reason_required"
    moved = services.opportunity_move_stage(
        org.mona,
        org.opp.pk,
        stage_id=stages[1].pk,
        override=True,
        reason="客户高层已口头确认会面",
        version=opp_version(org.opp.pk),
    )
    row = moved.stage_changes.order_by("-changed_at", "-id").first()
    assert row.overridden and row.reason == "客户高层已口头确认会面"
    assert [c["code"] for c in row.overridden_criteria] == ["first_meeting"]
    # The override moves the stage, not the probability: the level stays what is verified.
    assert moved.level.code == "I"


@pytest.mark.django_db
def test_a_manager_never_overrides_or_approves_their_own_deal(org):
    opp = services.opportunity_create(
        org.mona,
        account_id=org.account.pk,
        name="mona's own",
        amount="1",
        expected_close_date=date.today() + timedelta(days=9),
    )
    stages = list(opp.template.stages.order_by("order"))
    with pytest.raises(PermissionDenied):
        services.opportunity_move_stage(
            org.mona, opp.pk, stage_id=stages[1].pk, override=True, reason="mine", version=opp_version(opp.pk)
        )
    review = ExitCriterion.objects.get(stage__template=opp.template, code="manager_review")
    with pytest.raises(PermissionDenied):
        gates.gate_approve(org.mona, opp.pk, criterion_id=review.pk)
    # Her director may.
    services.opportunity_move_stage(
        org.dora, opp.pk, stage_id=stages[1].pk, override=True, reason="checked", version=opp_version(opp.pk)
    )
    assert gates.gate_approve(org.dora, opp.pk, criterion_id=review.pk).approved_by == org.dora


@pytest.mark.django_db
def test_approvals_who_may(org):
    review = ExitCriterion.objects.get(stage__template=org.opp.template, code="manager_review")
    with pytest.raises(PermissionDenied):
        gates.gate_approve(org.rita, org.opp.pk, criterion_id=review.pk)
    with pytest.raises(NotFound):
        gates.gate_approve(org.tom, org.opp.pk, criterion_id=review.pk)
    with pytest.raises(NotFound):
        gates.gate_approve(org.sam, org.opp.pk, criterion_id=review.pk)
    first_meeting = ExitCriterion.objects.get(stage__template=org.opp.template, code="first_meeting")
    with pytest.raises(ValidationFailed):
        gates.gate_approve(org.mona, org.opp.pk, criterion_id=first_meeting.pk)
    gates.gate_approve(org.mona, org.opp.pk, criterion_id=review.pk, note="看过")
    with pytest.raises(ValidationFailed):
        gates.gate_approve(org.mona, org.opp.pk, criterion_id=review.pk)
    gates.gate_approval_revoke(org.mona, org.opp.pk, criterion_id=review.pk)
    assert not gate_checklist(org.mona, org.opp.pk).facts.approved_criteria


@pytest.mark.django_db
def test_backward_moves_are_allowed_and_recorded(org, no_gates):
    stages = list(org.opp.template.stages.order_by("order"))
    services.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages[3].pk, version=opp_version(org.opp.pk)
    )
    moved = services.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages[1].pk, reason="客户重新立项", version=opp_version(org.opp.pk)
    )
    row = moved.stage_changes.order_by("-changed_at", "-id").first()
    assert row.kind == "moved_back" and row.from_stage_id == stages[3].pk and not row.overridden


@pytest.mark.django_db
def test_entering_a_stage_creates_its_tasks_once(org, no_gates):
    from kadence.pipeline.models import StageTask

    stages = list(org.opp.template.stages.order_by("order"))
    StageTask.objects.create(
        stage=stages[1], code="visit_plan", name_zh="拜访计划", name_en="Visit plan", due_days=5
    )
    services.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages[1].pk, version=opp_version(org.opp.pk)
    )
    services.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages[0].pk, version=opp_version(org.opp.pk)
    )
    services.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages[1].pk, version=opp_version(org.opp.pk)
    )
    tasks = OpportunityTask.objects.filter(opportunity=org.opp, stage=stages[1], code="visit_plan")
    assert tasks.count() == 1
    task = tasks.get()
    assert task.assignee_id == org.rita.pk and task.due_on == date.today() + timedelta(days=5)


# --- evidence -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_evidence_file_limits_give_clear_errors_and_save_nothing(org):
    policy = ControlPolicy.current()
    policy.evidence_max_bytes = 10
    policy.save()
    criterion = ExitCriterion.objects.get(stage__template=org.opp.template, code="first_meeting")
    too_big = SimpleUploadedFile("minutes.pdf", b"x" * 11, content_type="application/pdf")
    with pytest.raises(ValidationFailed) as big:
        gates.evidence_add(org.rita, org.opp.pk, title="纪要", criterion_id=criterion.pk, upload=too_big)
    assert big.value.code == "too_large" and "file" in big.value.errors
    script = SimpleUploadedFile("minutes.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationFailed) as bad_type:
        gates.evidence_add(org.rita, org.opp.pk, title="纪要", criterion_id=criterion.pk, upload=script)
    assert bad_type.value.code == "file_type"
    with pytest.raises(ValidationFailed):
        gates.evidence_add(org.rita, org.opp.pk, title="纪要", criterion_id=criterion.pk)  # nothing given
    with pytest.raises(ValidationFailed):
        gates.evidence_add(org.rita, org.opp.pk, title="纪要", url="javascript:alert(1)")
    assert not Evidence.objects.exists()
    ok = gates.evidence_add(
        org.rita,
        org.opp.pk,
        title="纪要",
        criterion_id=criterion.pk,
        upload=SimpleUploadedFile("m.pdf", b"%PDF-1", content_type="application/pdf"),
    )
    assert (
        ok.kind == "file"
        and ok.size == 6
        and ok.evidence_type == "meeting_minutes"
        and ok.file_name == "m.pdf"
    )


@pytest.mark.django_db
def test_who_may_add_and_withdraw_evidence(org):
    criterion = ExitCriterion.objects.get(stage__template=org.opp.template, code="first_meeting")
    with pytest.raises(NotFound):
        gates.evidence_add(org.tom, org.opp.pk, title="x", note="x", criterion_id=criterion.pk)
    with pytest.raises(NotFound):
        gates.evidence_add(org.sara, org.opp.pk, title="x", note="x")
    from kadence.pipeline.models import DealRole

    services.opportunity_team_add(
        org.rita, org.opp.pk, user_id=org.tom.pk, role_id=DealRole.objects.get(code="presales").pk
    )
    mine = gates.evidence_add(org.tom, org.opp.pk, title="技术交流纪要", note="x", criterion_id=criterion.pk)
    rita_s = gates.evidence_add(org.rita, org.opp.pk, title="纪要", note="x")
    with pytest.raises(PermissionDenied):
        gates.evidence_remove(org.tom, rita_s.pk)
    gates.evidence_remove(org.tom, mine.pk)
    with pytest.raises(NotFound):
        gates.evidence_remove(org.tom, mine.pk)


# --- pages ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_gates_page_shows_the_checklist_and_refuses_to_advance_with_the_missing_list(client, org):
    client.force_login(org.rita)
    page = client.get(f"/opportunities/{org.opp.pk}/gates/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="criterion-first_meeting" data-met="0"' in body and 'data-testid="advance"' in body
    assert 'data-testid="override"' not in body  # the owner never sees the override
    stages = list(org.opp.template.stages.order_by("order"))
    refused = client.post(
        f"/opportunities/{org.opp.pk}/move/",
        {"origin": "gates", "stage_id": stages[1].pk, "version": org.opp.version},
        follow=True,
    )
    assert refused.status_code == 409 and 'data-code="gate_not_met"' in refused.content.decode()
    criterion = ExitCriterion.objects.get(stage=stages[0], code="first_meeting")
    attached = client.post(
        f"/opportunities/{org.opp.pk}/evidence/",
        {
            "criterion_id": criterion.pk,
            "title": "会面纪要",
            "file": SimpleUploadedFile("minutes.pdf", b"%PDF-1.4", content_type="application/pdf"),
        },
    )
    assert attached.status_code == 302
    evidence = Evidence.objects.get(opportunity=org.opp)
    download = client.get(f"/evidence/{evidence.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4"
    assert "attachment" in download["Content-Disposition"]
    org.opp.refresh_from_db()
    moved = client.post(
        f"/opportunities/{org.opp.pk}/move/",
        {"origin": "gates", "stage_id": stages[1].pk, "version": org.opp.version},
    )
    assert moved.status_code == 302 and moved["Location"] == f"/opportunities/{org.opp.pk}/gates/"
    client.force_login(org.sara)
    assert client.get(f"/evidence/{evidence.pk}/download/").status_code == 404
    assert client.get(f"/opportunities/{org.opp.pk}/gates/").status_code == 404


@pytest.mark.django_db
def test_bad_upload_on_the_page_shows_the_error_in_place(client, org, settings):
    client.force_login(org.rita)
    criterion = ExitCriterion.objects.get(stage__template=org.opp.template, code="first_meeting")
    response = client.post(
        f"/opportunities/{org.opp.pk}/evidence/",
        {
            "criterion_id": criterion.pk,
            "title": "纪要",
            "file": SimpleUploadedFile("x.bat", b"echo", content_type="text/plain"),
        },
        follow=True,
    )
    assert response.status_code == 422 and not Evidence.objects.exists()
    assert 'data-code="file_type"' in response.content.decode()


@pytest.mark.django_db
def test_gates_page_query_count_is_fixed(client, org, django_assert_max_num_queries):
    for stage in org.opp.template.stages.order_by("order")[:3]:
        for criterion in stage.exit_criteria.all():
            prove(org.opp, criterion, org.rita, org.mona)
    client.force_login(org.mona)
    with django_assert_max_num_queries(30):
        response = client.get(f"/opportunities/{org.opp.pk}/gates/")
    assert response.status_code == 200 and 'data-testid="override"' in response.content.decode()


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_gates_evidence_and_override(client, org, token_for):
    rita, mona = token_for(org.rita), token_for(org.mona)
    body = client.get(f"/api/opportunities/{org.opp.pk}/gates", **rita).json()
    assert (
        body["stages"][0]["state"] == "current"
        and body["stages"][0]["criteria"][0]["code"] == "first_meeting"
    )
    assert body["stages"][0]["criteria"][0]["met"] is False and body["stages"][0]["criteria"][0]["message"]
    stages = list(org.opp.template.stages.order_by("order"))
    refused = client.post(
        f"/api/opportunities/{org.opp.pk}/move",
        {"stage_id": stages[1].pk, "version": org.opp.version},
        content_type="application/json",
        **rita,
        follow=True,
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "gate_not_met"
    assert [m["code"] for m in refused.json()["missing"]] == ["first_meeting"]
    own_override = client.post(
        f"/api/opportunities/{org.opp.pk}/move",
        {"stage_id": stages[1].pk, "override": True, "reason": "x", "version": org.opp.version},
        content_type="application/json",
        **rita,
    )
    assert own_override.status_code == 403
    criterion_id = body["stages"][0]["criteria"][0]["id"]
    upload = client.post(
        f"/api/opportunities/{org.opp.pk}/evidence",
        {
            "title": "纪要",
            "criterion_id": criterion_id,
            "file": SimpleUploadedFile("m.pdf", b"%PDF", content_type="application/pdf"),
        },
        **rita,
    )
    assert upload.status_code == 201, upload.content
    download = client.get(upload.json()["download_url"], **rita)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF"
    assert client.get(upload.json()["download_url"], **token_for(org.sara)).status_code == 404
    moved = client.post(
        f"/api/opportunities/{org.opp.pk}/move",
        {"stage_id": stages[2].pk, "version": org.opp.version},
        content_type="application/json",
        **rita,
        follow=True,
    )
    assert moved.status_code == 409  # stage 2's criteria are still open
    overridden = client.post(
        f"/api/opportunities/{org.opp.pk}/move",
        {"stage_id": stages[2].pk, "override": True, "reason": "领导已确认", "version": org.opp.version},
        content_type="application/json",
        **mona,
    )
    assert overridden.status_code == 200 and overridden.json()["staging_flag"] == "over"
    history = client.get(f"/api/opportunities/{org.opp.pk}/history", **mona).json()
    assert history[-1]["overridden"] is True and history[-1]["overridden_criteria"]
    assert history[-2]["overridden"] is False
    gone = client.delete(f"/api/evidence/{upload.json()['id']}?reason=wrong", **rita)
    assert gone.status_code == 204
    bad = client.post(f"/api/opportunities/{org.opp.pk}/evidence", {"title": ""}, **rita, follow=True)
    assert bad.status_code == 422


@pytest.mark.django_db
def test_lists_filter_over_staged_deals(client, org, token_for):
    late = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="late",
        amount="1",
        stage_id=org.opp.template.stages.get(order=5).pk,
        expected_close_date=date.today() + timedelta(days=30),
    )
    listed = client.get("/api/opportunities?staging=over", **token_for(org.rita)).json()
    assert [o["id"] for o in listed["items"]] == [late.pk] and listed["items"][0]["staging_flag"] == "over"
    client.force_login(org.rita)
    page = client.get("/opportunities/?staging=over").content.decode()
    assert "late" in page and org.opp.name not in page and 'data-testid="staging-over"' in page


@pytest.mark.django_db
def test_overrides_report_is_scoped_and_lists_reason_and_missing(client, org, token_for):
    second = org.opp.template.stages.get(order=2)
    services.opportunity_move_stage(
        org.mona,
        org.opp.pk,
        stage_id=second.pk,
        override=True,
        reason="口头确认",
        version=opp_version(org.opp.pk),
    )
    client.force_login(org.dora)
    page = client.get("/reports/gate-overrides/").content.decode()
    assert "口头确认" in page and org.opp.name in page
    body = client.get("/api/reports/gate-overrides", **token_for(org.rita)).json()
    assert body["count"] == 1 and body["items"][0]["reason"] == "口头确认"
    assert body["items"][0]["overridden_criteria"][0]["code"] == "first_meeting"
    assert client.get("/api/reports/gate-overrides", **token_for(org.sara)).json()["count"] == 0
    assert client.get("/api/reports/gate-overrides", **token_for(org.sven)).json()["count"] == 0
    bad = client.get(
        "/api/reports/gate-overrides?date_from=2026-05-01&date_to=2026-01-01", **token_for(org.ada)
    )
    assert bad.status_code == 422
    client.force_login(org.sven)
    assert "口头确认" not in client.get("/reports/gate-overrides/").content.decode()


def c139_answers(clear: int, first: int) -> dict[str, dict]:
    answers = {f"C{i}": {"status": "confirmed" if i <= clear else "unknown"} for i in range(1, 10)}
    answers.update({f"F{i}": {"status": "confirmed" if i <= first else "unknown"} for i in range(1, 4)})
    answers["W1"] = {"status": "unknown"}
    return answers


@pytest.mark.django_db
def test_moving_into_deal_review_keeps_q_and_its_own_exit_earns_d(org):
    """Issue 11 §1b: moving from stage 5 into stage 6 (项目评估) raised the deal to D at once and
    flagged it over-staged, its C139 not yet 8C1F0W, which is stage 6's own exit criterion. The level a
    stage grants is earned by leaving it: the deal holds Q until stage 6's exit is met."""
    from kadence.deals.services.assessments import c139_assess
    from kadence.pipeline import summary
    from kadence.pipeline.models import StageChange

    opp = open_deal(org, "tianlong8")
    stages = list(opp.template.stages.order_by("order"))
    for stage, target in zip(stages[:5], stages[1:6], strict=True):
        for criterion in stage.exit_criteria.filter(is_active=True).order_by("order", "id"):
            prove(opp, criterion, org.rita, org.mona)
        if stage == stages[4]:  # the short-list's C139: 7 Clears, no First yet
            c139_assess(org.rita, opp.pk, answers=c139_answers(7, 0))
        services.opportunity_move_stage(org.rita, opp.pk, stage_id=target.pk, version=opp_version(opp.pk))
    opp.refresh_from_db()
    assert opp.stage == stages[5] and opp.c139_result == "7C0F0W"
    assert (opp.level.code, opp.probability, opp.staging_flag) == ("Q", Decimal("50.00"), "")
    moved = StageChange.objects.filter(opportunity=opp).order_by("-id").first()
    assert (moved.kind, moved.from_level.code, moved.to_level.code) == ("advanced", "Q", "Q")

    summary.rebuild()  # prove() fills some fields behind the services' back
    c139_assess(org.rita, opp.pk, answers=c139_answers(8, 1))  # 8C1F0W: one of stage 6's three criteria
    opp.refresh_from_db()
    assert (opp.level.code, opp.staging_flag) == ("Q", "")
    review = stages[5].exit_criteria.filter(is_active=True)
    prove(opp, review.get(code="bid_pursue"), org.rita, org.mona)
    gates.gate_approve(org.mona, opp.pk, criterion_id=review.get(code="manager_review").pk)
    opp.refresh_from_db()
    assert (opp.level.code, opp.probability, opp.staging_flag) == ("D", Decimal("75.00"), "")
    # The rise inside the stage is in the history, and the summaries follow it.
    raised = StageChange.objects.filter(opportunity=opp).order_by("-id").first()
    assert (raised.kind, raised.from_level.code, raised.to_level.code) == ("updated", "Q", "D")
    assert raised.to_stage == stages[5] and raised.probability == Decimal("75.00")
    assert summary.drift() == []


@pytest.mark.django_db
def test_the_deal_page_and_api_show_what_the_next_level_needs(client, org, token_for):
    stages = list(org.opp.template.stages.order_by("order"))
    ExitCriterion.objects.filter(stage__in=stages[:2]).update(is_active=False)  # stages 1-2 proven
    opp = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="方案阶段",
        amount="200000",
        stage_id=stages[2].pk,
        expected_close_date=date.today() + timedelta(days=30),
    )
    assert (opp.level.code, opp.staging_flag) == ("I", "")
    open_codes = ["project_approved", "c5_c6"]  # budget_known: the amount is filled
    for language, text in (("en", "to reach C (25%):"), ("zh-hans", "要达到 C（25%），还需：")):
        client.force_login(org.rita)
        page = client.get(f"/opportunities/{opp.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert 'data-testid="level-outlook"' in page and text in page, language
        for code in open_codes:
            assert f'data-testid="need-{code}"' in page
        gates_page = client.get(f"/opportunities/{opp.pk}/gates/", HTTP_ACCEPT_LANGUAGE=language)
        assert text in gates_page.content.decode()
    body = client.get(f"/api/opportunities/{opp.pk}/gates", **token_for(org.rita)).json()
    assert body["level"]["short"] == "I" and body["next_level"]["short"] == "C"
    assert [n["code"] for n in body["next_level_needs"]] == open_codes
    assert all(n["message"] and n["stage_id"] == stages[2].pk for n in body["next_level_needs"])
    # Its exit met, the deal holds C and is ready to advance; no next level is pending.
    for criterion in stages[2].exit_criteria.filter(is_active=True):
        prove(opp, criterion, org.rita, org.mona)
    body = client.get(f"/api/opportunities/{opp.pk}/gates", **token_for(org.rita)).json()
    assert body["level"]["short"] == "C" and body["next_level"] is None and body["next_level_needs"] == []
    page = client.get(f"/opportunities/{opp.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "ready to advance" in page
