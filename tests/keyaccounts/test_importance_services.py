"""Importance services (issue 15 §5–6): the computation from Kadence's data with exact figures, the
owner's entries (history kept), the type rules and the manual override with its reason (audited, 409 on
a stale version), the configuration (weights adding to 100; admin only), the nightly job and command."""

from __future__ import annotations

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.keyaccounts.importance import selectors, services
from kadence.keyaccounts.importance.models import (
    AccountImportance,
    ImportanceConfig,
    ImportanceCriterion,
    ImportanceEntry,
    ImportanceScore,
)
from kadence.keyaccounts.importance.tasks import importance_nightly
from tests.keyaccounts.importance_world import AS_OF, ENTERED, build, today  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, today):  # noqa: F811
    return build(org)


def test_the_defaults_are_the_seeds_nine_criteria_adding_to_100(db):
    rows = selectors.criteria()
    assert [c.code for c in rows][:3] == ["sales", "profit", "growth"]
    assert sum(c.weight for c in rows) == 100 and len(rows) == 9
    assert {c.code for c in rows if c.source == "entered"} == {
        "profit",
        "competitive",
        "market_position",
        "industry_influence",
    }


def test_the_computed_criteria_from_kadences_data(world):
    assert services.compute([world.account.pk], as_of=AS_OF) == 1
    row = ImportanceScore.objects.get(account=world.account, scored_on=AS_OF)
    d = row.detail
    assert d["sales"]["value"] == "1200000.00" and d["sales"]["score"] == 4
    assert d["growth"]["value"] == "50.0" and d["growth"]["score"] == 5
    assert d["share"]["value"] == "24.0" and d["share"]["score"] == 2
    assert d["loyalty"]["value"] == "5.6" and d["loyalty"]["score"] == 4
    assert d["continuity"]["value"] == "2" and d["continuity"]["score"] == 2
    assert d["profit"]["score"] is None
    assert row.score == D("74.55") and not row.complete and row.customer_type == ""
    current = AccountImportance.objects.get(pk=world.account.pk)
    assert current.score == D("74.55") and current.scored_on == AS_OF


def test_the_owners_entries_complete_the_score_and_give_the_type(world):
    services.entries_set(world.rita, world.account.pk, ENTERED, note="年度评估")
    row = ImportanceScore.objects.get(account=world.account, scored_on=AS_OF)
    assert row.score == D("71.00") and row.complete and row.customer_type == "profit"
    assert row.computed_by == world.rita
    # a later entry counts; the earlier is kept
    services.entries_set(world.rita, world.account.pk, {"profit": 2})
    assert ImportanceEntry.objects.filter(account=world.account, criterion="profit").count() == 2
    row = ImportanceScore.objects.get(account=world.account, scored_on=AS_OF)
    # profit 2: 355 − 30 = 325 → 65.00; influence 2 and market 4 with profit 2 → problem customer (brand)
    assert row.score == D("65.00") and row.customer_type == "brand_problem"
    assert (
        AuditEntry.objects.filter(
            entity="keyaccounts.importance", entity_id=world.account.pk, field="profit"
        ).count()
        == 2
    )


def test_entries_are_checked(world):
    with pytest.raises(ValidationFailed):
        services.entries_set(world.rita, world.account.pk, {"profit": 6})
    with pytest.raises(ValidationFailed):
        services.entries_set(world.rita, world.account.pk, {"sales": 3})  # computed, not entered
    with pytest.raises(ValidationFailed):
        services.entries_set(world.rita, world.account.pk, {})
    with pytest.raises(NotFound):
        services.entries_set(world.sara, world.account.pk, {"profit": 3})  # not hers to see


def test_the_type_override_needs_a_reason_and_the_version(world):
    services.compute([world.account.pk], as_of=AS_OF)
    current = AccountImportance.objects.get(pk=world.account.pk)
    with pytest.raises(ValidationFailed):
        services.type_override(
            world.rita, world.account.pk, version=current.version, customer_type="loyal", reason=" "
        )
    row = services.type_override(
        world.rita, world.account.pk, version=current.version, customer_type="loyal", reason="十年老客户"
    )
    assert (
        row.customer_type == "loyal"
        and row.override_reason == "十年老客户"
        and row.overridden_by == world.rita
    )
    audit = AuditEntry.objects.get(entity="keyaccounts.accountimportance", entity_id=world.account.pk)
    assert (audit.old_value, audit.new_value, audit.reason) == ("", "loyal", "十年老客户")
    with pytest.raises(Conflict):
        services.type_override(
            world.rita, world.account.pk, version=current.version, customer_type="", reason="x"
        )
    # the nightly computation leaves the override
    services.compute([world.account.pk], as_of=AS_OF)
    assert AccountImportance.objects.get(pk=world.account.pk).customer_type == "loyal"
    services.type_override(
        world.rita, world.account.pk, version=row.version, customer_type="", reason="规则即可"
    )
    assert AccountImportance.objects.get(pk=world.account.pk).type_override == ""
    with pytest.raises(ValidationFailed):
        services.type_override(
            world.rita, world.account.pk, version=row.version + 1, customer_type="vip", reason="x"
        )


def test_an_override_on_an_account_never_scored_names_version_0(world):
    with pytest.raises(Conflict):
        services.type_override(world.sara, world.sara_account.pk, version=3, customer_type="new", reason="x")
    row = services.type_override(
        world.sara, world.sara_account.pk, version=0, customer_type="new", reason="刚签约"
    )
    assert row.version == 1 and row.customer_type == "new"


def test_the_weights_must_add_to_100_and_only_an_admin_sets_them(world):
    config = ImportanceConfig.objects.get(pk=1)
    weights = {c.code: c.weight for c in selectors.criteria()}
    with pytest.raises(PermissionDenied):
        services.criteria_set(world.mona, version=config.version, weights=weights)
    with pytest.raises(ValidationFailed) as bad:
        services.criteria_set(world.ada, version=config.version, weights={**weights, "sales": 25})
    assert "105" in bad.value.detail
    with pytest.raises(ValidationFailed):
        services.criteria_set(
            world.ada, version=config.version, weights=weights, bands={"sales": ["5", "4", "3", "2"]}
        )
    with pytest.raises(ValidationFailed):
        services.criteria_set(
            world.ada, version=config.version, weights=weights, bands={"profit": ["1", "2", "3", "4"]}
        )
    services.criteria_set(
        world.ada,
        version=config.version,
        weights={**weights, "sales": 25, "profit": 10},
        bands={"share": ["5", "20", "40", "60"]},
    )
    assert ImportanceCriterion.objects.get(code="sales").weight == 25
    assert ImportanceCriterion.objects.get(code="share").bands == ["5", "20", "40", "60"]
    with pytest.raises(Conflict):
        services.criteria_set(world.ada, version=config.version, weights=weights)
    services.compute([world.account.pk], as_of=AS_OF)
    # share 24 % is now a 3: (25×4 + 15×5 + 10×3 + 5×4 + 5×2) / (5 × 60) × 100 = 235 / 300 × 100 = 78.33
    assert ImportanceScore.objects.get(account=world.account, scored_on=AS_OF).score == D("78.33")


def test_the_type_rules_are_configuration(world):
    config = ImportanceConfig.objects.get(pk=1)
    services.rules_set(world.ada, version=config.version, loyal_min_continuity=2)
    services.compute([world.account.pk], as_of=AS_OF)
    # 5.6 years and 2 years in a row: loyal under the changed rule
    assert AccountImportance.objects.get(pk=world.account.pk).auto_type == "loyal"
    with pytest.raises(ValidationFailed):
        services.rules_set(world.ada, version=config.version + 1, profit_min_profit=9)
    with pytest.raises(PermissionDenied):
        services.rules_set(world.rita, version=config.version + 1, profit_min_profit=3)


def test_the_nightly_job_and_the_command_score_every_account(world):
    assert importance_nightly.call() == "2 accounts"
    assert AccountImportance.objects.count() == 2
    out = StringIO()
    call_command("compute_importance", "--day", "2026-09-30", stdout=out)
    assert "2026-09-30: 2 accounts scored" in out.getvalue()
    # a back-dated run keeps the current figures of the later day
    assert AccountImportance.objects.get(pk=world.account.pk).scored_on == AS_OF
