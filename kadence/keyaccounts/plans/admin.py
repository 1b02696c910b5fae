from django.contrib import admin

from kadence.keyaccounts.plans.models import PlanPolicy


@admin.register(PlanPolicy)
class PlanPolicyAdmin(admin.ModelAdmin):
    list_display = ("due_soon_days", "recent_activity_days", "home_limit", "updated_at")
