"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A web worker's statements run under the web time limit (settings: KADENCE_STATEMENT_TIMEOUT_MS);
# management commands and the background worker, which import settings without this, have none.
os.environ["KADENCE_WEB_PROCESS"] = "1"
application = get_wsgi_application()
