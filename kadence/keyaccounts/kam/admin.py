"""An admin edits the KAM stages (names, work focus), their checklist items and the CSI questions (texts,
weights, active or not) in Django's admin. Surveys keep each answer's weight at the time."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kadence.keyaccounts.kam.models import CsiQuestion, KamChecklistItem, KamStage


class KamChecklistItemInline(admin.TabularInline):
    model = KamChecklistItem
    extra = 1
    fields = ("order", "text_zh", "text_en", "is_active")


@admin.register(KamStage)
class KamStageAdmin(admin.ModelAdmin):
    list_display = ("order", "code", "name_zh", "name_en")
    readonly_fields = ("code", "order")
    inlines = (KamChecklistItemInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CsiQuestion)
class CsiQuestionAdmin(admin.ModelAdmin):
    list_display = ("order", "code", "text_zh", "text_en", "weight", "is_active")
    list_editable = ("weight", "is_active")
    list_display_links = ("code",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
