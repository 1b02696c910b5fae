"""Opportunity services: history rows, audit trail, optimistic concurrency, closing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.pipeline import services
from kadence.pipeline.models import LossReason, Opportunity, Stage, StageChange
from tests.versions import opp_version


def stages(opp):
    return list(Stage.objects.filter(template=opp.template).order_by("order"))


def test_create_writes_first_history_row(org):
    rows = list(StageChange.objects.filter(opportunity=org.opp))
    assert len(rows) == 1
    first = rows[0]
    assert first.kind == StageChange.Kind.CREATED and first.from_stage is None
    assert first.to_stage == stages(org.opp)[0]
    assert org.opp.level.code == "I" and org.opp.probability == Decimal("10")
    assert first.amount == Decimal("1200000.00")


def test_move_forward_and_back_each_leave_a_history_row(org, no_gates):
    s = stages(org.opp)
    opp = services.opportunity_move_stage(org.rita, org.opp.pk, stage_id=s[2].pk, version=1, reason="立项")
    assert (
        opp.stage == s[2] and opp.level.code == "C" and opp.probability == Decimal("25") and opp.version == 2
    )
    opp = services.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=s[1].pk, version=2, reason="客户重新评估"
    )
    kinds = list(
        StageChange.objects.filter(opportunity=opp)
        .order_by("id")
        .values_list("kind", "from_stage", "to_stage")
    )
    assert kinds == [
        ("created", None, s[0].pk),
        ("advanced", s[0].pk, s[2].pk),
        ("moved_back", s[2].pk, s[1].pk),
    ]
    assert AuditEntry.objects.filter(entity_id=opp.pk, field="level").count() == 2


def test_stale_update_is_a_conflict_and_changes_nothing(org):
    services.opportunity_update(org.rita, org.opp.pk, version=1, amount="1500000")
    with pytest.raises(Conflict):
        services.opportunity_update(org.rita, org.opp.pk, version=1, amount="999")
    opp = Opportunity.objects.get(pk=org.opp.pk)
    assert opp.amount == Decimal("1500000.00") and opp.version == 2
    audit = AuditEntry.objects.get(entity_id=opp.pk, field="amount")
    assert (audit.old_value, audit.new_value, audit.actor) == ("1200000", "1500000", org.rita)


def test_bad_input_is_refused_with_field_errors(org):
    with pytest.raises(ValidationFailed) as err:
        services.opportunity_update(org.rita, org.opp.pk, version=1, amount="-5")
    assert "amount" in err.value.errors
    with pytest.raises(ValidationFailed):
        services.opportunity_update(org.rita, org.opp.pk, version=1, currency="yuan")
    assert Opportunity.objects.get(pk=org.opp.pk).version == 1


def test_close_lost_needs_reason_and_records_it(org):
    with pytest.raises(ValidationFailed):
        services.opportunity_close_lost(
            org.rita, org.opp.pk, loss_reason_id=None, version=opp_version(org.opp.pk)
        )
    reason = LossReason.objects.get(code="price")
    opp = services.opportunity_close_lost(org.rita, org.opp.pk, loss_reason_id=reason.pk, version=1)
    assert opp.status == "lost" and opp.probability == 0 and opp.forecast_category == "omitted"
    last = StageChange.objects.filter(opportunity=opp).latest("id")
    assert last.kind == "lost" and last.status == "lost"
    with pytest.raises(ValidationFailed):
        services.opportunity_move_stage(
            org.rita, opp.pk, stage_id=stages(opp)[1].pk, version=opp_version(opp.pk)
        )


def test_moving_onto_the_closing_stage_closes_won(org, no_gates):
    final = stages(org.opp)[-1]
    opp = services.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=final.pk, version=opp_version(org.opp.pk)
    )
    assert (
        opp.status == "won"
        and opp.probability == 100
        and opp.stage == final
        and opp.forecast_category == "booked"
    )
    assert StageChange.objects.filter(opportunity=opp).latest("id").kind == "won"


def test_reassign_needs_a_manager_and_moves_the_team(org):
    with pytest.raises(PermissionDenied):
        services.opportunity_reassign(
            org.rita, org.opp.pk, owner_id=org.tom.pk, version=opp_version(org.opp.pk)
        )
    opp = services.opportunity_reassign(
        org.dora, org.opp.pk, owner_id=org.nick.pk, reason="调整区域", version=opp_version(org.opp.pk)
    )
    assert opp.owner == org.nick and opp.team == org.n2
    with pytest.raises(PermissionDenied):
        services.opportunity_reassign(
            org.sven, org.sara_opp.pk, owner_id=org.rita.pk, version=opp_version(org.sara_opp.pk)
        )


def test_invisible_opportunity_is_not_found(org):
    with pytest.raises(NotFound):
        services.opportunity_update(org.rita, org.sara_opp.pk, version=1, amount="1")


def test_deal_team_member_reads_but_cannot_write(org):
    from kadence.pipeline.models import DealRole

    services.opportunity_team_add(
        org.rita, org.opp.pk, user_id=org.sara.pk, role_id=DealRole.objects.get(code="presales").pk
    )
    from kadence.core.visibility import visible_opportunities

    assert visible_opportunities(org.sara).filter(pk=org.opp.pk).exists()
    with pytest.raises(PermissionDenied):
        services.opportunity_update(org.sara, org.opp.pk, version=1, amount="1")


def test_close_date_default_category_follows_level(org):
    opp = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="x",
        amount=10,
        expected_close_date=date.today() + timedelta(days=5),
    )
    assert opp.forecast_category == "pipeline"


def test_renaming_a_stage_later_does_not_rewrite_history(org, no_gates):
    from django.utils import translation

    s = stages(org.opp)
    services.opportunity_move_stage(org.rita, org.opp.pk, stage_id=s[1].pk, version=opp_version(org.opp.pk))
    old_zh, old_en = s[1].name_zh, s[1].name_en
    Stage.objects.filter(pk=s[1].pk).update(name_zh="改名后", name_en="Renamed")
    row = StageChange.objects.filter(opportunity=org.opp, kind="advanced").get()
    with translation.override("zh-hans"):
        assert row.to_stage_label == old_zh
    with translation.override("en"):
        assert row.to_stage_label == old_en and row.from_stage_label == s[0].name_en


def test_closing_rungs_show_their_name_in_the_active_language(db):
    from django.utils import translation

    from kadence.pipeline.models import ProbabilityLevel

    won, c90 = ProbabilityLevel.objects.get(code="WON"), ProbabilityLevel.objects.get(code="C90")
    with translation.override("zh-hans"):
        assert (won.badge, c90.badge) == ("赢单", "C90")
    with translation.override("en"):
        assert (won.badge, str(won)) == ("Won", "Won 100%")


def _state(opp_id):
    return Opportunity.objects.filter(pk=opp_id).values("status", "stage_id", "owner_id", "version").get()


@pytest.mark.parametrize("name", ["update", "move", "close_won", "close_lost", "reopen", "reassign"])
def test_a_write_without_a_version_is_refused_and_changes_nothing(org, no_gates, name):
    """The services used to default a missing version to the one just read, overwriting whatever
    changed meanwhile: now every one refuses (422, code version_required) and writes nothing."""
    if name == "reopen":
        services.opportunity_close_lost(
            org.rita, org.opp.pk, loss_reason_id=LossReason.objects.first().pk, version=1
        )
    before, rows = _state(org.opp.pk), StageChange.objects.count()
    calls = {
        "update": lambda v: services.opportunity_update(org.rita, org.opp.pk, version=v, amount="1"),
        "move": lambda v: services.opportunity_move_stage(
            org.rita, org.opp.pk, stage_id=stages(org.opp)[2].pk, version=v
        ),
        "close_won": lambda v: services.opportunity_close_won(org.rita, org.opp.pk, version=v),
        "close_lost": lambda v: services.opportunity_close_lost(
            org.rita, org.opp.pk, version=v, loss_reason_id=LossReason.objects.first().pk
        ),
        "reopen": lambda v: services.opportunity_reopen(org.rita, org.opp.pk, version=v, reason="again"),
        "reassign": lambda v: services.opportunity_reassign(
            org.dora, org.opp.pk, owner_id=org.nick.pk, version=v
        ),
    }
    with pytest.raises(ValidationFailed) as missing:
        calls[name](None)
    assert missing.value.code == "version_required" and "version" in missing.value.errors
    with pytest.raises(Conflict):
        calls[name](before["version"] + 1)
    assert _state(org.opp.pk) == before and StageChange.objects.count() == rows
