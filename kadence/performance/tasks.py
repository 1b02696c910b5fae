"""The performance app's background jobs (found by kadence.core.jobs.jobs()): one import per part."""

from kadence.performance.commission import tasks as commission  # noqa: F401
from kadence.performance.kpi import tasks as kpi  # noqa: F401
