"""The commission jobs, run by `kadence worker` (kadence.core.jobs): a period computed in the background
when a lead asks for a company's worth of statements (`commission_compute`, one queued run), and every
night the month and the quarter holding yesterday for every seller (`commission-nightly`). Also a
command: `kadence compute_commissions`."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from kadence.core.errors import DomainError
from kadence.core.jobs import Cadence, schedule
from kadence.core.models import User
from kadence.domain.periods import Period, period_containing
from kadence.performance.commission import services
from kadence.performance.commission.models import CommissionRun
from kadence.performance.commission.selectors import commission_period


def commission_due(today: date) -> list[Period]:
    """The periods the nightly job computes: the month and the quarter holding yesterday."""
    yesterday = today - timedelta(days=1)
    return [period_containing("month", yesterday), period_containing("quarter", yesterday)]


@task()
def commission_compute(run_id: int) -> str:
    """Compute the queued run's period (as its requester); a refusal marks the run failed."""
    run = CommissionRun.objects.filter(pk=run_id, state=CommissionRun.State.QUEUED).first()
    if run is None:
        return "gone"
    try:
        done = services.statements_compute(
            run.computed_by, period=run.period_kind, day=run.period_start, unit_id=run.unit_id, run=run
        )
    except DomainError as exc:
        CommissionRun.objects.filter(pk=run_id).update(
            state=CommissionRun.State.FAILED, error=exc.detail[:500]
        )
        return exc.detail
    return f"{done.statements} statements"


def statements_compute_later(
    actor: User, *, period: str, day: date, unit_id: int | None = None
) -> CommissionRun:
    """Queue the computation of a period for the actor's reach (checked now, and again when it runs)."""
    when = commission_period(period, day)
    services.check_can_compute(actor, unit_id)
    with transaction.atomic():
        run = CommissionRun.objects.create(
            period_kind=when.kind,
            period_start=when.start,
            period_end=when.end,
            unit_id=unit_id,
            computed_by=actor,
            state=CommissionRun.State.QUEUED,
        )
        transaction.on_commit(lambda: commission_compute.enqueue(run.pk))
    return run


@schedule("commission-nightly", Cadence("daily", time(4, 30)))
@task()
def commission_nightly() -> str:
    """Compute the periods due for every seller."""
    done = []
    for period in commission_due(timezone.localdate()):
        run = services.statements_compute(None, period=period.kind, day=period.start)
        done.append(f"{period.label}: {run.statements}")
    return "; ".join(done)
