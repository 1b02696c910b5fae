from django.urls import path

from kadence.keyaccounts.platforms import views

urlpatterns = [
    path("key-accounts/platforms/", views.platforms_page, name="keyaccounts_platforms"),
    path(
        "key-accounts/platforms/accounts/", views.platform_accounts_page, name="keyaccounts_platform_accounts"
    ),
    path("key-accounts/platforms/compute/", views.compute, name="keyaccounts_platforms_compute"),
    path("key-accounts/platforms/criteria/", views.criteria, name="keyaccounts_platforms_criteria"),
]
