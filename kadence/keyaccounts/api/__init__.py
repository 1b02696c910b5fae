"""Key-account management over the API: one router per part."""

from ninja import Router

from kadence.keyaccounts.coverage.api import router as coverage
from kadence.keyaccounts.groups.api import router as groups
from kadence.keyaccounts.importance.api import router as importance
from kadence.keyaccounts.kam.api import router as kam
from kadence.keyaccounts.plans.api import router as plans
from kadence.keyaccounts.platforms.api import router as platforms
from kadence.keyaccounts.value.api import router as value

routers: list[Router] = [groups, value, plans, importance, kam, coverage, platforms]
