from kadence.performance.kpi.models import (  # noqa: F401
    GradeBand,
    KpiDefinition,
    KpiDefinitionVersion,
    KpiManualInput,
    Scorecard,
    ScorecardLine,
)
from kadence.performance.sizing.models import SizingAssumption  # noqa: F401
