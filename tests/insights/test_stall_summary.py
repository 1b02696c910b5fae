"""The deals' stall summaries (kadence.pipeline.stall): after any sequence of service calls each deal's
summary equals a recomputation from its raw rows (in Python, and by the set-based SQL of
kadence.insights.services.stall_summary), and the stalled deals report read through the summaries
equals the report probing the raw rows, for today, for past days and with rows dated after as_of.
Run on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kadence.activities.models import Activity
from kadence.activities.services import activity_create, activity_mark_done, activity_update
from kadence.core.errors import DomainError
from kadence.core.models import AuditEntry
from kadence.core.visibility import resolve_scope
from kadence.deals.models import StallAction
from kadence.domain.stall import REASONS, StallPolicy, is_close_date_push
from kadence.insights.selectors.stalled import SORTS, stalled_ids, stalled_report
from kadence.insights.services.stall import stall_act
from kadence.insights.services.stall_summary import drift, rebuild
from kadence.pipeline.models import LossReason, Opportunity, Stage
from kadence.pipeline.services import (
    opportunity_close_lost,
    opportunity_move_stage,
    opportunity_reopen,
    opportunity_update,
)

pytestmark = pytest.mark.django_db
SEQUENCES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KINDS = [Activity.Kind.VISIT, Activity.Kind.CALL_OUT, Activity.Kind.EMAIL, Activity.Kind.DEMO]


def today() -> date:
    return timezone.localdate()


def facts(opp_id: int) -> tuple[Any, ...]:
    """The deal's stall summary recomputed in Python from its raw rows."""
    done = [
        a.date
        for a in Activity.objects.filter(opportunity_id=opp_id, done=True)
        if a.kind != Activity.Kind.EMAIL
    ]
    steps = sorted(
        StallAction.objects.filter(
            opportunity_id=opp_id, outcome=StallAction.Outcome.NEXT_STEP, next_step_on__isnull=False
        ),
        key=lambda a: (a.acted_at, a.pk),
    )
    pushes = [
        e
        for e in AuditEntry.objects.filter(
            entity="pipeline.opportunity", entity_id=opp_id, field="expected_close_date"
        )
        if is_close_date_push(
            date.fromisoformat(e.old_value) if e.old_value else None,
            date.fromisoformat(e.new_value) if e.new_value else None,
        )
    ]
    return (
        max(done) if done else None,
        steps[-1].next_step_on if steps else None,
        steps[-1].acted_at if steps else None,
        len(pushes),
    )


def stored(opp_id: int) -> tuple[Any, ...]:
    return tuple(
        Opportunity.objects.filter(pk=opp_id)
        .values_list(
            "stall_last_activity_on", "stall_next_step_on", "stall_next_step_at", "stall_close_pushes"
        )
        .get()
    )


def version(opp_id: int) -> int:
    return Opportunity.objects.values_list("version", flat=True).get(pk=opp_id)


def same_report(user, as_of: date, policy: StallPolicy) -> None:
    """The report's statement through the summaries equals the one probing the raw rows."""
    scope = resolve_scope(user)
    for reason in (None, *REASONS):
        for sort in SORTS:
            kwargs = {"reason": reason, "sort": sort, "limit": None}
            with_summary = stalled_ids(scope, policy, as_of, summary=True, **kwargs)
            probed = stalled_ids(scope, policy, as_of, summary=False, **kwargs)
            assert with_summary == probed, (as_of, reason, sort)


# --- random sequences of service calls --------------------------------------------------------------

deal_index = st.integers(0, 1)
steps = st.one_of(
    st.tuples(st.just("log"), deal_index, st.sampled_from(KINDS), st.booleans(), st.integers(-60, 10)),
    st.tuples(
        st.just("edit"), st.integers(0, 20), st.sampled_from(KINDS), st.booleans(), st.integers(-60, 10)
    ),
    st.tuples(st.just("done"), st.integers(0, 20)),
    st.tuples(st.just("move"), st.integers(0, 20), deal_index),  # the admin moves an activity to a deal
    st.tuples(st.just("delete"), st.integers(0, 20)),  # the admin deletes an activity
    st.tuples(st.just("close"), deal_index, st.integers(-40, 40)),  # push (> 0) or pull the close date
    st.tuples(st.just("stage"), deal_index, st.booleans()),
    st.tuples(st.just("next_step"), deal_index, st.integers(1, 30)),
    st.tuples(st.just("lose_reopen"), deal_index),
)


class _Request:
    """What ActivityAdmin's save and delete read of a request: nothing."""


def _activity(n: int) -> Activity | None:
    rows = list(Activity.objects.filter(opportunity__isnull=False).order_by("pk"))
    return rows[n % len(rows)] if rows else None


def _run(org, deal_ids: list[int], step: tuple) -> None:
    owners = {org.opp.pk: org.rita, org.sara_opp.pk: org.sara}
    admin = site._registry[Activity]
    kind = step[0]
    if kind == "log":
        _, i, activity_kind, done, days = step
        opp = deal_ids[i]
        activity_create(
            owners[opp],
            opportunity_id=opp,
            kind=activity_kind,
            subject="s",
            date=today() + timedelta(days=days),
            done=done,
        )
    elif kind == "edit":
        activity = _activity(step[1])
        if activity is not None:
            _, _n, activity_kind, done, days = step
            activity_update(
                owners[activity.opportunity_id],
                activity.pk,
                version=activity.version,
                kind=activity_kind,
                done=done,
                date=today() + timedelta(days=days),
            )
    elif kind == "done":
        activity = _activity(step[1])
        if activity is not None:
            activity_mark_done(owners[activity.opportunity_id], activity.pk, version=activity.version)
    elif kind == "move":
        activity = _activity(step[1])
        if activity is not None:
            target = Opportunity.objects.get(pk=deal_ids[step[2]])
            activity.opportunity, activity.account_id = target, target.account_id
            admin.save_model(_Request(), activity, None, True)
    elif kind == "delete":
        activity = _activity(step[1])
        if activity is not None:
            admin.delete_model(_Request(), activity)
    elif kind == "close":
        opp = Opportunity.objects.get(pk=deal_ids[step[1]])
        if opp.status == Opportunity.Status.OPEN:
            opportunity_update(
                owners[opp.pk],
                opp.pk,
                version=opp.version,
                expected_close_date=opp.expected_close_date + timedelta(days=step[2] or 1),
            )
    elif kind == "stage":
        opp = Opportunity.objects.get(pk=deal_ids[step[1]])
        stages = list(Stage.objects.filter(template_id=opp.template_id, is_won=False).order_by("order"))
        at = [s.pk for s in stages].index(opp.stage_id)
        target = stages[min(at + 1, len(stages) - 1)] if step[2] else stages[max(at - 1, 0)]
        if target.pk != opp.stage_id and opp.status == Opportunity.Status.OPEN:
            opportunity_move_stage(owners[opp.pk], opp.pk, stage_id=target.pk, version=opp.version)
    elif kind == "next_step":
        opp = deal_ids[step[1]]
        stall_act(
            owners[opp],
            opp,
            StallAction.Outcome.NEXT_STEP,
            next_step="call",
            next_step_on=today() + timedelta(days=step[2]),
            version=version(opp),
        )
    elif kind == "lose_reopen":
        opp = Opportunity.objects.get(pk=deal_ids[step[1]])
        if opp.status == Opportunity.Status.OPEN:
            opportunity_close_lost(
                owners[opp.pk], opp.pk, loss_reason_id=LossReason.objects.first().pk, version=opp.version
            )
        else:
            opportunity_reopen(owners[opp.pk], opp.pk, version=opp.version, reason="back")


@SEQUENCES
@given(st.lists(steps, min_size=1, max_size=14))
def test_after_any_sequence_of_service_calls_the_summary_equals_a_recomputation(org, no_gates, sequence):
    deal_ids = [org.opp.pk, org.sara_opp.pk]
    with transaction.atomic():
        # Long in their stage, so that a dated next step may be recorded (the deal is stalled).
        Opportunity.objects.filter(pk__in=deal_ids).update(
            stage_entered_at=timezone.now() - timedelta(days=400)
        )
        for step in sequence:
            try:
                with transaction.atomic():
                    _run(org, deal_ids, step)
            except DomainError:
                pass  # refused (not stalled, closed, …): nothing was written
        for opp_id in deal_ids:
            assert stored(opp_id) == facts(opp_id), opp_id
        assert drift() == []
        policy = StallPolicy(no_activity_days=10, close_pushes=1)
        for days in (0, -3, -20, 5):
            same_report(org.ada, today() + timedelta(days=days), policy)
        same_report(org.ada, today(), StallPolicy())
        transaction.set_rollback(True)


# --- the report through the summary, as of today and before ------------------------------------------


def test_the_report_reads_the_summary_and_equals_the_probes_for_any_day(org, no_gates):
    """A done activity dated in the future, a next step recorded today and pushes made today: for
    today the summary holds, for a past day the report falls back to the deal's rows; both equal
    the probes, and a deal without any of those facts reads the summary alone."""
    opp, other = org.opp, org.sara_opp
    Opportunity.objects.filter(pk__in=[opp.pk, other.pk]).update(
        stage_entered_at=timezone.now() - timedelta(days=400), created_at=timezone.now() - timedelta(days=400)
    )
    activity_create(
        org.rita, opportunity_id=opp.pk, kind="visit", subject="past", date=today() - timedelta(days=40)
    )
    activity_create(
        org.rita, opportunity_id=opp.pk, kind="visit", subject="future", date=today() + timedelta(days=3)
    )
    activity_create(
        org.sara, opportunity_id=other.pk, kind="call_out", subject="s", date=today() - timedelta(days=5)
    )
    stall_act(
        org.rita,
        opp.pk,
        "next_step",
        next_step="call",
        next_step_on=today() + timedelta(days=7),
        version=version(opp.pk),
    )
    for days in (10, 20, 30):
        current = Opportunity.objects.get(pk=other.pk)
        opportunity_update(
            org.sara,
            other.pk,
            version=current.version,
            expected_close_date=current.expected_close_date + timedelta(days=days),
        )
    assert stored(opp.pk)[0] == today() + timedelta(days=3)  # the summary holds the future activity
    assert stored(other.pk)[3] == 3
    policy = StallPolicy(no_activity_days=30, close_pushes=2)
    for days in (0, -1, -10, -41, 2, 3, 4, 8):
        same_report(org.ada, today() + timedelta(days=days), policy)
    # As of yesterday the future activity does not count: the last one is 40 days old, and the next
    # step was not recorded yet.
    yesterday = today() - timedelta(days=1)
    report = stalled_report(org.ada, as_of=yesterday, policy=policy, page_size=50)
    row = next(r for r in report.page.items if r.opp.pk == opp.pk)
    assert row.last_activity_on == today() - timedelta(days=40) and row.next_step_on is None


def test_a_deal_written_outside_the_services_is_found_and_rebuilt(org, capsys):
    activity_create(org.rita, opportunity_id=org.opp.pk, kind="visit", subject="v", date=today())
    assert drift() == []
    call_command("stall_summary", "--check")
    Opportunity.objects.filter(pk=org.opp.pk).update(stall_last_activity_on=None, stall_close_pushes=4)
    found = drift()
    assert [d.opp_id for d in found] == [org.opp.pk]
    assert found[0].expected["stall_last_activity_on"] in (today(), today().isoformat())
    with pytest.raises(CommandError, match="1 deals differ"):
        call_command("stall_summary", "--check")
    assert f"deal {org.opp.pk}: " in capsys.readouterr().out
    call_command("stall_summary", "--rebuild")
    assert "1 deals changed" in capsys.readouterr().out
    assert drift() == [] and stored(org.opp.pk) == facts(org.opp.pk)
    assert rebuild() == 0  # nothing left to change


def test_logging_a_visit_leaves_the_deal_version_alone(org):
    before = Opportunity.objects.values_list("version", "updated_at").get(pk=org.opp.pk)
    activity_create(org.rita, opportunity_id=org.opp.pk, kind="visit", subject="v", date=today())
    assert Opportunity.objects.values_list("version", "updated_at").get(pk=org.opp.pk) == before
    assert stored(org.opp.pk)[0] == today()
