"""WSGI entry point (gunicorn config.wsgi)."""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A web worker's statements run under the web time limit (settings: KADENCE_STATEMENT_TIMEOUT_MS);
# management commands and the background worker, which import settings without this, have none.
os.environ["KADENCE_WEB_PROCESS"] = "1"
application = get_wsgi_application()

# Load every view, the API and its schemas now, then take everything loaded so far (some 200,000
# objects of code and configuration, alive as long as the worker) out of the cyclic garbage
# collector's generations: a full collection then walks only what requests create. A report that
# builds a company's thousands of rows triggers such collections; they cost it about a third of its
# time (admin's /api/forecast at 1M deals: 460 -> 280 ms in process). Nothing frozen is garbage.
import_module(settings.ROOT_URLCONF)
gc.freeze()
