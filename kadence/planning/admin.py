"""Admin for planning: the forecast policy (thresholds of funnel control and forecasting, one row) and
targets. Managers and directors set targets on the targets page (/targets/), which checks their
scope and audits every change; the admin list is for an administrator's overview and fixes."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.audit import audit_changes
from kadence.domain.periods import period_containing
from kadence.planning.models import ForecastPolicy, Target
from kadence.planning.services.targets import ENTITY


@admin.register(ForecastPolicy)
class ForecastPolicyAdmin(admin.ModelAdmin):
    """One row: add only when missing, never delete."""

    fieldsets = [
        (_("Stalled deals"), {"fields": ["stall_factor", "stall_no_activity_days", "stall_close_pushes"]}),
        (_("Ideal funnel"), {"fields": ["shortfall_ratio", "congestion_ratio"]}),
        (_("History and calibration"), {"fields": ["history_days", "calibration_min_outcomes"]}),
        (_("Forecast"), {"fields": ["monte_carlo_trials", "anomaly_threshold"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return not ForecastPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["period_kind", "period_start", "unit", "user", "amount", "currency", "version"]
    list_filter = ["period_kind", "period_start"]
    list_select_related = ["unit", "user"]
    search_fields = ["unit__name_zh", "unit__name_en", "user__username", "user__display_name"]
    readonly_fields = ["created_by", "created_at", "updated_at", "version"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change) -> None:
        """Saved as the targets page saves: the period start normalised, the version bumped, audited."""
        period = period_containing(obj.period_kind, obj.period_start)
        obj.period_start = period.start
        changes = {f: (form.initial.get(f) if change else None, getattr(obj, f)) for f in form.changed_data}
        if "period_start" in changes or not change:
            changes["period_start"] = (form.initial.get("period_start") if change else None, obj.period_start)
        if change:
            obj.version += 1
            obj.updated_at = timezone.now()
        else:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        audit_changes(ENTITY, obj.pk, changes, request.user, "admin")
