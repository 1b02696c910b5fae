"""Time the main read endpoints as the API serves them, against a large database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/api_reads.py

Runs each request REPEAT times per persona (a rep, a manager, a director, the admin) through Django's
test client (no network) and prints the median and the 90th percentile in milliseconds.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from kadence.core.models import ApiToken, User  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "7"))
PATHS = [
    "/api/opportunities?status=open&page_size=25",
    "/api/opportunities?status=open&sort=-amount&page_size=25",
    "/api/opportunities?q=%E7%94%B5%E5%8A%9B&page_size=25",
    "/api/accounts?page_size=25",
    "/api/activities?page_size=25",
]


def main() -> None:
    client = Client()
    personas = [
        User.objects.filter(role=role).order_by("id").first()
        for role in ("rep", "manager", "director", "admin")
    ]
    print(f"{'persona':<10} {'path':<60} {'median ms':>10} {'p90 ms':>8}")
    for user in personas:
        if user is None:
            continue
        _row, token = ApiToken.issue(user, "bench")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        for path in PATHS:
            times = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                response = client.get(path, **headers)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, response.status_code, response.content[:200])
            times.sort()
            p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
            print(f"{user.role:<10} {path:<60} {statistics.median(times):>10.1f} {p90:>8.1f}")
        ApiToken.objects.filter(user=user, name="bench").delete()


if __name__ == "__main__":
    main()
