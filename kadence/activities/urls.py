"""Activity pages: list, log / plan, edit, mark done."""

from django.urls import path

from kadence.activities import views

urlpatterns = [
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:activity_id>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:activity_id>/done/", views.activity_done, name="activity_done"),
]
