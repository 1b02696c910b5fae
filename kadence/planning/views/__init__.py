"""Planning pages, one module per capability; each module lists its own `urlpatterns`."""
