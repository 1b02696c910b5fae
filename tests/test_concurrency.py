"""Writes racing on PostgreSQL: the report summaries stay exact and nothing answers a 500.

Each race runs two threads, each with its own database connection, released at the same instant by
a barrier. A refusal the user can act on (a Conflict on a stale version, a closed deal, a gate) is a
fine outcome; a database error (a deadlock, a duplicate key) or a summary that differs from a
recomputation is not. SQLite serialises every write, so these tests only mean something (and only
run) on PostgreSQL: CI's PostgreSQL pass runs them.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from kadence.activities.models import Activity
from kadence.activities.services import activity_create, activity_mark_done, activity_update
from kadence.core.errors import DomainError
from kadence.deals.models import ExpenseBudget
from kadence.deals.services.assessments import c139_assess
from kadence.deals.services.gates import evidence_add
from kadence.domain.c139 import ITEMS
from kadence.domain.periods import next_week_starts
from kadence.insights.services.stall_summary import drift as stall_drift
from kadence.pipeline import month_ends, services, summary
from kadence.pipeline.models import (
    ExitCriterion,
    LossReason,
    MonthEndBuilt,
    MonthEndPipeline,
    Opportunity,
    Stage,
    StageChange,
)
from kadence.pipeline.summary import drift
from kadence.planning.models import OrderForecast

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="SQLite serialises writes; the races need PostgreSQL (CI runs them there)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 2  # races per pair of services on one deal (plus one on two deals sharing summary keys)


def race(*calls: Callable[[], object], stagger: float = 0.0) -> list[BaseException]:
    """Run the calls at the same instant, one thread (and connection) each, the second `stagger`
    seconds later (so that one transaction's commit falls inside the other); the unexpected errors."""
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: Callable[[], object], delay: float) -> None:
        try:
            barrier.wait(timeout=30)
            time.sleep(delay)
            call()
        except DomainError:
            pass  # refused with a reason the user can act on: what a lost race should answer
        except BaseException as exc:  # noqa: BLE001 - every other error is the finding
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call, stagger * n)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _version(opp_id: int) -> int:
    return Opportunity.objects.values_list("version", flat=True).get(pk=opp_id)


def _operations(org, rng: random.Random) -> dict[str, Callable[[int], object]]:
    """Every service that changes what a deal counts for, called as a client would: with the
    version just read. dora (the region's director, not the owner) may do all of them, and
    overrides the gates, so that moves happen while evidence and C139 answers move the level."""
    actor = org.dora
    loss = LossReason.objects.first()
    proofs = list(
        ExitCriterion.objects.filter(
            stage__template__is_default=True, kind=ExitCriterion.Kind.EVIDENCE, is_active=True
        ).values_list("pk", flat=True)
    )

    def stages(opp_id: int) -> list[Stage]:
        template_id = Opportunity.objects.values_list("template_id", flat=True).get(pk=opp_id)
        return list(Stage.objects.filter(template_id=template_id, is_won=False).order_by("order"))

    def update(opp_id: int) -> object:
        return services.opportunity_update(
            actor,
            opp_id,
            version=_version(opp_id),
            amount=Decimal(rng.randrange(1, 50) * 10000),
            expected_close_date=date.today() + timedelta(days=rng.randrange(10, 400)),
        )

    def move(opp_id: int) -> object:
        current = Opportunity.objects.values_list("stage_id", flat=True).get(pk=opp_id)
        target = rng.choice([s for s in stages(opp_id) if s.pk != current])
        return services.opportunity_move_stage(
            actor, opp_id, stage_id=target.pk, version=_version(opp_id), override=True, reason="race"
        )

    def close_lost(opp_id: int) -> object:
        return services.opportunity_close_lost(
            actor, opp_id, loss_reason_id=loss.pk, version=_version(opp_id)
        )

    def close_won(opp_id: int) -> object:
        return services.opportunity_close_won(
            actor, opp_id, version=_version(opp_id), override=True, reason="race"
        )

    def reopen(opp_id: int) -> object:
        return services.opportunity_reopen(actor, opp_id, version=_version(opp_id), reason="race")

    def reassign(opp_id: int) -> object:
        owner = Opportunity.objects.values_list("owner_id", flat=True).get(pk=opp_id)
        other = org.nick if owner == org.rita.pk else org.rita
        return services.opportunity_reassign(actor, opp_id, owner_id=other.pk, version=_version(opp_id))

    def c139(opp_id: int) -> object:
        status = rng.choice(["confirmed", "unknown"])  # the level follows the C139 criteria
        return c139_assess(actor, opp_id, answers={item: {"status": status} for item in ITEMS})

    def evidence(opp_id: int) -> object:
        return evidence_add(actor, opp_id, title="race", note="checked", criterion_id=rng.choice(proofs))

    return {
        "update": update,
        "move": move,
        "close_lost": close_lost,
        "close_won": close_won,
        "reopen": reopen,
        "reassign": reassign,
        "c139": c139,
        "evidence": evidence,
    }


def test_racing_deal_writes_keep_the_summaries_exact(org):
    """Every pair of deal-changing services, raced on one deal and on two deals that share summary
    keys: no database error, and the summaries equal a recomputation. Before the row lock, a C139
    save racing a close-lost counted the lost deal out twice (PipelineTotal drifted)."""
    rng = random.Random(8)
    operations = _operations(org, rng)
    deals = [
        services.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"race {n}",
            amount="100000",
            expected_close_date=date.today() + timedelta(days=60),
        ).pk
        for n in range(2)
    ]
    failures: list[tuple[str, str, BaseException]] = []
    for first, second in itertools.combinations_with_replacement(sorted(operations), 2):
        for round_ in range(ROUNDS + 1):
            one, two = (deals[0], deals[0]) if round_ < ROUNDS else (deals[0], deals[1])
            calls = [functools.partial(operations[first], one), functools.partial(operations[second], two)]
            rng.shuffle(calls)
            for error in race(*calls, stagger=rng.uniform(0, 0.04)):
                failures.append((first, second, error))
    assert failures == []
    assert drift() == []


def test_racing_stall_facts_keep_the_stall_summary_exact(org):
    """Activities logged, edited and marked done and close dates pushed on one deal at the same
    instant: each writer recomputes the deal's stall summary under its row lock, so the last one to
    commit sees the other's rows and the summary equals a recomputation."""
    rng = random.Random(10)
    opp_id = org.opp.pk

    def log() -> object:
        days = rng.randrange(-40, 5)
        return activity_create(
            org.rita,
            opportunity_id=opp_id,
            kind="visit",
            subject="race",
            date=date.today() + timedelta(days=days),
        )

    def plan() -> object:
        return activity_create(
            org.rita, opportunity_id=opp_id, kind="call_out", subject="later", date=date.today(), done=False
        )

    def edit() -> object:
        activity = Activity.objects.filter(opportunity_id=opp_id).order_by("?").first()
        if activity is None:
            return log()
        return activity_update(
            org.rita,
            activity.pk,
            version=activity.version,
            kind=rng.choice(["visit", "email"]),
            date=date.today() - timedelta(days=rng.randrange(0, 60)),
        )

    def mark() -> object:
        planned = Activity.objects.filter(opportunity_id=opp_id, done=False).first()
        if planned is None:
            return plan()
        return activity_mark_done(org.rita, planned.pk, version=planned.version)

    def push() -> object:
        close = Opportunity.objects.values_list("expected_close_date", flat=True).get(pk=opp_id)
        return services.opportunity_update(
            org.rita,
            opp_id,
            version=_version(opp_id),
            expected_close_date=close + timedelta(days=rng.choice([-10, 30])),
        )

    operations = [log, plan, edit, mark, push]
    failures = []
    for first, second in itertools.combinations_with_replacement(operations, 2):
        failures += race(first, second, stagger=rng.uniform(0, 0.04))
    assert failures == []
    assert stall_drift() == []


def test_a_write_decides_on_the_deal_as_it_stands_under_its_lock(org, monkeypatch):
    """Deterministic, for each write that moves a deal's contribution: it reads the deal, then waits
    (up to a second) for a second write, evidence that raises the deal's level, to commit. Without
    the deal's row lock the second commits meanwhile and the first moves the deal's old contribution
    out of the summary a second time (a lost deal went on counting in the funnel); with it, the
    second waits for the first, and the summaries stay equal to a recomputation."""
    operations = _operations(org, random.Random(3))
    first_meeting = ExitCriterion.objects.get(stage__template__is_default=True, code="first_meeting")
    discovery = ExitCriterion.objects.get(stage__template__is_default=True, code="discovery_notes")
    approval = ExitCriterion.objects.get(stage__template__is_default=True, code="project_approved")
    third, fourth = (Stage.objects.get(template__is_default=True, order=n) for n in (3, 4))
    operations["move"] = lambda opp_id: services.opportunity_move_stage(  # onward, where C still counts
        org.dora, opp_id, stage_id=fourth.pk, version=_version(opp_id), override=True, reason="race"
    )
    first_thread: list[threading.Thread] = []
    read, committed = threading.Event(), threading.Event()
    real = summary.contribution

    def paused(opp_id: int, **kwargs: object) -> object:
        state = real(opp_id, **kwargs)
        if first_thread and threading.current_thread() is first_thread[0] and not read.is_set():
            read.set()
            committed.wait(timeout=1)  # the second write commits now, unless the lock holds it back
        return state

    monkeypatch.setattr(summary, "contribution", paused)
    for change in ("close_lost", "close_won", "move", "update", "reassign"):
        deal = services.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"paused {change}",
            amount="100000",
            expected_close_date=date.today() + timedelta(days=60),
        )
        services.opportunity_move_stage(
            org.dora, deal.pk, stage_id=third.pk, version=deal.version, override=True, reason="setup"
        )
        # All the first three stages ask for but the first meeting's minutes: adding those in the race
        # completes stages 1–3, which raises the level earned from I to C (stage 3's exit grants C).
        evidence_add(org.dora, deal.pk, title="notes", note="taken", criterion_id=discovery.pk)
        evidence_add(org.dora, deal.pk, title="立项", note="approved", criterion_id=approval.pk)
        c139_assess(org.dora, deal.pk, answers={item: {"status": "confirmed"} for item in ITEMS})
        level_before = Opportunity.objects.values_list("level_id", flat=True).get(pk=deal.pk)
        first_thread.clear()
        read.clear()
        committed.clear()

        def first(change: str = change, deal_id: int = deal.pk) -> None:
            first_thread.append(threading.current_thread())
            operations[change](deal_id)

        def second(deal_id: int = deal.pk) -> None:
            read.wait(timeout=5)
            try:
                evidence_add(org.dora, deal_id, title="minutes", note="held", criterion_id=first_meeting.pk)
            finally:
                committed.set()

        assert race(first, second) == [], change
        after = Opportunity.objects.get(pk=deal.pk)
        assert after.level_id != level_before or after.status != Opportunity.Status.OPEN, (
            change
        )  # both counted
        assert drift() == [], change


def test_parallel_first_budget_saves_are_one_success_and_clean_conflicts(org, token_for):
    """20 parallel first PUTs of a fresh deal's budget used to end in 500s (a duplicate key): now one
    saves and the others answer 409, all JSON."""
    deal = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="fresh",
        amount="100000",
        expected_close_date=date.today() + timedelta(days=60),
    )
    header = token_for(org.rita)
    statuses: list[int] = []

    def put(amount: int) -> Callable[[], None]:
        def call() -> None:
            response = Client(raise_request_exception=False).put(
                f"/api/opportunities/{deal.pk}/expense-budget",
                json.dumps({"version": 0, "amounts": {"travel": str(amount)}}),
                content_type="application/json",
                **header,
            )
            response.json()
            statuses.append(response.status_code)

        return call

    assert race(*(put(1000 + n) for n in range(20))) == []
    assert sorted(statuses) == [200] + [409] * 19
    assert ExpenseBudget.objects.filter(opportunity_id=deal.pk).count() == 1


def test_parallel_first_order_forecasts_for_one_week_all_succeed(org, token_for):
    """20 parallel POSTs of the order forecast for the same week used to end in 500s (a duplicate
    key): a save that loses the race to create the row now updates it."""
    week = next_week_starts(date.today())[0]
    header = token_for(org.rita)
    statuses: list[int] = []

    def post(amount: int) -> Callable[[], None]:
        def call() -> None:
            response = Client(raise_request_exception=False).post(
                "/api/forecast/orders",
                json.dumps({"weeks": [{"week_start": week.isoformat(), "amount": amount}]}),
                content_type="application/json",
                **header,
            )
            response.json()
            statuses.append(response.status_code)

        return call

    assert race(*(post(1000 + n) for n in range(20))) == []
    assert statuses == [200] * 20
    assert OrderForecast.objects.filter(user=org.rita, week_start=week).count() == 1


def test_reassignments_racing_a_month_end_build_keep_it_exact(org):
    """A month-end built (its first read) while deals with history in that month are reassigned: a
    reassignment today writes a row after the month-end and moves nothing in it, so the month-end
    summary equals the history whoever commits first."""
    rng = random.Random(3)
    operations = _operations(org, rng)
    deals = [
        services.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"month-end race {n}",
            amount="100000",
            expected_close_date=date.today() + timedelta(days=60),
        ).pk
        for n in range(2)
    ]
    StageChange.objects.filter(opportunity_id__in=deals).update(
        changed_at=timezone.now() - timedelta(days=75)
    )
    summary.rebuild()
    day = month_ends.last_day_of_month(timezone.localdate().replace(day=1) - timedelta(days=1))
    for round_ in range(4):
        MonthEndPipeline.objects.filter(month_end=day).delete()
        MonthEndBuilt.objects.filter(month_end=day).delete()
        calls = [
            functools.partial(operations["reassign"], deals[round_ % 2]),
            functools.partial(month_ends.ensure, [day]),
            functools.partial(operations["reassign"], deals[(round_ + 1) % 2]),
        ]
        rng.shuffle(calls)
        assert race(*calls, stagger=rng.uniform(0, 0.03)) == []
        assert MonthEndBuilt.objects.filter(month_end=day).exists()
        assert drift() == [], round_
