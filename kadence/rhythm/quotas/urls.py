from django.urls import path

from kadence.rhythm.quotas import views

urlpatterns = [
    path("rhythm/quotas/", views.quotas_page, name="rhythm_quotas"),
    path("rhythm/effort/", views.effort_page, name="rhythm_effort"),
]
