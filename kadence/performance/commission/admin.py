"""Django admin for the commissions: read-only views of the plans, their versions and assignments, the
credit rules, the runs and the statements. Every change goes through the services (the plan editor page
or the API), which version and audit it."""

from typing import Any

from django.contrib import admin

from kadence.performance.commission.models import (
    CommissionAssignment,
    CommissionPlan,
    CommissionPlanVersion,
    CommissionRun,
    CommissionStatement,
    CreditRule,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(CommissionPlan)
class CommissionPlanAdmin(ReadOnly):
    list_display = ("code", "name_zh", "name_en", "kind", "period_kind", "is_active", "version")


@admin.register(CommissionPlanVersion)
class CommissionPlanVersionAdmin(ReadOnly):
    list_display = ("plan", "effective_from", "salary", "cap", "group_rate", "expense_cap", "changed_by")


@admin.register(CommissionAssignment)
class CommissionAssignmentAdmin(ReadOnly):
    list_display = ("plan", "user", "role", "effective_from")


@admin.register(CreditRule)
class CreditRuleAdmin(ReadOnly):
    list_display = ("role", "share", "version")


@admin.register(CommissionRun)
class CommissionRunAdmin(ReadOnly):
    list_display = (
        "period_kind",
        "period_start",
        "unit",
        "state",
        "statements",
        "computed_by",
        "computed_at",
    )


@admin.register(CommissionStatement)
class CommissionStatementAdmin(ReadOnly):
    list_display = ("user", "period_kind", "period_start", "plan_code", "credited", "payout", "version")
    list_select_related = ("user",)
