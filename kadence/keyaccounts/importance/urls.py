from django.urls import path

from kadence.keyaccounts.importance import views

urlpatterns = [
    path("key-accounts/importance/", views.ranking_page, name="keyaccounts_importance_ranking"),
    path("key-accounts/importance/types/", views.types_page, name="keyaccounts_importance_types"),
    path("key-accounts/importance/settings/", views.settings_page, name="keyaccounts_importance_settings"),
    path(
        "key-accounts/importance/account/<int:account_id>/",
        views.account_page,
        name="keyaccounts_importance_account",
    ),
]
