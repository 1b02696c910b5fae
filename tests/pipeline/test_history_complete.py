"""Every change that matters is in the history (issue 11 §1): after any sequence of the services that
change a deal, its last history row says what the deal is (stage, level, probability, amount, close
date, status, owner, team, forecast category); a change inside a stage is an `updated` row, a new owner
a `reassigned` one; stage flows count transitions only; the summaries stay exact; and the migration
fills the rows written before and catches a legacy deal up with one row."""

from __future__ import annotations

import importlib
import random
from datetime import date, timedelta

import pytest
from django.db import connection

from kadence.core.errors import DomainError
from kadence.pipeline import services
from kadence.pipeline.changes import STATE
from kadence.pipeline.models import Opportunity, PipelineTotal, StageChange, StageFlow
from kadence.pipeline.month_ends import reconstruct
from kadence.pipeline.summary import drift
from tests.test_concurrency import _operations
from tests.versions import opp_version


def _last(opp_id: int) -> StageChange:
    return StageChange.objects.filter(opportunity_id=opp_id).order_by("-id").first()


def assert_history_says(opp_id: int) -> None:
    opp, last = Opportunity.objects.get(pk=opp_id), _last(opp_id)
    for mine, theirs in STATE:
        assert getattr(opp, mine) == getattr(last, theirs), (mine, last.kind)


@pytest.mark.django_db
def test_any_sequence_of_changes_is_in_the_history(org):
    rng = random.Random(11)
    operations = _operations(org, rng)
    deals = [
        services.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"history {n}",
            amount="100000",
            expected_close_date=date.today() + timedelta(days=60),
        ).pk
        for n in range(3)
    ]
    seen = set()
    for _step in range(80):
        name, opp_id = rng.choice(sorted(operations)), rng.choice(deals)
        before = StageChange.objects.filter(opportunity_id=opp_id).count()
        try:
            operations[name](opp_id)
        except DomainError:
            assert StageChange.objects.filter(opportunity_id=opp_id).count() == before  # refused: nothing
            continue
        assert_history_says(opp_id)
        seen.add(_last(opp_id).kind)
    assert {"updated", "reassigned", "advanced"} <= seen, seen
    assert drift() == []
    kinds = set(StageFlow.objects.values_list("kind", flat=True))
    assert not kinds & {"updated", "reassigned"}  # stage flows count transitions only
    # the open pipeline rebuilt from the history now is the live one, stage by stage
    rebuilt = {
        stage: (held.count, held.amount)
        for (stage,), per_day in reconstruct([date.today() + timedelta(days=1)]).items()
        for held in per_day.values()
    }
    live = {}
    for row in PipelineTotal.objects.filter(count__gt=0).values("stage_id", "count", "amount"):
        count, amount = live.get(row["stage_id"], (0, 0))
        live[row["stage_id"]] = (count + row["count"], amount + row["amount"])
    assert rebuilt == live


@pytest.mark.django_db
def test_a_level_earned_inside_the_stage_and_an_edit_are_updated_rows(org, no_gates):
    deal = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="edited",
        amount="100000",
        expected_close_date=date.today() + timedelta(days=60),
    )
    rows = StageChange.objects.filter(opportunity=deal).count()
    services.opportunity_update(org.rita, deal.pk, version=opp_version(deal.pk), amount="120000")
    last = _last(deal.pk)
    assert last.kind == "updated" and last.amount == 120000 and last.changed_by == org.rita
    assert StageChange.objects.filter(opportunity=deal).count() == rows + 1
    services.opportunity_update(org.rita, deal.pk, version=opp_version(deal.pk), name="renamed")
    assert StageChange.objects.filter(opportunity=deal).count() == rows + 1  # a name is not history
    services.opportunity_reassign(org.dora, deal.pk, owner_id=org.nick.pk, version=opp_version(deal.pk))
    last = _last(deal.pk)
    assert (last.kind, last.owner, last.team_id) == ("reassigned", org.nick, org.nick.org_unit_id)


@pytest.mark.django_db
def test_the_migration_fills_old_rows_and_catches_a_deal_up(org):
    deal = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="legacy",
        amount="100000",
        expected_close_date=date.today() + timedelta(days=60),
    )
    # as before the migration: rows without owner, team or category, and an amount edited in place
    StageChange.objects.filter(opportunity=deal).update(owner=None, team=None, forecast_category="")
    Opportunity.objects.filter(pk=deal.pk).update(amount=150000)
    migration = importlib.import_module("kadence.pipeline.migrations.0017_fill_history")
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL)
        cursor.execute(migration.CATCH_UP)
    first = StageChange.objects.filter(opportunity=deal).order_by("id").first()
    assert (first.owner, first.team_id) == (org.rita, org.rita.org_unit_id)
    assert first.forecast_category == first.to_level.default_forecast_category
    assert _last(deal.pk).kind == "updated"
    assert_history_says(deal.pk)
    # every other deal of the fixture is caught up too, and only once
    for opp_id in Opportunity.objects.values_list("pk", flat=True):
        assert_history_says(opp_id)
    with connection.cursor() as cursor:
        cursor.execute(migration.CATCH_UP)
        assert cursor.rowcount == 0


def _as_before_0016(deal_id: int, applied) -> None:
    """The history as it stood before owners were recorded: every row filled (by 0017) with the deal's
    owner and team of today, no `reassigned` rows, and 0016 applied at `applied`."""
    from django.db.migrations.recorder import MigrationRecorder

    deal = Opportunity.objects.get(pk=deal_id)
    StageChange.objects.filter(opportunity_id=deal_id, kind="reassigned").delete()
    StageChange.objects.filter(opportunity_id=deal_id).update(owner_id=deal.owner_id, team_id=deal.team_id)
    MigrationRecorder(connection).migration_qs.filter(
        app="pipeline", name="0016_history_of_every_change"
    ).update(applied=applied)


def _run_owners_migration() -> None:
    from django.apps import apps

    migration = importlib.import_module("kadence.pipeline.migrations.0022_owners_from_audit")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    migration.fill(apps, editor)


@pytest.mark.django_db
def test_the_migration_puts_back_past_owners_from_the_audit_trail(org, no_gates):
    from django.utils import timezone

    from kadence.core.models import AuditEntry

    early = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="reassigned last",
        amount="100000",
        expected_close_date=date.today() + timedelta(days=60),
    )
    services.opportunity_reassign(org.dora, early.pk, owner_id=org.nick.pk, version=opp_version(early.pk))
    moved_at = AuditEntry.objects.get(entity="pipeline.opportunity", entity_id=early.pk, field="owner").at
    middle = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="reassigned, then edited",
        amount="100000",
        expected_close_date=date.today() + timedelta(days=60),
    )
    services.opportunity_reassign(org.dora, middle.pk, owner_id=org.nick.pk, version=opp_version(middle.pk))
    services.opportunity_update(org.nick, middle.pk, version=opp_version(middle.pk), amount="130000")
    _as_before_0016(early.pk, timezone.now())
    _as_before_0016(middle.pk, timezone.now())
    untouched = dict(
        StageChange.objects.exclude(opportunity__in=[early, middle]).values_list("pk", "owner_id")
    )

    _run_owners_migration()

    first = StageChange.objects.filter(opportunity=early).order_by("id").first()
    assert (first.owner, first.team_id) == (org.rita, org.rita.org_unit_id)  # whose it was then
    last = _last(early.pk)
    assert (last.kind, last.owner, last.team_id) == ("reassigned", org.nick, org.nick.org_unit_id)
    assert last.changed_at == moved_at and last.changed_by == org.dora
    assert_history_says(early.pk)  # the deal's history ends where the deal is

    rows = list(StageChange.objects.filter(opportunity=middle).order_by("id"))
    assert [r.owner for r in rows] == [org.rita, org.nick]  # the row after the move keeps the new owner
    assert not any(r.kind == "reassigned" for r in rows)  # not slipped between older rows
    assert_history_says(middle.pk)
    assert dict(
        StageChange.objects.exclude(opportunity__in=[early, middle]).values_list("pk", "owner_id")
    ) == (untouched)


@pytest.mark.django_db
def test_the_owners_migration_leaves_rows_written_since_0016(org):
    deal = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="recent",
        amount="100000",
        expected_close_date=date.today() + timedelta(days=60),
    )
    services.opportunity_reassign(org.dora, deal.pk, owner_id=org.nick.pk, version=opp_version(deal.pk))
    before = list(StageChange.objects.filter(opportunity=deal).order_by("id").values_list("kind", "owner_id"))
    _run_owners_migration()  # 0016 was applied before all of this (the test database's migrate)
    after = list(StageChange.objects.filter(opportunity=deal).order_by("id").values_list("kind", "owner_id"))
    assert after == before == [("created", org.rita.pk), ("reassigned", org.nick.pk)]
