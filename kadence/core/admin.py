from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from kadence.core.models import ApiToken, AuditEntry, OrgUnit, ScheduledJob, User


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("name_zh", "name_en", "kind", "code", "parent", "path")
    list_filter = ("kind",)
    search_fields = ("name_zh", "name_en", "code")

    def save_model(self, request, obj, form, change):
        # The materialised path depends on the pk and the parent's path; keep the subtree in step.
        super().save_model(request, obj, form, change)
        from kadence.core.org import orgunit_rebuild_paths

        orgunit_rebuild_paths()


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Kadence"),
            {"fields": ("display_name", "role", "org_unit", "managed_units", "language", "amount_unit")},
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Kadence"), {"fields": ("display_name", "role", "org_unit")}),
    )
    list_display = ("username", "display_name", "role", "org_unit", "is_active")
    list_filter = ("role", "is_active", "org_unit")
    filter_horizontal = ("managed_units", "groups", "user_permissions")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "prefix",
        "user",
        "name",
        "created_at",
        "last_used_at",
        "revoked",
    )  # id: `kadence token revoke ID`
    list_filter = ("revoked",)
    readonly_fields = ("digest", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # tokens are issued with `kadence token create USERNAME`, shown once


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "entity", "entity_id", "field", "old_value", "new_value", "actor", "reason")
    list_filter = ("entity", "field")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    """When each scheduled job (kadence.core.jobs) was last enqueued; the runs themselves are under
    Django Tasks DB. Read-only: the worker keeps these rows."""

    list_display = ("name", "last_due_at", "last_enqueued_at", "last_task_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
