"""Deal control over the API: one router per capability, all under /api/opportunities/{id}/…"""

from kadence.deals.api.assessments import router as assessments
from kadence.deals.api.buying_centre import router as buying_centre
from kadence.deals.api.diagnosis import router as diagnosis
from kadence.deals.api.expenses import router as expenses
from kadence.deals.api.gates import router as gates
from kadence.deals.api.milestones import router as milestones
from kadence.deals.api.tasks import router as tasks

routers = [gates, assessments, buying_centre, milestones, tasks, expenses, diagnosis]
