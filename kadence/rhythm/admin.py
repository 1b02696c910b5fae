"""The rhythm's admin pages (found by Django's admin autodiscovery): one import per part."""

from kadence.rhythm.cadence import admin as cadence  # noqa: F401
from kadence.rhythm.notify import admin as notify  # noqa: F401
from kadence.rhythm.quotas import admin as quotas  # noqa: F401
