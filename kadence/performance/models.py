"""The performance app's models, one module per part, each imported here so that Django finds them."""

from kadence.performance.commission.models import (  # noqa: F401
    CommissionAssignment,
    CommissionLine,
    CommissionPlan,
    CommissionPlanVersion,
    CommissionRun,
    CommissionStatement,
    CreditRule,
)
from kadence.performance.dashboard.models import DashboardPolicy  # noqa: F401
from kadence.performance.grid.models import GridRow, TargetGrid  # noqa: F401
from kadence.performance.kpi.models import (  # noqa: F401
    GradeBand,
    KpiDefinition,
    KpiDefinitionVersion,
    KpiManualInput,
    Scorecard,
    ScorecardLine,
)
from kadence.performance.negotiation.models import (  # noqa: F401
    Negotiation,
    NegotiationFigure,
    NegotiationParty,
    NegotiationPolicy,
)
from kadence.performance.sizing.models import SizingAssumption  # noqa: F401
