"""Insights pages, one module per capability; each lists its own `urlpatterns`."""
