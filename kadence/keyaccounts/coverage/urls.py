from django.urls import path

from kadence.keyaccounts.coverage import views

urlpatterns = [
    path("key-accounts/coverage/", views.coverage_page, name="keyaccounts_coverage"),
    path("key-accounts/coverage/accounts/", views.accounts_page, name="keyaccounts_coverage_accounts"),
    path("key-accounts/coverage/assign/", views.assign, name="keyaccounts_coverage_assign"),
    path("key-accounts/coverage/policy/", views.policy, name="keyaccounts_coverage_policy"),
    path("key-accounts/coverage/activation/", views.activation_page, name="keyaccounts_coverage_activation"),
]
