from django.contrib import admin

from kadence.rhythm.notify.models import DigestRecord, Notification, NotifyChannels


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """For looking into what was collected; the collection run writes these rows."""

    list_display = ("user", "kind", "key", "due_date", "read_at", "resolved_at", "emailed_at")
    list_filter = ("kind",)
    raw_id_fields = ("user",)
    search_fields = ("key", "user__username")


@admin.register(NotifyChannels)
class NotifyChannelsAdmin(admin.ModelAdmin):
    list_display = ("user", "email_digest", "calendar_feed")
    raw_id_fields = ("user",)
    exclude = ("feed_digest",)
    readonly_fields = ("feed_created_at",)


@admin.register(DigestRecord)
class DigestRecordAdmin(admin.ModelAdmin):
    list_display = ("day", "user", "claimed_at", "sent_at", "items", "error")
    raw_id_fields = ("user",)
    list_filter = ("day",)
