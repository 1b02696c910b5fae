"""Django admin for the coverage policy: read-only. Changes go through the coverage page's form or the API
(kadence.keyaccounts.coverage.services.policy_update), which version and audit them."""

from typing import Any

from django.contrib import admin

from kadence.keyaccounts.coverage.models import CoveragePolicy


@admin.register(CoveragePolicy)
class CoveragePolicyAdmin(admin.ModelAdmin):
    list_display = ("outside_limit", "inside_limit", "neglect_days", "version", "updated_at")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
