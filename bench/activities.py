"""The activity list at scale: the old visibility rule (a filter testing each activity against every
visible deal) beside the new one (a UNION of id sets, each read through its own index), and the
hand-written SQL floor, for a rep, a manager, a director and the admin.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/activities.py

Each figure is the median of REPEAT runs (ms) of the first page of 25 plus its count, as
kadence.activities.selectors.activity_list computes them. The old rule runs under a statement timeout
(OLD_TIMEOUT_MS, 30 s); "timeout" means it did not finish.
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

from django.db import OperationalError, connection, transaction  # noqa: E402
from django.db.models import Q  # noqa: E402

from kadence.activities.models import Activity  # noqa: E402
from kadence.activities.selectors import activity_list  # noqa: E402
from kadence.core.models import User  # noqa: E402
from kadence.core.pagination import paginate  # noqa: E402
from kadence.core.visibility import ALL, scope_unit_ids, visible_opportunities  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "5"))
OLD_TIMEOUT_MS = int(os.environ.get("OLD_TIMEOUT_MS", "30000"))


def old_rule(user: User):
    """The rule before: owner, account owner, team, or the deal IN (every visible deal)."""
    qs = Activity.objects.all()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return qs
    rule = Q(owner=user) | Q(opportunity__in=visible_opportunities(user)) | Q(account__owner=user)
    if scope:
        rule |= Q(team_id__in=scope)
    return qs.filter(rule)


def old_list(user: User):
    qs = old_rule(user).select_related("account", "opportunity", "owner").prefetch_related("contacts")
    return paginate(qs.order_by("-date", "-id"), 1, 25)


def floor(user: User):
    """The same page and count in hand-written SQL (the union of the user's id sets)."""
    scope = scope_unit_ids(user)
    parts = [
        "SELECT id FROM activities_activity WHERE owner_id = %(u)s",
        "SELECT a.id FROM activities_activity a JOIN accounts_account c ON c.id = a.account_id WHERE c.owner_id = %(u)s",
        "SELECT a.id FROM activities_activity a JOIN pipeline_opportunity o ON o.id = a.opportunity_id WHERE o.owner_id = %(u)s",
        "SELECT a.id FROM activities_activity a JOIN pipeline_opportunityteammember m ON m.opportunity_id = a.opportunity_id WHERE m.user_id = %(u)s",
    ]
    params: dict = {"u": user.pk}
    if scope is ALL:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, date FROM activities_activity ORDER BY date DESC, id DESC LIMIT 25")
            cursor.fetchall()
            cursor.execute("SELECT count(*) FROM activities_activity")
            cursor.fetchone()
        return
    else:
        if scope:
            params["units"] = sorted(scope)
            parts += [
                "SELECT id FROM activities_activity WHERE team_id = ANY(%(units)s)",
                "SELECT a.id FROM activities_activity a JOIN pipeline_opportunity o ON o.id = a.opportunity_id WHERE o.team_id = ANY(%(units)s)",
            ]
        ids = " UNION ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, date FROM activities_activity WHERE id IN ({ids}) ORDER BY date DESC, id DESC LIMIT 25",
            params,
        )
        cursor.fetchall()
        cursor.execute(f"SELECT count(*) FROM activities_activity WHERE id = ANY(ARRAY({ids}))", params)
        cursor.fetchone()


def timed(fn, user: User, timeout_ms: int | None = None) -> str:
    times = []
    for _ in range(REPEAT):
        try:
            with transaction.atomic():
                if timeout_ms:
                    with connection.cursor() as cursor:
                        cursor.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
                start = time.perf_counter()
                fn(user)
                times.append((time.perf_counter() - start) * 1000)
        except OperationalError:
            return "timeout"
    return f"{statistics.median(times):.1f}"


def main() -> None:
    personas = [
        User.objects.filter(role=role).order_by("id").first()
        for role in ("rep", "manager", "director", "admin")
    ]
    print(f"activities: {Activity.objects.count():,}")
    print(f"{'persona':<10} {'visible':>9} {'old ms':>10} {'new ms':>10} {'SQL floor ms':>13}")
    for user in personas:
        visible = activity_list(user, page=1).count
        new = timed(lambda u: activity_list(u, page=1), user)
        old = timed(old_list, user, OLD_TIMEOUT_MS)
        low = timed(floor, user)
        print(f"{user.role:<10} {visible!s:>9} {old:>10} {new:>10} {low:>13}")


if __name__ == "__main__":
    main()
