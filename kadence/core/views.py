"""Core pages: health check (login, home and language live here too)."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """200 with {"status": "ok"} when the app answers and the database does; 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # the point is to report any database failure, whatever its type
        return JsonResponse({"status": "error", "database": "down", "detail": exc.__class__.__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "up", "vendor": connection.vendor})
