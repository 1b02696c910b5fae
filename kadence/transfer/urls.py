from django.urls import path

from kadence.transfer import views

urlpatterns = [
    path("export/<slug:name>.<slug:fmt>", views.list_export, name="list_export"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:job_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:job_id>/status", views.import_status, name="import_status"),
    path("imports/<int:job_id>/preview", views.import_preview, name="import_preview"),
    path("imports/<int:job_id>/bad-rows.<slug:fmt>", views.import_bad_rows, name="import_bad_rows"),
    path("imports/<int:job_id>/<slug:action>", views.import_action, name="import_action"),
    # exports in the background
    path("exports/", views.export_list, name="export_list"),
    path("exports/status", views.export_status, name="export_status"),
    path("exports/<int:job_id>/download", views.export_download, name="export_download"),
]
