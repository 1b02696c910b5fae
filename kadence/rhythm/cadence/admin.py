"""Admin of the 1-15-30 cadence's policy (configuration as data): one row, edited, never added twice
or deleted. Reviews, items and debriefs are written by the services only: read-only here."""

from typing import Any

from django.contrib import admin

from kadence.rhythm.cadence.models import CadenceItem, CadencePolicy, Debrief, Review


@admin.register(CadencePolicy)
class CadencePolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "follow_up_days", "judgement_days", "due_soon_days", "next_step_max_days")
    fields = ["follow_up_days", "judgement_days", "due_soon_days", "next_step_max_days"]

    def has_add_permission(self, request: Any) -> bool:
        return not CadencePolicy.objects.exists()

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnly):
    list_display = ("reviewed_on", "subject", "opportunity", "account", "rep", "reviewer")
    list_select_related = ("opportunity", "account", "rep", "reviewer")
    raw_id_fields = ("opportunity", "account", "rep", "reviewer", "team")


@admin.register(CadenceItem)
class CadenceItemAdmin(ReadOnly):
    list_display = ("due_on", "kind", "rep", "status", "outcome", "done_on")
    list_filter = ("kind", "status", "outcome")
    list_select_related = ("rep",)
    raw_id_fields = ("review", "rep", "team", "done_by", "superseded_by", "loss_reason")


@admin.register(Debrief)
class DebriefAdmin(ReadOnly):
    list_display = ("held_on", "kind", "rep", "manager")
    list_filter = ("kind",)
    list_select_related = ("rep", "manager")
    raw_id_fields = ("rep", "manager", "team", "account", "opportunity")
