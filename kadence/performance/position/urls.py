from django.urls import path

from kadence.performance.position import views

urlpatterns = [path("performance/position/", views.position_page, name="performance_position")]
