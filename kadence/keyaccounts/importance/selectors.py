"""Importance reads: the configuration, the facts the computation needs (set-based, a chunk of accounts at
a time), an account's score card, the ranking and the type counts of a scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, F, Min, Q, QuerySet, When
from django.db.models.functions import ExtractYear

from kadence.accounts.models import Account
from kadence.core.models import User
from kadence.core.visibility import access_account, resolve_scope, scoped_accounts
from kadence.domain.kam import importance as di
from kadence.keyaccounts.importance.defaults import TREATMENTS
from kadence.keyaccounts.importance.models import (
    AccountImportance,
    CustomerType,
    ImportanceConfig,
    ImportanceCriterion,
    ImportanceEntry,
    ImportanceScore,
)
from kadence.keyaccounts.revenue import won_revenue
from kadence.keyaccounts.value import selectors as value_selectors
from kadence.pipeline.models import Opportunity

HISTORY = 24


def config() -> ImportanceConfig:
    """The configuration row (created with the defaults by migration 0022; recreated if deleted)."""
    return ImportanceConfig.objects.get_or_create(pk=1)[0]


def criteria() -> list[ImportanceCriterion]:
    return list(ImportanceCriterion.objects.order_by("order", "id"))


def weights_of(rows: Iterable[ImportanceCriterion]) -> dict[str, int]:
    return {c.code: c.weight for c in rows}


def bands_of(rows: Iterable[ImportanceCriterion]) -> dict[str, tuple[Decimal, ...]]:
    return {c.code: tuple(Decimal(b) for b in c.bands) for c in rows if c.bands}


def type_rules(row: ImportanceConfig) -> di.TypeRules:
    return di.TypeRules(**{f: getattr(row, f) for f in di.TypeRules.__dataclass_fields__})


def treatment(code: str) -> str:
    """The recommended treatment of a type in the current language."""
    from django.utils.translation import get_language

    zh, en = TREATMENTS.get(code, ("", ""))
    return zh if (get_language() or "en").lower().startswith("zh") else en


def type_choices() -> list[dict[str, str]]:
    return [
        {"code": str(c), "label": str(label), "treatment": treatment(str(c))}
        for c, label in CustomerType.choices
    ]


# --- the facts a computation reads ---------------------------------------------------------------------


def year_before(day: date) -> date:
    """The same day a year earlier (28 Feb for 29 Feb)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _buying_power(account_ids: list[int], year: int) -> dict[int, Decimal | None]:
    """Each account's buying power (BP) for `year`: the value part's (the year's entry, else the account's
    single figure)."""
    return value_selectors.buying_powers_for(account_ids, year)


@dataclass
class Facts:
    revenue: Decimal = Decimal(0)
    revenue_before: Decimal = Decimal(0)
    buying_power: Decimal | None = None
    first_won: date | None = None
    won_years: set[int] = field(default_factory=set)
    entries: dict[str, ImportanceEntry] = field(default_factory=dict)


def facts(account_ids: list[int], as_of: date) -> dict[int, Facts]:
    """What the score reads of each account, in a fixed number of queries: our won revenue over the 12
    months to `as_of` and the 12 before (kadence.keyaccounts.revenue.won_revenue), the buying power, the
    first won deal, the calendar years with a won deal, the latest entered score per criterion."""
    start = year_before(as_of) + timedelta(days=1)
    before_start = year_before(start)
    now = won_revenue(account_ids, start, as_of)
    before = won_revenue(account_ids, before_start, start - timedelta(days=1))
    bp = _buying_power(account_ids, as_of.year)
    out = {pk: Facts(now.get(pk, Decimal(0)), before.get(pk, Decimal(0)), bp.get(pk)) for pk in account_ids}
    won = Opportunity.objects.filter(
        status=Opportunity.Status.WON, account_id__in=account_ids, closed_on__lte=as_of
    ).order_by()
    for pk, first in (
        won.values("account_id").annotate(first=Min("closed_on")).values_list("account_id", "first")
    ):
        out[pk].first_won = first
    for pk, year in won.annotate(y=ExtractYear("closed_on")).values_list("account_id", "y").distinct():
        out[pk].won_years.add(year)
    entries = ImportanceEntry.objects.filter(account_id__in=account_ids).order_by(
        "account_id", "criterion", "-entered_at", "-id"
    )
    for entry in entries:
        out[entry.account_id].entries.setdefault(entry.criterion, entry)
    return out


@dataclass(frozen=True)
class Scored:
    score: Decimal | None
    complete: bool
    detail: dict[str, dict[str, Any]]
    customer_type: str | None


def score_facts(
    f: Facts,
    as_of: date,
    rows: list[ImportanceCriterion],
    rules: di.TypeRules,
) -> Scored:
    """The score, the per-criterion detail and the type of one account's facts."""
    bands = bands_of(rows)
    years = di.years_as_customer(f.first_won, as_of)
    continuity = di.consecutive_years(f.won_years, as_of)
    values: dict[str, Decimal | None] = {
        di.SALES: Decimal(f.revenue).quantize(di.CENT),
        di.GROWTH: di.growth_pct(f.revenue, f.revenue_before),
        di.SHARE: di.share_pct(f.revenue, f.buying_power),
        di.LOYALTY: years,
        di.CONTINUITY: Decimal(continuity),
    }
    scores: dict[str, int | None] = {}
    detail: dict[str, dict[str, Any]] = {}
    for c in rows:
        if c.source == ImportanceCriterion.Source.COMPUTED and c.code in values:
            value = values[c.code]
            score = di.band_score(value, bands.get(c.code, ()))
            detail[c.code] = {
                "weight": c.weight,
                "source": "computed",
                "value": None if value is None else str(value),
                "score": score,
            }
        else:
            entry = f.entries.get(c.code)
            score = entry.score if entry else None
            detail[c.code] = {
                "weight": c.weight,
                "source": "entered",
                "value": None,
                "score": score,
                "entered_by": entry.entered_by_id if entry else None,
                "entered_at": entry.entered_at.isoformat() if entry else None,
                "note": entry.note if entry else "",
            }
        scores[c.code] = score
    if f.revenue_before:
        detail.setdefault(di.GROWTH, {})["before"] = str(Decimal(f.revenue_before).quantize(di.CENT))
    if di.SHARE in detail:
        detail[di.SHARE]["buying_power"] = None if f.buying_power is None else str(f.buying_power)
    total = di.importance_score(weights_of(rows), scores)
    complete = all(scores.get(c.code) is not None for c in rows if c.weight)
    kind = di.customer_type(
        di.TypeFacts(scores=scores, years=years, continuity=continuity, first_won=f.first_won, as_of=as_of),
        rules,
    )
    return Scored(total, complete, detail, kind)


# --- pages and the API ---------------------------------------------------------------------------------


@dataclass
class Card:
    account: Account
    current: AccountImportance | None
    latest: ImportanceScore | None
    criteria: list[ImportanceCriterion]
    lines: list[dict[str, Any]]
    history: list[tuple[date, Decimal | None]]
    entered_by: dict[int, str]


def card(user: User, account_id: int) -> Card:
    """An account's score card: the current score and type, how each criterion was scored in the latest
    computation, the history of the score."""
    account = access_account(user, account_id, related=("owner",))
    current = AccountImportance.objects.filter(account=account).first()
    history = list(ImportanceScore.objects.filter(account=account).order_by("-scored_on")[:HISTORY])
    latest = history[0] if history else None
    rows = criteria()
    detail = latest.detail if latest else {}
    people_ids = {d.get("entered_by") for d in detail.values() if d.get("entered_by")}
    people = {u.pk: u.label for u in User.objects.filter(pk__in=people_ids)} if people_ids else {}
    lines = []
    for c in rows:
        d = detail.get(c.code, {})
        score = d.get("score")
        lines.append(
            {
                "code": c.code,
                "name": c.name,
                "weight": c.weight,
                "source": c.source,
                "value": d.get("value"),
                "score": score,
                "points": (Decimal(c.weight) * score / 5).quantize(Decimal("0.01")) if score else None,
                "bands": c.bands,
                "entered_by": people.get(d.get("entered_by") or 0, ""),
                "entered_at": d.get("entered_at"),
                "note": d.get("note", ""),
                "extra": {k: v for k, v in d.items() if k in ("before", "buying_power")},
            }
        )
    return Card(
        account=account,
        current=current,
        latest=latest,
        criteria=rows,
        lines=lines,
        history=[(h.scored_on, h.score) for h in reversed(history)],
        entered_by=people,
    )


def effective_type() -> Case:
    """The account's type: the override when there is one, else the rules' (on AccountImportance)."""
    return Case(
        When(~Q(importance__type_override=""), then=F("importance__type_override")),
        default=F("importance__auto_type"),
        output_field=CharField(),
    )


def ranking(
    user: User,
    *,
    unit_id: int | None = None,
    owner_id: int | None = None,
    customer_type: str | None = None,
) -> tuple[Any, QuerySet[Account]]:
    """The scored accounts of the scope (visible to `user`), the highest score first; with the scope."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    qs = (
        scoped_accounts(user, scope)
        .filter(importance__score__isnull=False)
        .annotate(kind=effective_type())
        .select_related("importance", "owner")
        .order_by(F("importance__score").desc(), "pk")
    )
    if customer_type:
        qs = qs.filter(kind=customer_type)
    return scope, qs


def type_counts(user: User, *, unit_id: int | None = None, owner_id: int | None = None) -> dict[str, int]:
    """{type code (or "" for none): accounts} among the scored accounts of the scope."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    rows = (
        scoped_accounts(user, scope)
        .filter(importance__isnull=False)
        .annotate(kind=effective_type())
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["kind"] or ""] += row["n"]
    return dict(counts)
