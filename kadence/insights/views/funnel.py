"""Insights pages: funnel (work in progress)."""

urlpatterns: list = []
