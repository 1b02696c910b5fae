"""The performance admin pages (found by Django's admin autodiscovery): one import per part."""

from kadence.performance.commission import admin as commission  # noqa: F401
from kadence.performance.dashboard import admin as dashboard  # noqa: F401
from kadence.performance.kpi import admin as kpi  # noqa: F401
