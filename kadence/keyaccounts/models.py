"""The key-account app's models, one module per part, each imported here so that Django finds them."""

from kadence.keyaccounts.plans.models import AccountPlan, PlanAction, PlanPolicy, PlanQuarter  # noqa: F401
