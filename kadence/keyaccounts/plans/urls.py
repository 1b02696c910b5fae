from django.urls import path

from kadence.keyaccounts.plans import views

urlpatterns = [
    path("key-accounts/plans/", views.plan_list, name="kam_plan_list"),
    path("key-accounts/plans/settings/", views.plan_settings, name="kam_plan_settings"),
    path("key-accounts/plans/new/", views.plan_new, name="kam_plan_new"),
    path("key-accounts/plans/<int:plan_id>/", views.plan_detail, name="kam_plan_detail"),
    path("key-accounts/plans/<int:plan_id>/print/", views.plan_print, name="kam_plan_print"),
    path("key-accounts/plans/<int:plan_id>/edit/", views.plan_edit, name="kam_plan_edit"),
    path("key-accounts/plans/<int:plan_id>/status/", views.plan_status, name="kam_plan_status"),
    path(
        "key-accounts/plans/<int:plan_id>/quarters/<int:quarter_id>/",
        views.quarter_save,
        name="kam_plan_quarter",
    ),
    path("key-accounts/plans/<int:plan_id>/actions/", views.action_add, name="kam_plan_action_add"),
    path(
        "key-accounts/plans/<int:plan_id>/actions/<int:action_id>/",
        views.action_edit,
        name="kam_plan_action_edit",
    ),
    path(
        "key-accounts/plans/<int:plan_id>/actions/<int:action_id>/activities/",
        views.action_attach,
        name="kam_plan_action_attach",
    ),
]
