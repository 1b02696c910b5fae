from django.urls import path

from kadence.keyaccounts import views

# each part adds its own urlpatterns here
urlpatterns = [
    path("key-accounts/", views.hub, name="keyaccounts_hub"),
]

from kadence.keyaccounts.value.views import urlpatterns as value_urls  # noqa: E402

urlpatterns += value_urls
