"""Where the key-account parts meet the pages below them (imported once by KeyAccountsConfig.ready): the
home page's slots (kadence.insights.home_slots)."""

from __future__ import annotations

from datetime import date  # noqa: E402
from typing import Any  # noqa: E402

from kadence.core.models import User  # noqa: E402
from kadence.insights.home_slots import HomeSlot, register  # noqa: E402
from kadence.keyaccounts.plans.selectors import home_actions  # noqa: E402


def plan_actions_slot(user: User, today: date) -> dict[str, Any] | None:
    """The account-plan actions `user` owns that are overdue or due soon (kadence.keyaccounts.plans):
    two queries whatever the data (the policy row, the actions with their plan and account)."""
    found = home_actions(user, today)
    if found is None:
        return None
    policy, rows = found
    return {"rows": rows, "due_soon_days": policy.due_soon_days}


register(HomeSlot("kam_plan_actions", "keyaccounts/plans/_home.html", plan_actions_slot, order=20))
