"""The rhythm over the API: one router per part."""

from ninja import Router

from kadence.rhythm.cadence.api import router as cadence
from kadence.rhythm.inbox.api import router as inbox
from kadence.rhythm.notify.api import router as notify
from kadence.rhythm.pack.api import router as pack
from kadence.rhythm.plans.api import router as plans
from kadence.rhythm.quotas.api import router as quotas

routers: list[Router] = [quotas, plans, cadence, inbox, pack, notify]
