from django.urls import path

from kadence.transfer import views

urlpatterns = [
    path("export/<slug:name>.<slug:fmt>", views.list_export, name="list_export"),
]
