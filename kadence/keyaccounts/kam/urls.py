from django.urls import path

from kadence.keyaccounts.kam import views

urlpatterns = [
    path("key-accounts/kam/", views.board_page, name="keyaccounts_kam_board"),
    path("key-accounts/kam/account/<int:account_id>/", views.account_page, name="keyaccounts_kam_account"),
]
