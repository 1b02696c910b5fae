from django.urls import path

from kadence.keyaccounts import views
from kadence.keyaccounts.plans.urls import urlpatterns as plans_urls

# each part adds its own urlpatterns here
urlpatterns = [
    path("key-accounts/", views.hub, name="keyaccounts_hub"),
]
urlpatterns += plans_urls
