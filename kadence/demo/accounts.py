"""Accounts and their contacts, generated as drafts (names by industry and place, buying power by size)
before any row is written.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from kadence.core.models import OrgUnit
from kadence.demo.catalogues import (
    ACCOUNT_NOTES,
    AMBITIONS,
    BANKS,
    BRANDS,
    CHARACTERS,
    COMPANY_TYPES,
    EDU_CITY,
    EDU_PROVINCE,
    GEOGRAPHY,
    GIVEN_NAMES,
    GOV_CITY,
    GOV_PROVINCE,
    HISTORY_DAYS,
    INSURERS,
    MIL_CITY,
    MIL_GROUPS,
    OPERATORS,
    POWER_GENCOS,
    POWER_PLANTS,
    PREFERENCES,
    REGION_WEIGHTS,
    REGIONS,
    ROADS,
    SECURITIES,
    SOUTHERN_GRID,
    STRENGTHS,
    SURNAMES,
    TITLES,
    TRADES,
)
from kadence.demo.simulator import OppLife
from kadence.demo.world import WON, AccountRef, Org

# --- accounts and contacts ------------------------------------------------------------------------------


class ContactDraft(NamedTuple):
    """A contact before it has ids (see CONTACT_FIELDS for the meaning of the values)."""

    name: str
    title: str
    phone: str
    email: str
    ambitions: str
    character: str
    preferences: str
    strengths: str
    buying_roles: list[str]
    attitude: str
    influence: str


class AccountDraft(NamedTuple):
    """An account before it has ids, with its contacts."""

    name: str
    industry: str
    region_id: int
    address: str
    size: str
    status: str
    buying_power: Decimal
    owner_id: int
    team_id: int
    notes: str
    created_days: float  # days before today
    contacts: tuple[ContactDraft, ...]


INDUSTRY_WEIGHTS = {
    "government": 20,
    "military": 6,
    "enterprise": 30,
    "education": 10,
    "finance": 10,
    "power": 14,
    "telecom": 10,
}
SIZE_WEIGHTS = {
    "government": {"medium": 5, "large": 4, "huge": 1, "small": 1},
    "military": {"medium": 3, "large": 5, "huge": 2},
    "enterprise": {"small": 3, "medium": 5, "large": 3, "huge": 1},
    "education": {"medium": 4, "large": 5, "huge": 1},
    "finance": {"medium": 4, "large": 4, "huge": 2},
    "power": {"medium": 3, "large": 5, "huge": 2},
    "telecom": {"large": 5, "huge": 3, "medium": 2},
}
SIZE_BP_FACTOR = {"small": 0.3, "medium": 1.0, "large": 2.5, "huge": 6.0}


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _organisation_name(rng: random.Random, industry: str, province: tuple[str, str, list], city: str) -> str:
    """A plausible Chinese organisation name for an industry in a city."""
    short, full, _cities = province
    c = city + "市"
    choice = rng.random()
    if industry == "government":
        if choice < 0.8:
            return c + rng.choice(GOV_CITY)
        return full + rng.choice(GOV_PROVINCE)
    if industry == "military":
        if choice < 0.5:
            return f"{rng.choice(MIL_GROUPS)}第{rng.randint(1, 99)}研究所"
        return city + rng.choice(MIL_CITY)
    if industry == "enterprise":
        return f"{city}{rng.choice(BRANDS)}{rng.choice(TRADES)}{rng.choice(COMPANY_TYPES)}"
    if industry == "education":
        if choice < 0.6:
            return city + rng.choice(EDU_CITY)
        if choice < 0.8:
            return short + rng.choice(EDU_PROVINCE)
        return f"{c}第{rng.randint(1, 30)}中学"
    if industry == "finance":
        if choice < 0.55:
            return f"{rng.choice(BANKS)}{city}分行"
        if choice < 0.7:
            return f"{rng.choice(BANKS)}{full}分行"
        if choice < 0.8:
            return f"{city}农村商业银行"
        if choice < 0.92:
            return f"{rng.choice(INSURERS)}{city}分公司"
        return f"{rng.choice(SECURITIES)}{city}{rng.choice(ROADS)}营业部"
    if industry == "power":
        if choice < 0.55:
            if short in SOUTHERN_GRID:
                return f"{short}电网有限责任公司{city}供电局"
            return f"{full}电力公司{city}供电分公司"
        return f"{rng.choice(POWER_GENCOS)}{city}{rng.choice(POWER_PLANTS)}"
    # telecom
    if choice < 0.3:
        return f"{rng.choice(OPERATORS)}{short}分公司"
    if choice < 0.85:
        return f"{rng.choice(OPERATORS)}{city}分公司"
    if choice < 0.93:
        return f"中国铁塔{city}分公司"
    return f"{city}广电网络有限公司"


def _person(rng: random.Random) -> tuple[str, str]:
    surname, s_py = rng.choice(SURNAMES)
    given, g_py = rng.choice(GIVEN_NAMES)
    return surname + given, f"{g_py}.{s_py}"


def _contacts(rng: random.Random, industry: str, domain: str) -> tuple[ContactDraft, ...]:
    titles = TITLES[industry]
    count = rng.randint(2, 6)
    chosen = [titles[0], *rng.sample(titles[1:], min(count - 1, len(titles) - 1))]
    rows = []
    for title, roles, influence in chosen:
        name, login = _person(rng)
        attitude = rng.choices(["support", "neutral", "oppose"], weights=[40, 45, 15])[0]
        roles = list(roles)
        if attitude == "support" and rng.random() < 0.3:
            roles.append("coach")
        profiled = rng.random() < 0.55
        rows.append(
            ContactDraft(
                name=name,
                title=title,
                phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                email=f"{login}@{domain}" if rng.random() < 0.8 else "",
                ambitions=rng.choice(AMBITIONS) if profiled else "",
                character=rng.choice(CHARACTERS) if profiled else "",
                preferences=rng.choice(PREFERENCES) if profiled and rng.random() < 0.7 else "",
                strengths=rng.choice(STRENGTHS) if profiled and rng.random() < 0.7 else "",
                buying_roles=roles,
                attitude=attitude,
                influence=influence,
            )
        )
    return tuple(rows)


def generate_accounts(
    rng: random.Random, count: int, org: Org, region_codes: dict[int, str]
) -> list[AccountDraft]:
    """`count` accounts with unique names spread over the regions that have reps (weighted), each owned by
    a rep of its region; the first seven cover every industry. `region_codes` maps region ids to codes
    ("north"…) to pick the geography; an unknown region gets cities from anywhere and weighs what the
    demo's regions weigh per rep, times its reps (so a generated sales force gets even books)."""
    regions = sorted(org.reps_by_region)
    demo_reps = sum(len(team[3]) for region in REGIONS for team in region[4])
    per_rep = sum(REGION_WEIGHTS.values()) / demo_reps
    region_weights = [
        REGION_WEIGHTS.get(region_codes.get(r, ""), per_rep * len(org.reps_by_region[r])) for r in regions
    ]
    industries = list(INDUSTRY_WEIGHTS)
    all_provinces = [p for provinces in GEOGRAPHY.values() for p in provinces]
    used: set[str] = set()
    drafts = []
    for index in range(count):
        region = rng.choices(regions, weights=region_weights)[0]
        industry = industries[index] if index < len(industries) else _weighted(rng, INDUSTRY_WEIGHTS)
        province = rng.choice(GEOGRAPHY.get(region_codes.get(region, ""), all_provinces))
        city, city_py = rng.choice(province[2])
        name = _organisation_name(rng, industry, province, city)
        attempt = 0
        while name in used:  # small name spaces (e.g. power in a one-city province) run out: vary it
            attempt += 1
            if attempt < 8:
                name = _organisation_name(rng, industry, province, rng.choice(province[2])[0])
            else:
                name = f"{name[:180]}（{rng.choice(ROADS)}{attempt}）"
        used.add(name)
        size = _weighted(rng, SIZE_WEIGHTS[industry])
        bp = rng.lognormvariate(math.log(2_500_000), 1.0) * SIZE_BP_FACTOR[size]
        bp = min(50_000_000, max(200_000, round(bp, -4)))
        owner = rng.choice(org.reps_by_region[region])
        status = rng.choices(["prospect", "active", "dormant", "churned"], weights=[35, 45, 15, 5])[0]
        municipality = province[1].endswith("市") and len(province[2]) == 1
        address = (
            f"{province[1]}{'' if municipality else city + '市'}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
        )
        domain = f"{city_py}-{industry}{index % 97}.cn"
        drafts.append(
            AccountDraft(
                name=name,
                industry=industry,
                region_id=region,
                address=address,
                size=size,
                status=status,
                buying_power=Decimal(int(bp)),
                owner_id=owner.id,
                team_id=owner.team_id,
                notes=rng.choice(ACCOUNT_NOTES),
                created_days=HISTORY_DAYS + rng.uniform(30, 900),
                contacts=_contacts(rng, industry, domain),
            )
        )
    return drafts


def region_codes() -> dict[int, str]:
    return dict(OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION).values_list("id", "code"))


def settle_accounts(
    drafts: list[AccountDraft], lives: list[OppLife], refs: list[AccountRef], today: date, rng: random.Random
) -> list[AccountDraft]:
    """Make each demo account's status and buying power agree with the simulated deals: a recent win
    makes an active customer, only old wins a dormant one, none a prospect; BP is at least the
    revenue won in the last year, so share of wallet stays below 100%."""
    index = {ref.id: i for i, ref in enumerate(refs)}
    year_ago = today - timedelta(days=365)
    won_recent: dict[int, Decimal] = defaultdict(Decimal)
    won_ever: set[int] = set()
    for life in lives:
        opp = life.opportunity
        if opp[12] == WON:
            i = index[opp[1]]
            won_ever.add(i)
            if opp[15] >= year_ago:
                won_recent[i] += opp[8]
    settled = []
    for i, draft in enumerate(drafts):
        if i in won_recent:
            status = "active"
        elif i in won_ever:
            status = "churned" if rng.random() < 0.2 else "dormant"
        else:
            status = "prospect"
        bp, won = draft.buying_power, won_recent.get(i, Decimal(0))
        if bp < won * Decimal("1.1"):
            bp = max(
                won,
                min(
                    Decimal(50_000_000),
                    (won * Decimal(str(round(rng.uniform(1.1, 3.0), 2)))).quantize(Decimal(1)),
                ),
            )
        settled.append(draft._replace(status=status, buying_power=bp))
    return settled
