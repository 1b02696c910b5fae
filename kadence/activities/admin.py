from django.contrib import admin

from kadence.activities.models import Activity


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "subject", "account", "owner", "done", "is_effective")
    list_filter = ("kind", "done", "is_effective")
    raw_id_fields = ("account", "opportunity", "owner", "contacts")
    search_fields = ("subject", "account__name")
