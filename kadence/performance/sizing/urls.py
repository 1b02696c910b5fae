from django.urls import path

from kadence.performance.sizing import views

urlpatterns = [
    path("performance/sizing/", views.sizing_page, name="performance_sizing"),
    path("performance/sizing/inputs/", views.sizing_inputs, name="performance_sizing_inputs"),
]
