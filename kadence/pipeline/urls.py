"""Pipeline pages: board, opportunity list, the opportunity forms and the actions of the opportunity page
(POST only; the page itself is composed by deal control: kadence.deals.views.overview)."""

from django.urls import path

from kadence.pipeline import views

urlpatterns = [
    path("pipeline/", views.pipeline_board, name="pipeline_board"),
    path("opportunities/", views.opportunity_list, name="opportunity_list"),
    path("opportunities/new/", views.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("opportunities/<int:pk>/close-won/", views.opportunity_close_won, name="opportunity_close_won"),
    path("opportunities/<int:pk>/close-lost/", views.opportunity_close_lost, name="opportunity_close_lost"),
    path("opportunities/<int:pk>/reopen/", views.opportunity_reopen, name="opportunity_reopen"),
    path("opportunities/<int:pk>/reassign/", views.opportunity_reassign, name="opportunity_reassign"),
    path("opportunities/<int:pk>/team/add/", views.opportunity_team_add, name="opportunity_team_add"),
    path(
        "opportunities/<int:pk>/team/remove/", views.opportunity_team_remove, name="opportunity_team_remove"
    ),
]
