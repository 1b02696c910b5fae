"""Django admin for the KPIs and the grade bands (configuration as data). An edit of a KPI bumps its
version, is audited and is kept as a KpiDefinitionVersion, as through the API."""

from django.contrib import admin
from django.utils import timezone

from kadence.core.audit import audit_changes
from kadence.performance.kpi.models import GradeBand, KpiDefinition, KpiDefinitionVersion, Scorecard
from kadence.performance.kpi.services import keep_version


class VersionInline(admin.TabularInline):
    model = KpiDefinitionVersion
    extra = 0
    can_delete = False
    readonly_fields = ("version", "values", "changed_by", "changed_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(KpiDefinition)
class KpiDefinitionAdmin(admin.ModelAdmin):
    list_display = (
        "role",
        "code",
        "name_zh",
        "name_en",
        "metric",
        "weight",
        "target",
        "curve",
        "is_active",
        "version",
    )
    list_filter = ("role", "metric", "is_active")
    readonly_fields = ("version", "updated_at")
    inlines = [VersionInline]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
            audit_changes(
                "performance.kpidefinition",
                obj.pk,
                {f: (form.initial.get(f), getattr(obj, f)) for f in form.changed_data},
                request.user,
            )
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
        keep_version(obj, request.user)


@admin.register(GradeBand)
class GradeBandAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "min_score")


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ("user", "period_kind", "period_start", "total", "grade", "computed_at", "version")
    list_filter = ("period_kind", "grade")
    raw_id_fields = ("user", "unit", "computed_by")

    def has_change_permission(self, request, obj=None):
        return False
