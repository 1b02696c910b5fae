from kadence.performance.kpi.models import (  # noqa: F401
    GradeBand,
    KpiDefinition,
    KpiDefinitionVersion,
    KpiManualInput,
    Scorecard,
    ScorecardLine,
)
