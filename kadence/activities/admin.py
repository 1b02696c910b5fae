from django.contrib import admin
from django.db import transaction

from kadence.activities.models import Activity
from kadence.activities.stall import refresh_last_activity
from kadence.pipeline.stall import lock


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """An admin may add, change (even move to another deal) and delete activities here, outside the
    services: each write keeps the stall summary of the deals it touches exact, as the services do
    (in one transaction, the deals' row locks first)."""

    list_display = ("date", "kind", "subject", "account", "owner", "done", "is_effective")
    list_filter = ("kind", "done", "is_effective")
    raw_id_fields = ("account", "opportunity", "owner", "contacts")
    search_fields = ("subject", "account__name")

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        before = Activity.objects.filter(pk=obj.pk).values_list("opportunity_id", flat=True).first()
        deals = lock([before, obj.opportunity_id])
        super().save_model(request, obj, form, change)
        refresh_last_activity(deals)

    @transaction.atomic
    def delete_model(self, request, obj):
        deals = lock([obj.opportunity_id])
        super().delete_model(request, obj)
        refresh_last_activity(deals)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        deals = lock(queryset.values_list("opportunity_id", flat=True))
        super().delete_queryset(request, queryset)
        refresh_last_activity(deals)
