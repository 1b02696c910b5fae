from django.urls import path

from kadence.performance.dashboard import views

urlpatterns = [path("performance/dashboard/", views.dashboard_page, name="performance_dashboard")]
