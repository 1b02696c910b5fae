"""The demo company (`load_demo`) and the benchmark seed (`seed`): size, determinism, a stage history
that agrees with every opportunity's status, stage and level, and deal control (evidence, approvals,
assessments, buying centre, milestones, tasks, expenses) that agrees with the history."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import Lag
from django.utils import timezone

from kadence.accounts import defaults as account_defaults
from kadence.accounts.models import Account, Industry
from kadence.activities.models import Activity
from kadence.activities.selectors import effective_visit_rule
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import resolve_scope
from kadence.deals.models import (
    BidAssessment,
    BuyingCentreMember,
    C139Answer,
    C139Assessment,
    ControlPolicy,
    Evidence,
    Expense,
    ExpenseBudget,
    GateApproval,
    Milestone,
    OpportunityTask,
)
from kadence.deals.selectors.assessments import bid_rules, c139_rules
from kadence.deals.selectors.gates import deal_facts, template_gates
from kadence.demo import accounts as demo_accounts
from kadence.demo import catalogues, deal_control, world, writer
from kadence.demo import simulator as demo_simulator
from kadence.domain import bid as bid_domain
from kadence.domain import c139 as c139_domain
from kadence.domain import gates as domain_gates
from kadence.domain.c139 import C139Score
from kadence.domain.periods import period_containing
from kadence.domain.quotas import is_effective
from kadence.insights.selectors.ideal import capacity_report, default_template, ideal_report
from kadence.insights.selectors.probabilistic import probabilistic_forecast
from kadence.pipeline.changes import STATE
from kadence.pipeline.ladder import stage_entry_levels
from kadence.pipeline.models import Opportunity, OpportunityTeamMember, Stage, StageChange
from kadence.pipeline.services import opportunity_create
from kadence.pipeline.templates_data import methodology
from kadence.planning.models import Calibration, ForecastSnapshot, ForecastSubmission, OrderForecast, Target
from kadence.planning.selectors.calibration import calibration_report
from kadence.planning.selectors.forecast import forecast_accuracy, forecast_report, order_forecast_report
from kadence.planning.selectors.targets import period_of

TODAY = date(2025, 6, 30)
MIDNIGHT = timezone.make_aware(datetime.combine(TODAY, time.min))


def load(seed: int = 7) -> str:
    out = StringIO()
    call_command("load_demo", seed=seed, today=TODAY, stdout=out)
    return out.getvalue()


def assert_history_consistent(today: date = TODAY) -> None:
    """The invariants every generated data set must satisfy, checked in SQL."""
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    opps = Opportunity.objects.all()
    changes = StageChange.objects.all()
    by_status = dict(opps.values_list("status").annotate(n=Count("id")))
    assert by_status.get("open", 0) > 0 and by_status.get("won", 0) > 0 and by_status.get("lost", 0) > 0

    # Exactly one "created" row per opp, and it comes first.
    assert changes.filter(kind="created").count() == opps.count()
    assert (
        not changes.filter(kind="created")
        .values("opportunity")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )
    ordered = StageChange.objects.filter(opportunity=OuterRef("pk")).order_by("changed_at", "id")
    first_kind = opps.annotate(k=Subquery(ordered.values("kind")[:1]))
    assert not first_kind.exclude(k="created").exists()
    assert not changes.filter(kind="created").exclude(from_stage__isnull=True).exists()
    assert not changes.filter(kind="created", to_stage__order__gt=1).exists()

    # Timestamps strictly increase per opp (in id order) and are all before today.
    previous = changes.annotate(
        prev=Window(Lag("changed_at"), partition_by=[F("opportunity_id")], order_by=F("id").asc())
    )
    assert not previous.filter(prev__gte=F("changed_at")).exists()
    assert not changes.filter(changed_at__gte=midnight).exists()
    assert not opps.filter(
        Q(created_at__gte=midnight) | Q(updated_at__gte=midnight) | Q(closed_on__gte=today)
    ).exists()
    assert not opps.filter(updated_at__lt=F("stage_entered_at")).exists()

    # The last row says where the opp is.
    last = StageChange.objects.filter(opportunity=OuterRef("pk")).order_by("-changed_at", "-id")
    tail = opps.annotate(
        last_kind=Subquery(last.values("kind")[:1]),
        last_to=Subquery(last.values("to_stage")[:1]),
        last_at=Subquery(last.values("changed_at")[:1]),
        last_status=Subquery(last.values("status")[:1]),
    )
    assert not tail.exclude(last_to=F("stage_id")).exists()
    assert not tail.exclude(last_status=F("status")).exists()
    # ... and everything else the deal is (issue 11 §1: every change that matters is in the history)
    for mine, theirs in STATE:
        said = opps.annotate(said=Subquery(last.values(theirs)[:1]))
        assert not said.exclude(said=F(mine)).exists(), mine
    assert (
        not tail.filter(status="open")
        .exclude(last_kind__in=["created", "advanced", "moved_back", "updated"])
        .exists()
    )
    entry = last.exclude(kind="updated")  # the row by which the deal entered its stage
    entered = opps.annotate(entered=Subquery(entry.values("changed_at")[:1]))
    assert not entered.filter(status="open").exclude(entered=F("stage_entered_at")).exists()
    assert not changes.filter(kind="updated").exclude(from_stage=F("to_stage")).exists()
    assert changes.filter(kind="updated").exists()  # a re-planned overdue close date
    assert not tail.filter(status="won").exclude(last_kind="won").exists()
    assert not tail.filter(status="lost").exclude(last_kind="lost").exists()
    assert not changes.filter(kind="lost").exclude(from_stage=F("to_stage")).exists()
    assert not changes.filter(kind__in=["won", "lost"]).exclude(status=F("kind")).exists()

    # Status, stage, level, probability and forecast category agree with the ladder. The level is the
    # one a deal holds while it works in its stage (the default level of the stage before it, §1d), the
    # stage's own once its exit criteria are met (a deal moved back to a stage it completed), or lower
    # when the evidence verifies less (an over-staged deal).
    open_ = opps.filter(status="open")
    entry = stage_entry_levels(Stage.objects.select_related("default_level"))
    for stage_id, own, level_id, flag, order, category in open_.values_list(
        "stage_id", "stage__default_level_id", "level_id", "staging_flag", "level__order", "forecast_category"
    ):
        assert level_id in (entry[stage_id].pk, own) or (flag == "over" and order < entry[stage_id].order)
        assert category == entry[stage_id].default_forecast_category
    assert not open_.exclude(probability=F("level__probability")).exists()
    assert not open_.filter(Q(stage__is_won=True) | Q(closed_on__isnull=False)).exists()
    won = opps.filter(status="won")
    assert not won.exclude(
        level__is_won=True,
        probability=100,
        forecast_category="booked",
        stage__is_won=True,
        closed_on__isnull=False,
    ).exists()
    lost = opps.filter(status="lost")
    assert not lost.exclude(
        level__is_lost=True,
        probability=0,
        forecast_category="omitted",
        closed_on__isnull=False,
        loss_reason__isnull=False,
    ).exists()
    assert not changes.exclude(to_level__probability=F("probability")).exists()
    assert not opps.exclude(stage__template=F("template")).exists()

    # Teams follow owners; nobody is on the deal team of their own deal.
    assert not opps.exclude(team=F("owner__org_unit")).exists()
    assert not Account.objects.exclude(team=F("owner__org_unit")).exists()
    assert not Account.objects.exclude(region=F("owner__org_unit__parent")).exists()
    assert not Activity.objects.exclude(team=F("owner__org_unit")).exists()
    assert not OpportunityTeamMember.objects.filter(user=F("opportunity__owner")).exists()
    assert not opps.filter(Q(amount__lt=50_000) | Q(amount__gt=20_000_000)).exists()


@pytest.mark.django_db
def test_load_demo_builds_the_company_once():
    out = load()
    assert "pipeline_opportunity" in out
    company = OrgUnit.objects.get(code="company")
    regions = OrgUnit.objects.filter(kind="region")
    assert regions.count() >= 3 and all(r.parent_id == company.pk for r in regions)
    for team in OrgUnit.objects.filter(kind="team").select_related("parent"):
        assert team.path == f"/{company.pk}/{team.parent_id}/{team.pk}/"
        assert team.parent.path == f"/{company.pk}/{team.parent_id}/"
        assert User.objects.filter(role="rep", org_unit=team).count() >= 2
        assert User.objects.filter(role="manager", org_unit=team, managed_units=team).count() == 1
    assert User.objects.filter(role="rep").count() >= 12
    assert User.objects.filter(role="director", managed_units__kind="region").count() == regions.count()
    assert User.objects.filter(role="inside").count() == regions.count()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.role == "admin" and admin.org_unit == company
    assert admin.check_password(catalogues.DEMO_PASSWORD)
    logins = world.demo_logins()
    assert set(User.objects.values_list("username", "role", "display_name")) == set(logins)

    assert Account.objects.count() >= 300
    assert Account.objects.order_by().values("name").distinct().count() == Account.objects.count()
    assert set(Account.objects.values_list("industry__code", flat=True)) == set(
        Industry.objects.values_list("code", flat=True)
    )
    assert Account.objects.filter(buying_power__lt=200_000).count() == 0
    assert not Account.objects.annotate(n=Count("contacts")).filter(Q(n__lt=2) | Q(n__gt=6)).exists()
    assert Opportunity.objects.count() >= 1500
    assert Opportunity.objects.filter(template__code="tianlong8").count() > Opportunity.objects.count() // 2
    assert Opportunity.objects.order_by().values("template").distinct().count() == 4
    assert OpportunityTeamMember.objects.exclude(user__org_unit=F("opportunity__team")).exists()
    assert 8_000 <= Activity.objects.count() <= 20_000
    assert Activity.objects.filter(done=False, date__gt=TODAY, date__lte=TODAY + timedelta(days=14)).exists()
    assert not Activity.objects.filter(done=True, date__gte=TODAY).exists()
    assert Activity.objects.filter(kind="visit", is_effective=True).exists()
    # issue 13: the stored flags are what the effective-visit rule gives for kind, done and result
    rule = effective_visit_rule()
    for kind, done, result, effective in Activity.objects.values_list(
        "kind", "done", "result", "is_effective"
    ).distinct():
        assert effective == is_effective(rule, kind=kind, done=done, result=result), (kind, done, result)
    assert Activity.objects.filter(kind="call_out", done=True).exclude(result="").exists()  # effective calls
    assert StageChange.objects.filter(kind="moved_back").exists()
    assert Opportunity.objects.filter(status="open", expected_close_date__lt=TODAY).exists()

    # A second run leaves the database alone.
    before = Opportunity.objects.count()
    assert "already exists" in load()
    assert Opportunity.objects.count() == before


def assert_deal_control_consistent() -> None:
    """Deal control agrees with the stage history: every stage a deal advanced out of has its exit
    criteria met (but the one a manager overrode), the staging flags say where it does not, and the
    rows are plausible (owner's evidence, manager's approvals, growing C139, dates in the past)."""
    opps = {o.pk: o for o in Opportunity.objects.select_related("stage", "level", "stage__default_level")}
    facts = deal_facts(opps)
    structures = {t: template_gates(t) for t in {o.template_id for o in opps.values()}}
    passed: dict[int, set[int]] = {}
    for opp_id, from_stage in StageChange.objects.filter(kind__in=["advanced", "won"]).values_list(
        "opportunity_id", "from_stage_id"
    ):
        passed.setdefault(opp_id, set()).add(from_stage)
    overridden = {
        (opp_id, c["criterion_id"])
        for opp_id, criteria in StageChange.objects.filter(overridden=True).values_list(
            "opportunity_id", "overridden_criteria"
        )
        for c in criteria
    }
    for opp in opps.values():
        structure = structures[opp.template_id]
        for stage in structure.stages:
            if stage.pk not in passed.get(opp.pk, ()):
                continue
            gate = next(g for g in structure.gates if g.stage_id == stage.pk)
            for criterion in gate.criteria:
                met = domain_gates.evaluate(criterion, facts[opp.pk]).met
                assert met or (opp.pk, criterion.id) in overridden, (opp.pk, stage.code, criterion.code)
        if opp.status == "open":
            verified = domain_gates.verified_stage(structure.gates, opp.stage_id, facts[opp.pk])
            if opp.staging_flag != "over":
                assert verified.stage_id == opp.stage_id, opp.pk
            c139 = facts[opp.pk].c139
            assert opp.c139_result == (str(c139) if c139 else "")
            if opp.staging_flag == "" and opp.level.order >= 4:
                assert c139 is not None and c139.at_least(C139Score(8, 1, 0)), opp.pk

    open_ = Opportunity.objects.filter(status="open")
    flags = dict(open_.values_list("staging_flag").annotate(n=Count("id")))
    beyond = open_.filter(stage__order__gte=3).count()
    assert 0.04 * beyond <= flags.get("over", 0) <= 0.2 * beyond, (flags, beyond)  # a visible minority
    assert 1 <= flags.get("under", 0) <= 0.1 * open_.count()
    assert flags.get("", 0) >= 0.8 * open_.count()
    # Every over-staged deal shows why: a manager's override, with a reason and the criteria skipped.
    assert not open_.filter(staging_flag="over").exclude(stage_changes__overridden=True).exists()
    for change in StageChange.objects.filter(overridden=True).select_related("opportunity"):
        assert change.reason.strip() and change.changed_by_id != change.opportunity.owner_id
        assert change.overridden_criteria and all(
            {"stage_id", "stage", "criterion_id", "code", "kind", "name"} <= set(c)
            for c in change.overridden_criteria
        )

    # Who and when.
    assert not GateApproval.objects.filter(approved_by=F("opportunity__owner")).exists()
    assert not GateApproval.objects.filter(approved_by__isnull=True).exists()
    assert not GateApproval.objects.exclude(approved_by__role="manager").exists()
    assert not Evidence.objects.exclude(added_by=F("opportunity__owner")).exists()
    assert not Evidence.objects.exclude(kind__in=["note", "link"]).exists()
    assert not Evidence.objects.filter(criterion__isnull=True).exists()
    assert not Evidence.objects.exclude(stage=F("criterion__stage")).exists()
    assert not Evidence.objects.filter(added_at__lt=F("opportunity__created_at")).exists()
    assert (
        Evidence.objects.filter(title__regex=r"^\S+ \d{4}-\d{2}-\d{2}$").count() == Evidence.objects.count()
    )
    for model, column in (
        (Evidence, "added_at"),
        (GateApproval, "approved_at"),
        (C139Assessment, "assessed_at"),
        (BidAssessment, "assessed_at"),
        (BuyingCentreMember, "added_at"),
        (OpportunityTask, "done_at"),
        (Expense, "logged_at"),
    ):
        assert not model.objects.filter(**{f"{column}__gte": MIDNIGHT}).exists(), model
    assert not OpportunityTask.objects.filter(done_at__lt=F("created_at")).exists()
    assert not BuyingCentreMember.objects.exclude(contact__account=F("opportunity__account")).exists()
    assert not Milestone.objects.filter(actual_on__gte=TODAY).exists()

    # C139 results grow along a deal's stages; items confirmed carry who and when.
    previous: dict[int, tuple[int, int, int]] = {}
    for opp_id, clear, first, win in C139Assessment.objects.order_by(
        "opportunity_id", "assessed_at", "id"
    ).values_list("opportunity_id", "clear", "first", "win"):
        before = previous.get(opp_id, (0, 0, 0))
        assert clear >= before[0] and first >= before[1] and win >= before[2], opp_id
        previous[opp_id] = (clear, first, win)
    assert not C139Answer.objects.filter(status="confirmed", confirmed_on__isnull=True).exists()
    assert not C139Assessment.objects.annotate(n=Count("answers")).exclude(n=13).exists()

    # Open deals: milestones planned ahead and actual behind, open tasks (some overdue) at the current stage.
    ahead = Milestone.objects.filter(
        opportunity__status="open", stage__order__gt=F("opportunity__stage__order")
    )
    assert (
        ahead.exists() and not ahead.filter(Q(actual_on__isnull=False) | Q(planned_on__isnull=True)).exists()
    )
    assert Milestone.objects.filter(opportunity__status="open", actual_on__isnull=False).exists()
    assert Milestone.objects.filter(actual_on__gt=F("planned_on")).exists()  # some slippage
    current_tasks = OpportunityTask.objects.filter(opportunity__status="open", stage=F("opportunity__stage"))
    assert current_tasks.filter(done_at__isnull=True, due_on__lt=TODAY).exists()
    assert current_tasks.filter(done_at__isnull=False).exists()
    assert not OpportunityTask.objects.filter(done_at__isnull=True).exclude(done_by__isnull=True).exists()

    # Buying centre: required roles covered on most deals far along; a few high-influence opponents.
    assert BuyingCentreMember.objects.filter(roles__icontains="coach").exists()
    assert BuyingCentreMember.objects.filter(
        opportunity__status="open", influence="high", attitude="oppose"
    ).exists()
    assert (
        BidAssessment.objects.filter(outcome="pursue").exists()
        and BidAssessment.objects.filter(outcome="qualify").exists()
    )

    # Expenses: budgets on about 70 % of the deals; about 10 % of the open ones at 80 % or more, a few over.
    budgets = dict(
        ExpenseBudget.objects.values("opportunity").annotate(s=Sum("amount")).values_list("opportunity", "s")
    )
    spent = dict(
        Expense.objects.values("opportunity").annotate(s=Sum("amount")).values_list("opportunity", "s")
    )
    assert 0.6 * len(opps) <= len(budgets) <= 0.8 * len(opps)
    open_ids = [pk for pk, o in opps.items() if o.status == "open"]
    use = [spent.get(pk, Decimal(0)) / budgets[pk] for pk in open_ids if pk in budgets]
    assert 0.04 * len(open_ids) <= sum(1 for u in use if u >= Decimal("0.8")) <= 0.2 * len(open_ids)
    assert 1 <= sum(1 for u in use if u >= 1) <= 0.08 * len(open_ids)
    assert not Expense.objects.filter(amount__lte=0).exists()


@pytest.mark.django_db
def test_demo_history_and_deal_control_are_consistent_with_every_deal():
    out = load(seed=11)
    assert "against their evidence: 0 changed." in out  # the gate services agree with what was generated
    assert_history_consistent()
    for model in (
        Evidence,
        GateApproval,
        C139Assessment,
        C139Answer,
        BidAssessment,
        BuyingCentreMember,
        Milestone,
        OpportunityTask,
        ExpenseBudget,
        Expense,
    ):
        assert model.objects.exists(), model
    assert_deal_control_consistent()


def synthetic_world() -> tuple[world.Catalog, world.Org, list[world.AccountRef]]:
    """A catalogue built from the shipped methodology with made-up ids: no database needed."""
    ladder = {
        code: (i, Decimal(p), cat)
        for i, (code, _s, _zh, _en, _o, p, _w, _l, cat, *_rest) in enumerate(methodology.LADDER, start=1)
    }
    templates, stage_id = [], 100
    for t_id, spec in enumerate(methodology.TEMPLATES, start=1):
        rows = []
        for order, (_code, zh, en, _bzh, _ben, level, days, is_won, _criteria) in enumerate(
            spec["stages"], start=1
        ):
            stage_id += 1
            rows.append(
                (
                    world.StageSpec(
                        stage_id,
                        order,
                        zh,
                        en,
                        ladder[level][0],
                        ladder[level][1],
                        ladder[level][2],
                        days,
                        0.0,
                    ),
                    is_won,
                )
            )
        open_rows = [s for s, won in rows if not won]
        open_rows = [
            s.__class__(**{**s.__dict__, "drop": world.drop_chance(i, len(open_rows))})
            for i, s in enumerate(open_rows)
        ]
        won_row = next((s for s, won in rows if won), None)
        templates.append(
            world.TemplateSpec(
                t_id, spec["code"], catalogues.TEMPLATE_WEIGHTS[spec["code"]], tuple(open_rows), won_row
            )
        )
    catalog = world.Catalog(
        templates=tuple(templates),
        won_level=(ladder["WON"][0], ladder["WON"][1]),
        lost_level=(ladder["LOST"][0], ladder["LOST"][1]),
        loss_reasons=tuple(
            (i, code, zh, 10) for i, (code, zh, _en) in enumerate(methodology.LOSS_REASONS, start=1)
        ),
        product_lines=tuple((i, row[0]) for i, row in enumerate(catalogues.PRODUCT_LINES, start=1)),
        competitors=tuple(enumerate(catalogues.COMPETITORS, start=1)),
        deal_roles={code: i for i, (code, _zh, _en) in enumerate(methodology.DEAL_ROLES, start=1)},
        industries={code: i for i, (code, _zh, _en) in enumerate(account_defaults.INDUSTRIES, start=1)},
    )
    reps = [world.Seller(1000 + i, "rep", 10 + i // 3, 1 + i // 6) for i in range(12)]
    managers = {10 + t: [world.Seller(2000 + t, "manager", 10 + t, 1 + t // 2)] for t in range(4)}
    org = world.Org(reps, managers, {1: [world.Seller(3001, "inside", 10, 1)]})
    drafts = demo_accounts.generate_accounts(world.stream(5, "accounts"), 60, org, {1: "north", 2: "east"})
    accounts = [
        world.AccountRef(i, d.name, d.industry, d.size, d.owner_id, d.region_id)
        for i, d in enumerate(drafts, start=1)
    ]
    return catalog, org, accounts


def test_the_generator_is_deterministic():
    def run(seed: int) -> list:
        catalog, org, accounts = synthetic_world()
        simulator = demo_simulator.OpportunitySimulator(catalog, org, accounts, TODAY, seed)
        return list(demo_simulator.generate_opportunities(simulator, 400, seed))

    first, again, other = run(3), run(3), run(4)
    assert first == again
    assert first != other
    assert {life.opportunity[12] for life in first} == {"open", "won", "lost"}
    for life in first:
        times = [row[14] for row in life.history]
        assert times == sorted(times) and len(set(times)) == len(times) and times[-1] < MIDNIGHT


def synthetic_control(catalog: world.Catalog) -> deal_control.ControlCatalog:
    """The shipped exit criteria on the synthetic stages (same order of creation), without stage tasks."""
    stage_ids = iter(
        s.id for t in catalog.templates for s in (*t.open_stages, *([t.won_stage] if t.won_stage else []))
    )
    criteria, criterion_id = {}, 0
    for spec in methodology.TEMPLATES:
        for _code, _zh, _en, _bzh, _ben, _level, _days, _won, rows in spec["stages"]:
            stage_id = next(stage_ids)
            specs = []
            for code, kind, zh, en, config in rows:
                criterion_id += 1
                specs.append(deal_control.CriterionSpec(criterion_id, stage_id, code, kind, config, zh, en))
            criteria[stage_id] = tuple(specs)
    ladder = {code: i for i, (code, *_rest) in enumerate(methodology.LADDER, start=1)}
    orders = {i: row[4] for i, row in enumerate(methodology.LADDER, start=1)}
    managers = {10 + t: 2000 + t for t in range(4)}
    return deal_control.ControlCatalog(
        criteria=criteria,
        tasks=deal_control.task_specs(criteria, {}),
        level_order=orders,
        developed_order=orders[ladder["D"]],
        contacted_order=orders[ladder["C"]],
        expense_categories=((1, "travel"), (2, "entertainment"), (3, "bidding")),
        approvers=managers,
        **deal_control.policy_rules(ControlPolicy()),
    )


def test_deal_control_is_deterministic_and_follows_the_history():
    def run(seed: int) -> list:
        catalog, org, accounts = synthetic_world()
        drafts = demo_accounts.generate_accounts(
            world.stream(5, "accounts"), 60, org, {1: "north", 2: "east"}
        )
        contact_id = iter(range(1, 10_000))
        refs = [
            world.AccountRef(
                a.id,
                a.name,
                a.industry,
                a.size,
                a.owner_id,
                a.region_id,
                tuple((next(contact_id), c.name, c.title) for c in d.contacts),
            )
            for a, d in zip(accounts, drafts, strict=True)
        ]
        simulator = demo_simulator.OpportunitySimulator(catalog, org, refs, TODAY, seed)
        generator = deal_control.DealControlGenerator(
            simulator, synthetic_control(catalog), deal_control.contact_infos(drafts, refs), seed
        )
        return [generator.apply(life) for life in demo_simulator.generate_opportunities(simulator, 300, seed)]

    first, again, other = run(3), run(3), run(4)
    assert first == again
    assert first != other
    flags = [draft.flag for life, draft in first if life.opportunity[12] == "open"]
    assert "over" in flags and flags.count("") > len(flags) * 0.7
    for life, draft in first:
        owner = life.opportunity[2]
        assert all(row[11] == owner for row in draft.evidence)
        assert all(row[1] != owner for row in draft.approvals)
        overrides = [row for row in life.history if row[16]]
        assert (draft.flag == "over") == bool(overrides)
        for row in overrides:
            assert row[15] and row[13] != owner and row[19]
        assert life.opportunity[22] == (draft.assessments[-1][0][6] if draft.assessments else "")
        times = [row[0][1] for row in draft.assessments]
        assert times == sorted(times) and all(t < MIDNIGHT for t in times)


def test_writer_columns_cover_every_model_field():
    for model, fields in writer.TABLE_FIELDS.items():
        assert set(fields) == {f.attname for f in model._meta.concrete_fields}, model


@pytest.mark.django_db
def test_seed_builds_org_and_consistent_deals_on_an_empty_database():
    out = StringIO()
    call_command("seed", opportunities=2000, today=TODAY, batch=700, stdout=out, stderr=StringIO())
    assert "Seeded 2,000 opportunities" in out.getvalue()
    assert OrgUnit.objects.filter(code="company").exists()
    assert Opportunity.objects.count() == 2000
    assert Account.objects.count() == 100
    assert Activity.objects.count() == 2000
    on_deals = Activity.objects.filter(opportunity__isnull=False)
    assert on_deals.exists() and not on_deals.exclude(deal_team_id=F("opportunity__team_id")).exists()
    assert 3 <= StageChange.objects.count() / 2000 <= 5
    assert OpportunityTeamMember.objects.exists()
    assert_history_consistent()
    assert (
        Evidence.objects.exists() and C139Assessment.objects.exists()
    )  # deal control is on up to 5,000 deals
    assert (
        not Opportunity.objects.filter(status="open", staging_flag="over")
        .exclude(stage_changes__overridden=True)
        .exists()
    )

    # Sequences continue after the seeded ids: the services can still create rows.
    rep = User.objects.get(username="rep.north1a")
    account = Account.objects.filter(owner=rep).first()
    opp = opportunity_create(
        rep,
        account_id=account.pk,
        name="新项目",
        amount="100000",
        expected_close_date=TODAY + timedelta(days=60),
    )
    assert opp.pk > 2000 and opp.stage_changes.count() == 1


@pytest.mark.django_db
def test_seed_without_deal_control_writes_no_deal_control_rows():
    call_command(
        "seed", opportunities=300, today=TODAY, deal_control=False, stdout=StringIO(), stderr=StringIO()
    )
    assert Opportunity.objects.count() == 300
    for model in (
        Evidence,
        C139Assessment,
        BuyingCentreMember,
        Milestone,
        OpportunityTask,
        ExpenseBudget,
        Expense,
    ):
        assert not model.objects.exists(), model
    assert_history_consistent()


# --- the demo as a newcomer finds it: loaded for today, as `make demo` does ---------------------------------


@pytest.fixture(scope="module")
def demo_today(django_db_setup, django_db_blocker):
    """The demo company loaded once for this module, for the real today (the pages read
    `timezone.localdate()`), in a transaction rolled back at the end so other modules start empty."""

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            call_command("load_demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.django_db
def test_every_demo_assessment_stores_what_the_domain_rule_gives_for_its_answers(demo_today):
    """A stored C139 result, tier counts, "against", rule and band are what kadence.domain.c139 gives for
    the assessment's answers (under the policy's rules); a stored bid suggestion is what
    kadence.domain.bid suggests for its answers and signs."""

    policy = ControlPolicy.current()
    rules = c139_rules(policy)
    answers: dict[int, dict[str, str]] = {}
    for assessment_id, item, status in C139Answer.objects.values_list("assessment_id", "item", "status"):
        answers.setdefault(assessment_id, {})[item] = status
    wrong = []
    assessments = list(
        C139Assessment.objects.values_list(
            "id",
            "clear",
            "first",
            "win",
            "win_against",
            "result",
            "meets_rule",
            "band",
            "band_low",
            "band_high",
        )
    )
    assert len(assessments) > 1000
    for pk, *stored in assessments:
        score = c139_domain.score(answers[pk])
        found = c139_domain.band(score, rules)
        expected = [
            score.clear,
            score.first,
            score.win,
            score.win_against,
            str(score),
            score.at_least(rules.rule),
            found.code,
            found.low,
            found.high,
        ]
        if stored != expected:
            wrong.append((pk, stored, expected))
    assert not wrong, (
        f"{len(wrong)} of {len(assessments)} assessments contradict their answers, e.g. {wrong[:3]}"
    )
    assert C139Assessment.objects.filter(win_against=True).exists()  # "against" still occurs, where intended

    fields = [*bid_domain.QUESTIONS, *bid_domain.PURSUE_CONDITIONS, *bid_domain.ABANDON_SIGNS]
    bids = list(BidAssessment.objects.values("score", "suggested_outcome", *fields))
    assert bids
    for row in bids:
        suggestion = bid_domain.suggest(
            bid_domain.BidAnswers(**{f: row[f] for f in fields}), bid_rules(policy)
        )
        assert (row["score"], row["suggested_outcome"]) == (suggestion.score, suggestion.outcome), row


PERSONAS = ("rep.north1a", "inside.north", "manager.north1", "director.north", "admin")


def _cell(html: str, testid: str) -> str:
    """The text of the element with `data-testid` (up to its first child tag), stripped."""

    found = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>([^<]*)<', html)
    assert found, f"no element {testid!r}"
    return found.group(1).strip()


@pytest.mark.django_db
@pytest.mark.parametrize("username", PERSONAS)
def test_the_demo_fills_targets_forecasts_and_calibration_in_the_selectors(demo_today, username):
    """What was "—" for a newcomer (ideal funnel, capacity, chance of target, forecast accuracy, the
    rolling order forecast, calibration) has figures for each role, read through the selectors."""

    today = timezone.localdate()
    user = User.objects.get(username=username)
    period = period_of("quarter", today, default_day=today)
    ideal = ideal_report(
        user, resolve_scope(user), template=default_template(), period=period, as_of=today, today=today
    )
    assert ideal.target and ideal.target > 0 and ideal.target_source == "target"
    assert ideal.wins_needed and not ideal.missing
    capacity = capacity_report(user, ideal)
    assert capacity.figures.coverage is not None and capacity.figures.weighted_ratio is not None
    chance = probabilistic_forecast(user, as_of=today, trials=500)
    assert chance.target == ideal.target and chance.forecast.p_target is not None
    accuracy = forecast_accuracy(user, as_of=today)
    assert accuracy.total.summary.bias is not None and accuracy.total.summary.mape is not None
    assert sum(1 for p in accuracy.total.points if p.forecast) >= 4  # a track record over the demo's quarters
    orders = order_forecast_report(user, as_of=today)
    assert any(orders.upcoming) and orders.by_lead[1].mape is not None
    forecast = forecast_report(user, as_of=today)
    assert any(row.record is not None for row in forecast.sellers)  # submissions for the current quarter
    calibration = calibration_report(None)
    assert calibration.computed_at is not None and any(row.outcomes for row in calibration.levels)


@pytest.mark.django_db
@pytest.mark.parametrize("username", PERSONAS)
def test_the_demo_pages_show_figures_where_a_newcomer_saw_dashes(demo_today, client, username):
    client.force_login(User.objects.get(username=username))
    ideal = client.get("/reports/ideal/").content.decode()
    for testid in ("ideal-target", "ideal-wins", "cap-remaining", "cap-coverage", "cap-weighted"):
        assert _cell(ideal, testid) not in ("", "—"), testid
    assert 'data-testid="ideal-missing"' not in ideal
    chance = client.get("/forecast/probabilistic/").content.decode()
    assert _cell(chance, "kpi-target").endswith("%")
    accuracy = client.get("/forecast/accuracy/").content.decode()
    assert _cell(accuracy, "kpi-bias").endswith("%") and _cell(accuracy, "kpi-mape").endswith("%")
    orders = client.get("/forecast/orders/").content.decode()
    for lead in (1, 2, 3, 4):
        assert _cell(orders, f"bias-{lead}").endswith("%"), lead
    assert "No order forecast this week yet." not in orders and "本周尚无订单预测" not in orders
    calibration = client.get("/forecast/calibration/").content.decode()
    assert _cell(calibration, "brier-levels") not in ("", "—")
    assert "Not computed yet." not in calibration and "尚未计算" not in calibration


@pytest.mark.django_db
def test_demo_planning_is_consistent_with_the_deals(demo_today):
    """Targets add up (sellers → team → region → company, months → quarter → year) and follow each
    seller's bookings; a weekly snapshot holds what the deals' history says they were that day; the
    deals are back in their current state; calibration covers every process."""

    assert "planning_target" in demo_today and "Demo logins" in demo_today
    today = timezone.localdate()
    assert_history_consistent(today)
    units = {u.pk: u for u in OrgUnit.objects.all()}
    targets = list(Target.objects.values_list("unit_id", "user_id", "period_kind", "period_start", "amount"))
    by_scope = {(unit, user, kind, start): amount for unit, user, kind, start, amount in targets}
    reps = {u.pk: u.org_unit_id for u in User.objects.filter(role__in=["rep", "inside"])}
    for (unit, user, kind, start), amount in by_scope.items():
        assert amount > 0
        if unit is not None:
            below = [
                a
                for (u, s, k, st), a in by_scope.items()
                if k == kind
                and st == start
                and (
                    (s in reps and reps[s] == unit)
                    if units[unit].kind == "team"
                    else (u is not None and units[u].parent_id == unit)
                )
            ]
            assert amount == sum(below), (units[unit].code, kind, start)
        if kind == "year":
            quarters = [by_scope[(unit, user, "quarter", start.replace(month=m))] for m in (1, 4, 7, 10)]
            assert amount == sum(quarters)
        if kind == "quarter":
            months = [
                by_scope[(unit, user, "month", start.replace(month=start.month + m))] for m in (0, 1, 2)
            ]
            assert amount == sum(months)
    company = OrgUnit.objects.get(code="company")
    year_ago = today - timedelta(days=365)
    booked = Opportunity.objects.filter(status="won", closed_on__gt=year_ago).aggregate(s=Sum("amount"))["s"]
    quarter_target = (
        Target.objects.filter(unit=company, period_kind="quarter")
        .order_by("-period_start")
        .values_list("amount", flat=True)[0]
    )
    assert booked / 4 <= quarter_target <= booked  # stretched above a year's bookings, a quarter of them

    # A scheduled snapshot of half a year ago: the deals as their history says they were at that day's start.
    day = next(
        d
        for d in sorted(
            set(ForecastSnapshot.objects.filter(source="scheduled").values_list("taken_on", flat=True))
        )
        if d >= today - timedelta(days=182)
    )
    snapshot = ForecastSnapshot.objects.get(
        source="scheduled", taken_on=day, unit=company, period_kind="quarter"
    )
    start = timezone.make_aware(datetime.combine(day, time.min))
    last = StageChange.objects.filter(opportunity=OuterRef("pk"), changed_at__lt=start).order_by(
        "-changed_at", "-id"
    )
    opps = Opportunity.objects.filter(created_at__lt=start).annotate(
        was=Subquery(last.values("status")[:1]),
        was_close=Subquery(last.values("expected_close_date")[:1]),
        was_amount=Subquery(last.values("amount")[:1]),
        was_at=Subquery(last.values("changed_at")[:1]),
    )
    period = period_containing("quarter", snapshot.period_start)
    # (a close date fixed after the last move is in no history row: the current one holds since `updated_at`)
    in_period = [
        o
        for o in opps
        if o.was == "open" and period.contains(o.expected_close_date if o.updated_at < start else o.was_close)
    ]
    assert snapshot.open_count == len(in_period)
    assert snapshot.commit + snapshot.best_case + snapshot.pipeline + snapshot.next_quarter == sum(
        o.was_amount for o in in_period
    )
    assert snapshot.booked == sum(
        o.amount for o in opps if o.was == "won" and o.closed_on >= snapshot.period_start
    )
    assert ForecastSnapshot.objects.filter(source="submission").exists()
    assert ForecastSubmission.objects.filter(kind="adjustment").exclude(reason="").exists()
    assert OrderForecast.objects.filter(made_on=today - timedelta(days=today.weekday())).count() == 4 * len(
        reps
    )
    assert set(Calibration.objects.values_list("template_id", flat=True)) == set(
        Opportunity.objects.values_list("template_id", flat=True)
    )
    # Inside sales own their region's service contracts, so their own pages are not empty either.
    inside = Opportunity.objects.filter(owner__role="inside")
    assert set(inside.values_list("owner__username", flat=True)) == set(
        User.objects.filter(role="inside").values_list("username", flat=True)
    )
    assert set(inside.values_list("product_lines__code", flat=True)) == {"services"}
    assert inside.filter(status="open").exists() and inside.filter(status="won").exists()


@pytest.mark.django_db
def test_the_demo_gives_activity_quotas_something_to_show(demo_today):
    """Issue 13: last month the demo's sellers logged effective visits and effective calls, so that the
    activity-quota page shows attainment between nothing and everything."""
    from kadence.rhythm.quotas.selectors import attainment_report

    admin = User.objects.filter(role=User.Role.ADMIN).first()
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    report = attainment_report(admin, period="month", day=last_month)
    totals = {c.metric: c for c in report.total.cells}
    assert 0 < totals["effective_visits"].pct < 100
    assert totals["effective_calls"].actual > 0 and totals["important_visits"].actual > 0
    assert len(report.teams) > 1 and report.regions


@pytest.mark.django_db
def test_the_demo_gives_targets_and_performance_something_to_show(demo_today):
    """Issue 14: the demo has this year's company target grid, balanced and started from the targets set,
    next year's in negotiation (round 1, one region answered, the others waiting), and scored KPI cards for
    the past months and quarters with more than one grade among them."""
    from kadence.performance.grid.models import GridRow, TargetGrid
    from kadence.performance.kpi.models import Scorecard
    from kadence.performance.negotiation.models import Negotiation, NegotiationFigure

    year = timezone.localdate().year
    grid = TargetGrid.objects.get(year=year)
    assert GridRow.objects.filter(grid=grid).count() > 10
    negotiation = Negotiation.objects.get(grid__year=year + 1)
    assert negotiation.status == Negotiation.Status.ANSWERING and negotiation.round == 1
    figures = NegotiationFigure.objects.filter(negotiation=negotiation)
    assert figures.count() > 1 and figures.filter(committed__isnull=False).count() == 1
    assert figures.filter(bottom_up__isnull=False).exists()
    cards = Scorecard.objects.filter(total__isnull=False)
    assert cards.filter(period_kind="month").values("period_start").distinct().count() == 12
    assert cards.filter(period_kind="quarter").values("period_start").distinct().count() == 4
    assert cards.values("grade").distinct().count() > 1


@pytest.mark.django_db
def test_the_demo_gives_commissions_something_to_show(demo_today):
    """Issue 14 §7: the five plan types, last month's statements computed, each adding up to its payout,
    with pre-sales credit on some deals."""
    from kadence.performance.commission.models import CommissionLine, CommissionPlan, CommissionStatement

    assert CommissionPlan.objects.values("kind").distinct().count() == 5
    statements = CommissionStatement.objects.prefetch_related("lines")
    assert statements.count() > 10 and statements.filter(commission__gt=0).exists()
    assert statements.values("plan_kind").distinct().count() >= 3
    for statement in statements:
        assert sum(line.amount for line in statement.lines.all()) == statement.payout
    assert CommissionLine.objects.exclude(role__in=("", "owner")).exists()
