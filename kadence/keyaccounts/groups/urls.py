from django.urls import path

from kadence.keyaccounts.groups import views

urlpatterns = [
    path("key-accounts/groups/", views.group_list, name="keyaccounts_groups"),
    path("key-accounts/groups/<int:account_id>/", views.group_page, name="keyaccounts_group"),
    path("key-accounts/groups/<int:account_id>/panel/", views.group_panel, name="keyaccounts_group_panel"),
    path("key-accounts/accounts/<int:account_id>/members/", views.member_add, name="keyaccounts_member_add"),
    path(
        "key-accounts/accounts/<int:account_id>/members/<int:member_id>/remove/",
        views.member_remove,
        name="keyaccounts_member_remove",
    ),
    path("key-accounts/accounts/<int:account_id>/merge/", views.merge_page, name="keyaccounts_merge"),
]
