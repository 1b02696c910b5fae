from django.urls import path

from kadence.performance.commission import views

urlpatterns = [
    path("performance/commission/", views.statement_page, name="performance_commission_statement"),
    path("performance/commission/team/", views.team_page, name="performance_commission_team"),
    path("performance/commission/compute/", views.compute_period, name="performance_commission_compute"),
    path("performance/commission/plans/", views.plans_page, name="performance_commission_plans"),
]
