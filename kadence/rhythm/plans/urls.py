"""The weekly plans' pages and the quick visit log."""

from django.urls import path

from kadence.rhythm.plans import views as plans

urlpatterns = [
    # weekly plans and the quick visit log
    path("rhythm/plans/", plans.my_plans, name="rhythm_plans"),
    path("rhythm/plans/open/", plans.plan_open, name="rhythm_plan_open"),
    path("rhythm/plans/team/", plans.team_plans, name="rhythm_plans_team"),
    path("rhythm/plans/account-parts/", plans.account_parts, name="rhythm_plan_account_parts"),
    path("rhythm/plans/account-options/", plans.account_options, name="rhythm_plan_account_options"),
    path("rhythm/plans/<int:plan_id>/", plans.plan_detail, name="rhythm_plan_detail"),
    path("rhythm/plans/<int:plan_id>/items/", plans.item_add, name="rhythm_plan_item_add"),
    path("rhythm/plans/<int:plan_id>/items/<int:item_id>/", plans.item_edit, name="rhythm_plan_item_edit"),
    path(
        "rhythm/plans/<int:plan_id>/items/<int:item_id>/remove/",
        plans.item_remove,
        name="rhythm_plan_item_remove",
    ),
    path("rhythm/plans/<int:plan_id>/submit/", plans.plan_submit, name="rhythm_plan_submit"),
    path("rhythm/plans/<int:plan_id>/copy-unfinished/", plans.plan_copy, name="rhythm_plan_copy"),
    path("rhythm/plans/<int:plan_id>/comments/", plans.plan_comment, name="rhythm_plan_comment"),
    path("rhythm/log-visit", plans.log_visit, name="rhythm_log_visit"),
    path(
        "rhythm/visits/attachments/<int:attachment_id>/",
        plans.visit_attachment,
        name="rhythm_visit_attachment",
    ),
]
