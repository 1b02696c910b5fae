from django.urls import path

from kadence.rhythm.notify import views

urlpatterns = [
    path("rhythm/notifications/", views.notification_list, name="rhythm_notifications"),
    path(
        "rhythm/notifications/<int:notification_id>/read/",
        views.notification_read,
        name="rhythm_notification_read",
    ),
    path(
        "rhythm/notifications/read-all/", views.notifications_read_all, name="rhythm_notifications_read_all"
    ),
    path("rhythm/notifications/channels/", views.notification_channels, name="rhythm_notification_channels"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="rhythm_calendar_feed"),
]
