"""Reports over the API: one module (and router) per report, mounted under /api/ by config/api.py."""
