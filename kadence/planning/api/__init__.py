"""Planning over the API: one module (and router) per capability, mounted under /api/ by config/api.py."""
