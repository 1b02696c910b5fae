"""Insights pages: forecast (work in progress)."""

urlpatterns: list = []
