"""Deal-control pages, one module per capability; each module lists its own `urlpatterns`."""
