"""The one NinjaAPI of Kadence, mounted at /api/ (OpenAPI at /api/openapi.json, docs at /api/docs)."""

from ninja import NinjaAPI

api = NinjaAPI(title="Kadence API", version="1", urls_namespace="api")
