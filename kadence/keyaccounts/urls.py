from django.urls import path

from kadence.keyaccounts import views
from kadence.keyaccounts.coverage.urls import urlpatterns as coverage_urls
from kadence.keyaccounts.platforms.urls import urlpatterns as platforms_urls

# each part adds its own urlpatterns here
urlpatterns = [
    path("key-accounts/", views.hub, name="keyaccounts_hub"),
]
urlpatterns += coverage_urls
urlpatterns += platforms_urls
