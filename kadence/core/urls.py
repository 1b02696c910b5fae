from django.urls import path

from kadence.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language_pref, name="set_language_pref"),
    path("preferences/", views.preferences, name="preferences"),
]
