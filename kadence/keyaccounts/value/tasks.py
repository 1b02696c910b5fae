"""The nightly recompute of the RAD cells and ABC classes (`kam-value-nightly`, run by `kadence worker`): the
year holding yesterday, and in January the year before too (its last days' deals). Also a command:
`kadence compute_rad`."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.utils import timezone
from django_tasks import task

from kadence.core.jobs import Cadence, schedule
from kadence.keyaccounts.value import services


def years_due(today: date) -> list[int]:
    """The years the nightly job recomputes."""
    yesterday = today - timedelta(days=1)
    return [yesterday.year - 1, yesterday.year] if yesterday.month == 1 else [yesterday.year]


@schedule("kam-value-nightly", Cadence("daily", time(4, 45)))
@task()
def kam_value_nightly() -> str:
    done = []
    for year in years_due(timezone.localdate()):
        result = services.value_compute(None, year=year)
        done.append(f"{year}: {result.rad_cells} RAD cells, {result.abc_rows} ABC rows")
    return "; ".join(done)
