"""Admin for deal-control configuration: the policy (thresholds), C139 item wording, expense
categories. Deal records themselves (evidence, assessments, expenses) are worked on the deal pages."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kadence.deals.models import C139Question, ControlPolicy, ExpenseCategory


@admin.register(ControlPolicy)
class ControlPolicyAdmin(admin.ModelAdmin):
    """One row: add only when missing, never delete."""

    fieldsets = [
        ("C139", {"fields": ["c139_rule", "c139_min_clear_mid"]}),
        (_("Evidence"), {"fields": ["evidence_max_bytes", "evidence_extensions"]}),
        (_("Expenses"), {"fields": ["expense_warn_pct", "expense_limit_pct"]}),
        (_("Buying centre"), {"fields": ["required_buying_roles", "contact_stale_days"]}),
        (
            _("Bid / no-bid"),
            {
                "fields": [
                    "bid_pursue_min_score",
                    "bid_abandon_max_score",
                    "bid_abandon_min_signs",
                    "bid_qualify_days",
                ]
            },
        ),
        (_("Milestones"), {"fields": ["milestone_slip_warn_days"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return not ControlPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(C139Question)
class C139QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "tier", "name_zh", "name_en"]
    list_editable = ["name_zh", "name_en"]
    readonly_fields = ["code", "tier"]

    def has_add_permission(self, request) -> bool:
        return False  # the 13 items are fixed by the method; their wording is editable

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExpenseCategory)
class ExpenseCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "order", "is_active"]
    list_editable = ["order", "is_active"]
