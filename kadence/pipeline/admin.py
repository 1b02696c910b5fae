"""Admin for the methodology (configuration as data). Stage history is read-only: it is written
only by the services, and never edited."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kadence.pipeline.models import (
    Competitor,
    DealRole,
    ExitCriterion,
    LossReason,
    Opportunity,
    OpportunityTeamMember,
    PipelineSnapshot,
    ProbabilityLevel,
    ProcessTemplate,
    ProductLine,
    SnapshotPolicy,
    Stage,
    StageChange,
    StageTask,
)


@admin.register(ProbabilityLevel)
class ProbabilityLevelAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "order",
        "probability",
        "default_forecast_category",
        "is_won",
        "is_lost",
        "mark",
    )
    list_editable = ("probability", "default_forecast_category", "mark")


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = (
        "order",
        "code",
        "name_zh",
        "name_en",
        "buying_step_zh",
        "buying_step_en",
        "default_level",
        "standard_days",
        "is_won",
    )
    show_change_link = True


@admin.register(ProcessTemplate)
class ProcessTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "is_default", "is_active", "source")
    inlines = [StageInline]


class ExitCriterionInline(admin.TabularInline):
    model = ExitCriterion
    extra = 0
    fields = ("order", "code", "kind", "name_zh", "name_en", "config", "is_active")


class StageTaskInline(admin.TabularInline):
    """The stage's task list (任务清单) with completion standards (达成标准): entering the stage copies
    the active rows onto the deal."""

    model = StageTask
    extra = 0
    fields = (
        "order",
        "code",
        "name_zh",
        "name_en",
        "standard_zh",
        "standard_en",
        "role",
        "due_days",
        "is_active",
    )


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = (
        "template",
        "order",
        "name_zh",
        "name_en",
        "default_level",
        "standard_days",
        "is_won",
        "roles",
    )
    list_filter = ("template",)
    filter_horizontal = ("required_roles",)
    inlines = [ExitCriterionInline, StageTaskInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("template", "default_level")
            .prefetch_related("required_roles")
        )

    @admin.display(description=_("roles this stage needs"))
    def roles(self, obj: Stage) -> str:
        return ", ".join(role.name for role in obj.required_roles.all()) or "—"


for model in (ProductLine, LossReason, DealRole):
    admin.site.register(model, list_display=("code", "name_zh", "name_en"))
admin.site.register(Competitor, search_fields=("name",))


class TeamInline(admin.TabularInline):
    model = OpportunityTeamMember
    extra = 0
    raw_id_fields = ("user",)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    """Read-mostly: stage, level, status and owner change through the services (history and audit)."""

    list_display = ("name", "account", "owner", "stage", "level", "amount", "status", "expected_close_date")
    list_filter = ("status", "template", "level")
    search_fields = ("name", "account__name")
    list_select_related = ("account", "owner", "stage", "level")
    raw_id_fields = ("account", "owner")
    readonly_fields = (
        "stage",
        "level",
        "probability",
        "status",
        "owner",
        "team",
        "template",
        "version",
        "loss_reason",
        "winning_competitor",
        "closed_on",
        "stage_entered_at",
    )
    inlines = [TeamInline]

    def has_add_permission(self, request):
        return False  # created through the pages or the API, which write the first history row

    def has_change_permission(self, request, obj=None):
        return False  # every change goes through the services (history, audit, version)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = (
        "opportunity",
        "kind",
        "from_stage_name",
        "to_stage_name",
        "to_level",
        "amount",
        "changed_by",
        "changed_at",
        "overridden",
    )
    list_filter = ("kind", "overridden")
    raw_id_fields = ("opportunity",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SnapshotPolicy)
class SnapshotPolicyAdmin(admin.ModelAdmin):
    """How often `kadence pipeline-snapshot` snapshots the pipeline: one row, never deleted."""

    fields = ["every_days"]

    def has_add_permission(self, request):
        return not SnapshotPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PipelineSnapshot)
class PipelineSnapshotAdmin(admin.ModelAdmin):
    """The snapshots written (read only: `kadence pipeline-snapshot` writes, checks and repairs them)."""

    list_display = ("taken_on", "deals", "complete", "built_at")
    ordering = ("-taken_on",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
