"""The demo company's organisation and catalogue: created in the database (`create_org`,
`create_catalog`), read back as the plain data the generators work on (`load_catalog`, `load_org`),
and the demo logins.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db.models import Prefetch

from kadence.accounts.models import Industry
from kadence.core.models import OrgUnit, User
from kadence.demo.catalogues import (
    ADMIN_NAME,
    COMPANY,
    COMPANY_CODE,
    COMPETITORS,
    DEMO_PASSWORD,
    LOSS_REASON_WEIGHTS,
    PRODUCT_LINES,
    REGIONS,
    TEMPLATE_WEIGHTS,
)
from kadence.pipeline.ladder import stage_entry_levels
from kadence.pipeline.models import (
    Competitor,
    DealRole,
    ForecastCategory,
    LossReason,
    Opportunity,
    ProbabilityLevel,
    ProcessTemplate,
    ProductLine,
    Stage,
)

CURRENCY = "CNY"
OPEN, WON, LOST = Opportunity.Status.OPEN.value, Opportunity.Status.WON.value, Opportunity.Status.LOST.value
BOOKED, OMITTED = ForecastCategory.BOOKED.value, ForecastCategory.OMITTED.value


def demo_logins() -> list[tuple[str, str, str]]:
    """The demo users as (username, role, display name), in the order a login page would list them.
    All share the password DEMO_PASSWORD."""
    rows = [("admin", User.Role.ADMIN.value, ADMIN_NAME)]
    for code, _zh, _en, director, teams, inside in REGIONS:
        rows.append((f"director.{code}", User.Role.DIRECTOR.value, director))
        for number, (_tzh, _ten, manager, reps) in enumerate(teams, start=1):
            rows.append((f"manager.{code}{number}", User.Role.MANAGER.value, manager))
            for letter, rep in zip("abcdefgh", reps, strict=False):
                rows.append((f"rep.{code}{number}{letter}", User.Role.REP.value, rep))
        rows.append((f"inside.{code}", User.Role.INSIDE.value, inside))
    return rows


def login_lines() -> list[str]:
    """How `load_demo` and `demo` print the demo logins."""
    return [
        "",
        f"Demo logins (password for all: {DEMO_PASSWORD}):",
        *(f"  {username:<20} {role:<10} {name}" for username, role, name in demo_logins()),
        "",
    ]


# --- plain data the generators work on ------------------------------------------------------------------


@dataclass(frozen=True)
class StageSpec:
    """One stage of a template as the simulation needs it. `level_id`, `probability` and `category`
    are those of the level a deal holds while it works in the stage (the default level of the stage
    before it; the won stage's own); `exit_level_id` and `exit_probability` those of its own default
    level, held once its exit criteria are met (0: the same). `drop` is the chance of losing the deal
    while in this stage (higher early in the process)."""

    id: int
    order: int
    name_zh: str
    name_en: str
    level_id: int
    probability: Decimal
    category: str
    days: int
    drop: float
    exit_level_id: int = 0
    exit_probability: Decimal = Decimal(0)


@dataclass(frozen=True)
class TemplateSpec:
    """A process template: its open stages in order and its closing (won) stage, if it has one."""

    id: int
    code: str
    weight: float
    open_stages: tuple[StageSpec, ...]
    won_stage: StageSpec | None

    @property
    def total_days(self) -> int:
        return sum(stage.days for stage in self.open_stages)

    @property
    def remaining_days(self) -> list[float]:
        """Standard days from the start of each open stage to the close (one more entry: 0)."""
        return cumulative(s.days for s in reversed(self.open_stages))[::-1] + [0]


@dataclass(frozen=True)
class Seller:
    """A user who can own accounts and opportunities (or join deal teams)."""

    id: int
    role: str
    team_id: int
    region_id: int


@dataclass(frozen=True)
class AccountRef:
    """What an opportunity needs to know of its account. `contacts` are (id, name, title)."""

    id: int
    name: str
    industry: str
    size: str
    owner_id: int
    region_id: int
    contacts: tuple[tuple[int, str, str], ...] = ()


@dataclass(frozen=True)
class Catalog:
    """The configuration rows the generators draw from, as plain ids and names."""

    templates: tuple[TemplateSpec, ...]
    won_level: tuple[int, Decimal]
    lost_level: tuple[int, Decimal]
    loss_reasons: tuple[tuple[int, str, str, int], ...]  # (id, code, name_zh, weight)
    product_lines: tuple[tuple[int, str], ...]  # (id, code)
    competitors: tuple[tuple[int, str], ...]  # (id, name)
    deal_roles: dict[str, int] = field(default_factory=dict)
    industries: dict[str, int] = field(default_factory=dict)


@dataclass
class Org:
    """The people of the organisation, grouped the ways the generators need."""

    reps: list[Seller]
    managers_by_team: dict[int, list[Seller]]
    inside_by_region: dict[int, list[Seller]]
    reps_by_team: dict[int, list[Seller]] = field(default_factory=dict)
    reps_by_region: dict[int, list[Seller]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for seller in self.reps:
            self.reps_by_team.setdefault(seller.team_id, []).append(seller)
            self.reps_by_region.setdefault(seller.region_id, []).append(seller)


def stream(seed: int, purpose: str) -> random.Random:
    """An independent random stream per purpose, so that e.g. adding activities does not change the
    opportunities. String seeds are hashed with SHA-512 by `random`, hence stable across runs."""
    return random.Random(f"kadence:{seed}:{purpose}")


def drop_chance(index: int, n_open: int) -> float:
    """Chance of losing a deal while in open stage `index` of `n_open`: 22% in the first stage falling
    linearly to 8% in the last, which wins about 30% of the deals of an eight-stage process."""
    if n_open <= 1:
        return 0.2
    return 0.22 - 0.14 * index / (n_open - 1)


# --- reading the database into plain data ---------------------------------------------------------------


def _stage_spec(stage, level: ProbabilityLevel, drop: float) -> StageSpec:
    return StageSpec(
        stage.id,
        stage.order,
        stage.name_zh,
        stage.name_en,
        level.id,
        level.probability,
        level.default_forecast_category,
        max(1, stage.standard_days),
        drop,
        stage.default_level.id,
        stage.default_level.probability,
    )


def load_catalog() -> Catalog:
    """The methodology and catalogue rows of the current database as a Catalog."""
    levels = {lv.id: lv for lv in ProbabilityLevel.objects.all()}
    won = next((lv for lv in levels.values() if lv.is_won), None)
    lost = next((lv for lv in levels.values() if lv.is_lost), None)
    if won is None or lost is None:
        raise RuntimeError("The probability ladder needs a won and a lost level (run migrate).")
    templates = []
    default = ProcessTemplate.objects.filter(is_default=True, is_active=True).first()
    stages_of = Prefetch("stages", queryset=Stage.objects.select_related("default_level"))
    entry = stage_entry_levels(Stage.objects.select_related("default_level"))
    for tpl in ProcessTemplate.objects.filter(is_active=True).prefetch_related(stages_of).order_by("id"):
        weight = TEMPLATE_WEIGHTS.get(tpl.code, 0)
        if default is not None and tpl.pk == default.pk:
            weight = max(weight, TEMPLATE_WEIGHTS["tianlong8"])
        stages = sorted(tpl.stages.all(), key=lambda s: s.order)
        open_rows = [s for s in stages if not s.is_won]
        won_row = next((s for s in stages if s.is_won), None)
        if weight <= 0 or not open_rows:
            continue
        n_open = len(open_rows)
        # A deal works in a stage at the level of the stage before it: a stage's own default level is
        # earned by meeting its exit criteria (METHODOLOGY §1d); the recheck after loading raises the
        # deals whose current stage's criteria the evidence meets.
        specs = tuple(_stage_spec(s, entry[s.pk], drop_chance(i, n_open)) for i, s in enumerate(open_rows))
        won_spec = _stage_spec(won_row, levels[won_row.default_level_id], 0.0) if won_row else None
        templates.append(TemplateSpec(tpl.id, tpl.code, weight, specs, won_spec))
    if not templates:
        raise RuntimeError("No active process template with stages (run migrate).")
    reasons = tuple(
        (r.id, r.code, r.name_zh, LOSS_REASON_WEIGHTS.get(r.code, 5))
        for r in LossReason.objects.order_by("order", "id")
    )
    return Catalog(
        templates=tuple(templates),
        won_level=(won.id, won.probability),
        lost_level=(lost.id, lost.probability),
        loss_reasons=reasons,
        product_lines=tuple(ProductLine.objects.order_by("id").values_list("id", "code")),
        competitors=tuple(Competitor.objects.order_by("id").values_list("id", "name")),
        deal_roles=dict(DealRole.objects.values_list("code", "id")),
        industries=dict(Industry.objects.values_list("code", "id")),
    )


def load_org() -> Org:
    """The active sellers, managers and inside-sales users of the current database, with their team
    and region (a user placed directly in a region counts for that region)."""
    units = {u.id: u for u in OrgUnit.objects.all()}

    def region_of(unit_id: int) -> int | None:
        node = units.get(unit_id)
        while node is not None and node.kind != OrgUnit.Kind.REGION:
            node = units.get(node.parent_id) if node.parent_id else None
        return node.id if node else None

    reps, managers, inside = [], defaultdict(list), defaultdict(list)
    users = User.objects.filter(is_active=True, org_unit__isnull=False).order_by("id")
    for user in users.values("id", "role", "org_unit_id"):
        region = region_of(user["org_unit_id"])
        if region is None:
            continue
        seller = Seller(user["id"], user["role"], user["org_unit_id"], region)
        if user["role"] == User.Role.REP and units[user["org_unit_id"]].kind == OrgUnit.Kind.TEAM:
            reps.append(seller)
        elif user["role"] == User.Role.MANAGER:
            managers[user["org_unit_id"]].append(seller)
        elif user["role"] == User.Role.INSIDE:
            inside[region].append(seller)
    return Org(reps, dict(managers), dict(inside))


# --- creating the organisation and the catalogue ------------------------------------------------------


def create_org(stdout: Callable[[str], Any] | None = None) -> None:
    """Create the demo org tree (company → regions → teams, paths set) and its 41 users, all with the
    password DEMO_PASSWORD. A username that already exists is left as it is."""
    company = OrgUnit.objects.create(
        kind=OrgUnit.Kind.COMPANY, code=COMPANY_CODE, name_zh=COMPANY[0], name_en=COMPANY[1]
    )
    company.path = f"/{company.pk}/"
    company.save(update_fields=["path"])
    password = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: do it once for everybody
    existing = set(User.objects.values_list("username", flat=True))
    skipped: list[str] = []

    def user(username: str, role: str, name: str, unit: OrgUnit, manages: OrgUnit | None = None) -> None:
        if username in existing:
            skipped.append(username)
            return
        admin = role == User.Role.ADMIN
        row = User.objects.create(
            username=username,
            password=password,
            role=role,
            display_name=name,
            org_unit=unit,
            is_staff=admin,
            is_superuser=admin,
            email=f"{username}@huagong-demo.cn",
        )
        if manages is not None:
            row.managed_units.add(manages)

    user("admin", User.Role.ADMIN, ADMIN_NAME, company)
    for code, zh, en, director, teams, inside in REGIONS:
        region = OrgUnit.objects.create(
            kind=OrgUnit.Kind.REGION, code=code, name_zh=zh, name_en=en, parent=company
        )
        region.path = f"{company.path}{region.pk}/"
        region.save(update_fields=["path"])
        user(f"director.{code}", User.Role.DIRECTOR, director, region, region)
        first_team = None
        for number, (tzh, ten, manager, reps) in enumerate(teams, start=1):
            team = OrgUnit.objects.create(
                kind=OrgUnit.Kind.TEAM, code=f"{code}-{number}", name_zh=tzh, name_en=ten, parent=region
            )
            team.path = f"{region.path}{team.pk}/"
            team.save(update_fields=["path"])
            first_team = first_team or team
            user(f"manager.{code}{number}", User.Role.MANAGER, manager, team, team)
            for letter, rep in zip("abcdefgh", reps, strict=False):
                user(f"rep.{code}{number}{letter}", User.Role.REP, rep, team)
        user(f"inside.{code}", User.Role.INSIDE, inside, first_team)
    if skipped and stdout:
        stdout(f"Users already present, left unchanged: {', '.join(skipped)}")


def create_catalog() -> None:
    """Create the demo product lines and competitors that are missing (by code / name)."""
    for code, zh, en, _factor, _projects in PRODUCT_LINES:
        ProductLine.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en})
    for name in COMPETITORS:
        Competitor.objects.get_or_create(name=name)


def cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out
