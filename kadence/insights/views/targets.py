"""Insights pages: targets (work in progress)."""

urlpatterns: list = []
