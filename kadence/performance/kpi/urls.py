from django.urls import path

from kadence.performance.kpi import views

urlpatterns = [
    path("performance/kpi/", views.card_page, name="performance_kpi_card"),
    path("performance/kpi/team/", views.team_page, name="performance_kpi_team"),
    path("performance/kpi/score/", views.score_period, name="performance_kpi_score"),
    path("performance/kpi/ranking/", views.ranking_page, name="performance_kpi_ranking"),
    path("performance/kpi/definitions/", views.definitions_page, name="performance_kpi_definitions"),
    path("performance/kpi/inputs/", views.inputs_page, name="performance_kpi_inputs"),
    path("performance/leaderboard/", views.leaderboard_page, name="performance_leaderboard"),
]
