"""A sales force of realistic shape for the benchmark seed (`kadence seed --reps N`).

A real book is a few hundred deals per rep, not tens of thousands: at one million deals that is about
2,000 reps. `grow_sales_force` adds whole regions (5–10 teams and a director each) of teams (8–12 reps,
a manager and an inside-sales user each) under the company until it has at least `reps` reps in teams.
Generated codes start with "g" (regions g001, g002…; teams g001-1…), so they never meet the demo's own
codes, and every user gets the demo password.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import make_password

from kadence.core.models import OrgUnit, User
from kadence.demo.catalogues import COMPANY_CODE, DEMO_PASSWORD, GIVEN_NAMES, SURNAMES

DEALS_PER_REP = 500  # the default book: `seed` sizes the sales force as deals ÷ this
TEAMS_PER_REGION = (5, 10)
REPS_PER_TEAM = (8, 12)
MAX_REPS = 100_000  # a bound, so that a typo cannot ask for millions of users


def reps_for(deals: int) -> int:
    """The number of reps a realistic book of `deals` needs (at least one)."""
    return max(1, -(-deals // DEALS_PER_REP))


def reps_in_teams() -> int:
    """Active reps placed in a team: the owners the seed gives deals to."""
    return User.objects.filter(is_active=True, role=User.Role.REP, org_unit__kind=OrgUnit.Kind.TEAM).count()


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES)[0] + rng.choice(GIVEN_NAMES)[0]


def _unit(kind: str, code: str, zh: str, en: str, parent: OrgUnit) -> OrgUnit:
    unit = OrgUnit.objects.create(kind=kind, code=code, name_zh=zh, name_en=en, parent=parent)
    unit.path = f"{parent.path}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def grow_sales_force(reps: int, *, seed: int = 42, stdout: Callable[[str], Any] | None = None) -> int:
    """Add regions of teams until the company has at least `reps` active reps in teams; return how many
    reps were added (0 when there are enough). Needs the company unit (the demo org)."""
    have = reps_in_teams()
    if have >= reps:
        return 0
    company = OrgUnit.objects.get(code=COMPANY_CODE)
    rng = random.Random(f"{seed}-sales-force")
    password = make_password(DEMO_PASSWORD)  # hashed once for everybody: hashing is slow on purpose
    taken = set(OrgUnit.objects.filter(code__startswith="g").values_list("code", flat=True))
    number = 0
    users: list[User] = []
    manages: list[tuple[str, OrgUnit]] = []  # (username, the unit they lead)
    added = 0

    def person(username: str, role: str, unit: OrgUnit) -> None:
        users.append(
            User(
                username=username,
                password=password,
                role=role,
                display_name=_name(rng),
                org_unit=unit,
                email=f"{username}@huagong-demo.cn",
            )
        )

    while have + added < reps:
        number += 1
        code = f"g{number:03d}"
        if code in taken:
            continue
        region = _unit(OrgUnit.Kind.REGION, code, f"第{number}大区", f"Region {number}", company)
        person(f"director.{code}", User.Role.DIRECTOR, region)
        manages.append((f"director.{code}", region))
        for t in range(1, rng.randint(*TEAMS_PER_REGION) + 1):
            team = _unit(
                OrgUnit.Kind.TEAM, f"{code}-{t}", f"第{number}大区{t}部", f"Region {number} team {t}", region
            )
            person(f"manager.{code}-{t}", User.Role.MANAGER, team)
            manages.append((f"manager.{code}-{t}", team))
            for r in range(1, rng.randint(*REPS_PER_TEAM) + 1):
                person(f"rep.{code}-{t}-{r:02d}", User.Role.REP, team)
                added += 1
            person(f"inside.{code}-{t}", User.Role.INSIDE, team)
    User.objects.bulk_create(users, batch_size=2_000)
    ids = dict(User.objects.filter(username__in=[u for u, _ in manages]).values_list("username", "id"))
    through = User.managed_units.through
    through.objects.bulk_create([through(user_id=ids[u], orgunit_id=unit.pk) for u, unit in manages])
    if stdout:
        stdout(f"Added {added:,} reps in {number} regions (sales force now {have + added:,} reps).")
    return added
