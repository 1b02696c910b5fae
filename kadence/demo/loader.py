"""The two use cases: `load_demo_company` (the `load_demo` and `demo` commands) and
`seed_opportunities` (the `seed` command).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kadence.accounts.models import Account
from kadence.activities.deal_teams import sync_deal_teams
from kadence.core.models import OrgUnit, User
from kadence.demo.accounts import generate_accounts, region_codes, settle_accounts
from kadence.demo.catalogues import COMPANY_CODE, DEMO_ACCOUNTS, DEMO_OPPORTUNITIES
from kadence.demo.commission import load_demo_commission
from kadence.demo.deal_control import (
    DealControlGenerator,
    contact_infos,
    load_control_catalog,
    recheck_open,
    write_control,
)
from kadence.demo.imports import load_demo_imports
from kadence.demo.keyaccounts import load_demo_keyaccounts
from kadence.demo.performance import load_demo_performance
from kadence.demo.planning import load_planning
from kadence.demo.rhythm_cadence import load_demo_cadence
from kadence.demo.rhythm_pack import load_demo_rhythm_pack
from kadence.demo.rhythm_plans import load_demo_plans
from kadence.demo.sales_force import grow_sales_force, reps_for
from kadence.demo.simulator import ActivityGenerator, OpportunitySimulator, generate_opportunities
from kadence.demo.world import OPEN, AccountRef, create_catalog, create_org, load_catalog, load_org, stream
from kadence.demo.writer import (
    BASE_TABLES,
    CONTROL_TABLES,
    BulkWriter,
    write_accounts,
    write_activities,
    write_opportunity,
)
from kadence.insights.services.stall_summary import rebuild as rebuild_stall_summaries
from kadence.pipeline.models import Opportunity
from kadence.pipeline.summary import rebuild


def rebuild_summaries(stdout: Callable[[str], Any] | None = None) -> None:
    """Rows written in bulk bypass the services: recompute the report summaries and the deals' stall
    summaries from them, and give each activity its deal's team (Activity.deal_team)."""
    sync_deal_teams()
    totals, flows = rebuild()
    stalls = rebuild_stall_summaries()
    if stdout:
        stdout(
            f"Summaries rebuilt: {totals:,} pipeline totals, {flows:,} stage flows, {stalls:,} stall summaries."
        )


# --- the two use cases ----------------------------------------------------------------------------------


@transaction.atomic
def load_demo_company(
    seed: int = 42,
    today: date | None = None,
    *,
    accounts: int = DEMO_ACCOUNTS,
    opportunities: int = DEMO_OPPORTUNITIES,
    deal_control: bool = True,
    stdout: Callable[[str], Any] | None = None,
) -> dict[str, int]:
    """Create the demo company in the current database (org, users, catalogue, accounts, deals,
    history, activities and, with `deal_control`, each deal's evidence, approvals, assessments, buying
    centre, milestones, tasks and expenses) in one transaction; returns the number of rows written per
    table. The open deals are then rechecked against their evidence (level, staging flag)."""
    today = today or timezone.localdate()
    create_org(stdout)
    create_catalog()
    catalog, org = load_catalog(), load_org()
    drafts = generate_accounts(stream(seed, "accounts"), accounts, org, region_codes())

    # Accounts get their ids first (opportunities point at them), but are written after the deals are
    # simulated, so that their status and buying power can follow the deals.
    writer = BulkWriter(BASE_TABLES + (CONTROL_TABLES if deal_control else []))
    first_account = writer.next_id[Account]
    refs = [
        AccountRef(first_account + i, d.name, d.industry, d.size, d.owner_id, d.region_id)
        for i, d in enumerate(drafts)
    ]
    simulator = OpportunitySimulator(catalog, org, refs, today, seed)
    lives = list(generate_opportunities(simulator, opportunities, seed))
    drafts = settle_accounts(drafts, lives, refs, today, stream(seed, "settle"))
    refs = write_accounts(writer, drafts, catalog, today)  # allocates the same ids, in the same order
    by_id = {ref.id: ref for ref in refs}
    activities = ActivityGenerator(simulator, seed)
    control = (
        DealControlGenerator(simulator, load_control_catalog(org), contact_infos(drafts, refs), seed)
        if deal_control
        else None
    )
    open_ids = []
    for life in lives:
        if control is not None:
            life, draft = control.apply(life)
        opp_id = writer.ids(Opportunity)
        write_opportunity(
            writer, life, opp_id, activities.for_opportunity(life, opp_id, by_id[life.opportunity[1]])
        )
        if control is not None:
            write_control(writer, opp_id, draft)
            if life.opportunity[12] == OPEN:
                open_ids.append(opp_id)
    for ref in refs:
        inside = org.inside_by_region.get(ref.region_id)
        write_activities(writer, activities.for_account(ref, ref.owner_id, inside[0].id if inside else None))
    counts = writer.close()
    if control is not None:
        recheck_open(open_ids, stdout)
    counts.update(load_planning(org, today, seed, stdout))
    rebuild_summaries(stdout)
    counts["transfer_import_contacts"] = load_demo_imports(seed)
    counts["rhythm_packaction"] = load_demo_rhythm_pack()
    counts["rhythm_cadence"] = load_demo_cadence(seed, today)
    counts["rhythm_weeklyplan"] = load_demo_plans(seed, today)
    counts.update(load_demo_performance(today))
    counts.update(load_demo_commission(today))
    counts.update(load_demo_keyaccounts(today, seed))
    counts["core_user"] = User.objects.count()
    counts["core_orgunit"] = OrgUnit.objects.count()
    return counts


def seed_opportunities(
    count: int,
    *,
    seed: int = 42,
    today: date | None = None,
    batch_size: int = 20_000,
    accounts: int | None = None,
    activities: bool = True,
    deal_control: bool = False,
    reps: int | None = None,
    progress: Callable[[int], Any] | None = None,
    stdout: Callable[[str], Any] | None = None,
) -> dict[str, int]:
    """Add `count` simulated opportunities (with history, product lines, competitors, deal teams and,
    with `activities`, one activity each) and `accounts` new accounts (default count / 20) with
    contacts, for benchmarks. With `deal_control`, each deal also gets its evidence, approvals,
    assessments, buying centre, milestones, tasks and expenses and the open ones are rechecked (about
    25 more rows per deal: meant for up to some thousands of deals). Creates the demo org, users and
    catalogue first when the database has no company, then grows the sales force to `reps` reps in teams
    (default: one per DEALS_PER_REP deals, a realistic book; 0 keeps the org as it is, the stress shape
    of every deal on the demo's 24 reps). One transaction; `progress(n)` is called as
    deals are written."""
    today = today or timezone.localdate()
    with transaction.atomic():
        if not OrgUnit.objects.filter(code=COMPANY_CODE).exists():
            create_org(stdout)
        create_catalog()
        if reps != 0:
            grow_sales_force(reps_for(count) if reps is None else reps, seed=seed, stdout=stdout)
        catalog, org = load_catalog(), load_org()
        if not org.reps:
            raise RuntimeError("There are no sales reps in teams to own the opportunities.")
        n_accounts = accounts if accounts is not None else max(1, count // 20)
        writer = BulkWriter(
            BASE_TABLES + (CONTROL_TABLES if deal_control else []),
            batch_size=batch_size,
            defer_constraints=True,
        )
        drafts = generate_accounts(stream(seed, "seed-accounts"), n_accounts, org, region_codes())
        refs = write_accounts(writer, drafts, catalog, today)
        simulator = OpportunitySimulator(catalog, org, refs, today, seed)
        generator = ActivityGenerator(simulator, seed) if activities else None
        control = (
            DealControlGenerator(simulator, load_control_catalog(org), contact_infos(drafts, refs), seed)
            if deal_control
            else None
        )
        open_ids = []
        by_id = {ref.id: ref for ref in refs}
        done = 0
        for life in generate_opportunities(simulator, count, seed):
            if control is not None:
                life, draft = control.apply(life)
            opp_id = writer.ids(Opportunity)
            logged = (
                [generator.one_for_opportunity(life, opp_id, by_id[life.opportunity[1]])] if generator else []
            )
            write_opportunity(writer, life, opp_id, logged)
            if control is not None:
                write_control(writer, opp_id, draft)
                if life.opportunity[12] == OPEN:
                    open_ids.append(opp_id)
            done += 1
            if progress and done % 1000 == 0:
                progress(1000)
        if progress and done % 1000:
            progress(done % 1000)
        counts = writer.close()
        if control is not None:
            recheck_open(open_ids, stdout)
        rebuild_summaries(stdout)
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner of the benchmarks that follow guesses badly; and, outside a
        # transaction, VACUUM: it sets the visibility map, without which no index-only scan happens
        # until autovacuum visits the tables (the reports' covering indexes would not be used, and a
        # benchmark would measure a database no running system has).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in writer.models:
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    return counts
