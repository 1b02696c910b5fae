"""The dashboard policy in the Django admin (one row; thresholds as data)."""

from django.contrib import admin
from django.utils import timezone

from kadence.core.audit import audit_changes
from kadence.performance.dashboard.models import DashboardPolicy


@admin.register(DashboardPolicy)
class DashboardPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "z_threshold",
        "iqr_factor",
        "min_peers",
        "coverage_drop",
        "coverage_lookback_days",
        "v_bins",
    )
    readonly_fields = ("version", "updated_at")

    def has_add_permission(self, request):
        return not DashboardPolicy.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        audit_changes(
            "performance.dashboardpolicy",
            1,
            {f: (form.initial.get(f), getattr(obj, f)) for f in form.changed_data},
            request.user,
        )
        if change:
            obj.version += 1
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
