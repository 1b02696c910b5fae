"""The key-account app's models, one module per part, each imported here so that Django finds them."""

from kadence.keyaccounts.coverage.models import CoveragePolicy  # noqa: F401
from kadence.keyaccounts.groups.models import MergedAccount  # noqa: F401
from kadence.keyaccounts.importance.models import (  # noqa: F401
    AccountImportance,
    ImportanceConfig,
    ImportanceCriterion,
    ImportanceEntry,
    ImportanceScore,
)
from kadence.keyaccounts.kam.models import (  # noqa: F401
    AccountKam,
    CsiAnswer,
    CsiQuestion,
    CsiSurvey,
    KamChecklistItem,
    KamStage,
    KamStageChange,
    KamTick,
)
from kadence.keyaccounts.plans.models import AccountPlan, PlanAction, PlanPolicy, PlanQuarter  # noqa: F401
from kadence.keyaccounts.platforms.models import PlatformCriteria, PlatformSnapshot  # noqa: F401
from kadence.keyaccounts.value.models import (  # noqa: F401
    AbcClass,
    BuyingPower,
    BuyingPowerHistory,
    KamMarginRate,
    KamValuePolicy,
    RadCell,
)
