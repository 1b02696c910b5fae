from django.urls import path

from kadence.keyaccounts import views
from kadence.keyaccounts.groups.urls import urlpatterns as groups_urls

# each part adds its own urlpatterns here
urlpatterns = [
    path("key-accounts/", views.hub, name="keyaccounts_hub"),
]
urlpatterns += groups_urls
