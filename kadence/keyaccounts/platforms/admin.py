"""Django admin for the screening platforms: read-only. The criteria change through the platforms page's
form or the API (services.criteria_update, versioned and audited); the snapshots are computed."""

from typing import Any

from django.contrib import admin

from kadence.keyaccounts.platforms.models import PlatformCriteria, PlatformSnapshot


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(PlatformCriteria)
class PlatformCriteriaAdmin(ReadOnly):
    list_display = ("min_size", "min_buying_power", "active_days", "revenue_days", "version", "updated_at")


@admin.register(PlatformSnapshot)
class PlatformSnapshotAdmin(ReadOnly):
    list_display = ("account", "period_start", "platform", "owner", "team")
    list_filter = ("period_start", "platform")
    raw_id_fields = ("account",)
