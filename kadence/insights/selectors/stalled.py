"""Stalled deals (停滞不前, METHODOLOGY §8.2): which open deals of a scope are stalled, why, since
when, and what was last done about them. The rules are kadence.domain.stall's; this module states
the same rules in SQL so that the whole scope is filtered, counted and sorted in the database.

Per open deal, each reason becomes the day number (days since 1970-01-01, local dates) of the first
day it holds; the deal is stalled on `as_of` when the earliest of them is on or before as_of:

- stage_time    day it entered its stage + ⌊factor × standard days⌋ + 1
- no_activity   max(day of the last done customer-side activity — else the day it was created — + N + 1,
                day after the latest dated next step recorded on it)
- close_passed  expected close date + 1
- close_pushed  the day of the k-th push of the close date to a later date (AuditEntry rows of
                "pipeline.opportunity" / "expected_close_date" whose new value is later than the old)

A page costs a fixed number of queries whatever its size: one statement computes each open deal's
first days once (a CTE), counts the stalled deals per reason from them and picks the page's ids in
order; one more reads the page's deals with their facts, which the domain turns into worded reasons
(and one the latest stall actions).

The facts come from each deal's stall summary (kadence.pipeline.stall: last customer activity, latest
dated next step, number of close-date pushes, kept exact by the services on the Opportunity row), so
the statement reads one row per open deal (index-only, through opp_open_stall, for a company or a
team) and probes no other table. A stored fact is the latest of all the deal's rows; it is the fact
on `as_of` unless it is later than as_of (a done activity dated in the future, a next step recorded
after a past as_of), and the day of the k-th push is only in the audit trail: those few deals
(`_needs_probe`) are computed in a second part of the statement, where the fact that needs it is
probed with a correlated index probe (activity_opp_date, the AuditEntry (entity, entity_id, at)
index, stall_action_opp_at), so the result is the same as probing every deal for any as_of
(`summary=False` does that; the tests compare both). The page's rows (a page of deals) are still
read with the probes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Final, TypedDict, cast

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from kadence.activities.stall import last_customer_activity
from kadence.core.models import User
from kadence.core.pagination import DEFAULT_PAGE_SIZE, Page, page_numbers
from kadence.core.visibility import Scope, resolve_scope
from kadence.deals.models import StallAction
from kadence.domain.stall import (
    CLOSE_PASSED,
    CLOSE_PUSHED,
    NO_ACTIVITY,
    REASONS,
    STAGE_TIME,
    DealFacts,
    StallPolicy,
    StallReason,
    stage_allowance,
    stall_reasons,
)
from kadence.pipeline.expressions import (
    EPOCH,
    DayNumber,
    EpochDays,
    day_number,
    stage_time_since,
)
from kadence.pipeline.models import Opportunity
from kadence.pipeline.stall import close_date_pushes
from kadence.planning.models import ForecastPolicy

NEVER = 10**7  # a day number no reason reaches (year 29349)
LONG_AGO = -(10**7)
FENCE = 2**62  # a LIMIT no scope reaches: keeps PostgreSQL from flattening a subquery
# Sort orders offered: most days stalled first (the default), or fewest first.
SORTS = {"-days_stalled": "ASC", "days_stalled": "DESC"}  # by the first stalled day
DEFAULT_SORT: Final = "-days_stalled"


def stall_policy() -> StallPolicy:
    """The thresholds in force (ForecastPolicy)."""
    return ForecastPolicy.current().stall_policy()


def _end_of(day: date) -> datetime:
    """The first moment after `day` in the active time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _pushes(as_of: date) -> QuerySet:
    return close_date_pushes(OuterRef("pk")).filter(at__lt=_end_of(as_of))


def _last_activity(as_of: date) -> Subquery:
    return last_customer_activity(as_of=as_of)


def next_steps(opp_ref: Any = None) -> QuerySet[StallAction]:
    """The dated next steps recorded on the deal `opp_ref` (OuterRef("pk") by default), latest first:
    the first one holds "no customer activity" off (kadence.domain.stall)."""
    deal: Any = OuterRef("pk") if opp_ref is None else opp_ref
    return StallAction.objects.filter(
        opportunity_id=deal,
        outcome=StallAction.Outcome.NEXT_STEP,
        next_step_on__isnull=False,
    ).order_by("-acted_at", "-id")


def _next_step(as_of: date) -> Subquery:
    return Subquery(next_steps().filter(acted_at__lt=_end_of(as_of)).values("next_step_on")[:1])


def _kth_push(policy: StallPolicy, as_of: date) -> Subquery:
    k = max(policy.close_pushes, 1)
    rows = (
        _pushes(as_of)
        .order_by("at")
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("day")[k - 1 : k]
    )
    return Subquery(rows)


def _stored() -> dict[str, Any]:
    """The facts as the deal's stall summary holds them (kadence.pipeline.stall): right on `as_of`
    for a deal `_needs_probe` does not select."""
    return {
        "last_activity": F("stall_last_activity_on"),
        "next_step": F("stall_next_step_on"),
        "kth_push": Value(None, output_field=DateField()),
    }


def _needs_probe(policy: StallPolicy, as_of: date) -> Q:
    """The deals whose summary does not give their facts on `as_of`: a done activity dated after it,
    a next step recorded after it (the summary holds the latest of all rows, which is the latest up
    to as_of only when it is not later), or pushed at least k times in all (the day of the k-th push
    is read from the audit trail; fewer pushes in all means fewer up to as_of, so no k-th push)."""
    needs = Q(stall_last_activity_on__gt=as_of) | Q(stall_next_step_at__gte=_end_of(as_of))
    if policy.close_pushes > 0:
        needs |= Q(stall_close_pushes__gte=policy.close_pushes)
    return needs


def _probed(policy: StallPolicy, as_of: date) -> dict[str, Any]:
    """The same facts probed from the deal's raw rows (one index probe each)."""
    return {
        "last_activity": _last_activity(as_of),
        "next_step": _next_step(as_of),
        "kth_push": _kth_push(policy, as_of)
        if policy.close_pushes > 0
        else Value(None, output_field=DateField()),
    }


def _checked(policy: StallPolicy, as_of: date) -> dict[str, Any]:
    """The facts of a deal `_needs_probe` selected: each stored fact where it holds on `as_of`, the
    deal's rows probed only for the fact that needs it (mostly the k-th push)."""
    stored, probed = _stored(), _probed(policy, as_of)
    return {
        "last_activity": Case(
            When(stall_last_activity_on__gt=as_of, then=probed["last_activity"]),
            default=stored["last_activity"],
            output_field=DateField(),
        ),
        "next_step": Case(
            When(stall_next_step_at__gte=_end_of(as_of), then=probed["next_step"]),
            default=stored["next_step"],
            output_field=DateField(),
        ),
        "kth_push": Case(
            When(stall_close_pushes__gte=max(policy.close_pushes, 1), then=probed["kth_push"]),
            default=stored["kth_push"],
            output_field=DateField(),
        ),
    }


def _since(policy: StallPolicy, as_of: date, facts: dict[str, Any]) -> dict[str, Any]:
    """The first day (day number) of each reason, as SQL expressions, from the facts given (`_stored`
    or `_probed`)."""
    created = EpochDays("created_at")
    quiet_since = Coalesce(DayNumber(facts["last_activity"]), created) + Value(policy.no_activity_days + 1)
    held_until = Coalesce(DayNumber(facts["next_step"]), Value(LONG_AGO)) + Value(1)
    pushed = Coalesce(DayNumber(facts["kth_push"]), Value(NEVER)) if policy.close_pushes > 0 else Value(NEVER)
    return {
        STAGE_TIME: stage_time_since(policy),
        NO_ACTIVITY: Greatest(quiet_since, held_until),
        CLOSE_PASSED: DayNumber(F("expected_close_date")) + Value(1),
        CLOSE_PUSHED: pushed,
    }


class StallFacts(TypedDict):
    """The annotations _facts() adds to an opportunity."""

    stage_entered_on: date
    created_on: date
    last_activity_on: date | None
    next_step_on: date | None
    kth_push_on: date | None
    close_pushes: int


class RowFacts(StallFacts):
    """The annotations of a row of the list: the facts and the latest stall action."""

    last_action_id: int | None


if TYPE_CHECKING:  # the model with these annotations (`annotate(**_facts())` hides them from mypy)
    from django_stubs_ext import WithAnnotations

    FactsOpportunity = WithAnnotations[Opportunity, StallFacts]
    RowOpportunity = WithAnnotations[Opportunity, RowFacts]


def _facts(policy: StallPolicy, as_of: date) -> dict[str, Any]:
    """What the domain needs per deal (DealFacts), as annotations; dates are local."""
    tz = timezone.get_current_timezone()
    pushes = _pushes(as_of).order_by().values("entity_id").annotate(n=Count("pk")).values("n")
    return {
        "stage_entered_on": TruncDate("stage_entered_at", tzinfo=tz),
        "created_on": TruncDate("created_at", tzinfo=tz),
        "last_activity_on": _last_activity(as_of),
        "next_step_on": _next_step(as_of),
        "kth_push_on": _kth_push(policy, as_of) if policy.close_pushes > 0 else Value(None),
        "close_pushes": Coalesce(Subquery(pushes), Value(0)),
    }


def open_in_scope(scope: Scope) -> QuerySet[Opportunity]:
    return scope.filter(Opportunity.objects.filter(status=Opportunity.Status.OPEN))


def _per_deal(
    scope: Scope, policy: StallPolicy, as_of: date, *, summary: bool = True
) -> tuple[str, tuple[Any, ...]]:
    """SQL of (id, first day of each reason) for the open deals of the scope: from their stall
    summaries, except for the few deals `_needs_probe` selects, which probe the facts that need it
    (with `summary` False, every deal's facts are probed). Two parts joined by UNION ALL, each planned for what it
    reads: the first reads columns only (an index-only scan of opp_open_stall for a large scope),
    the second runs its correlated subqueries on the few deals it selects. Each part's LIMIT is a
    fence: PostgreSQL keeps the subquery whole, so each correlated subquery runs once per deal."""

    def part(deals: QuerySet[Opportunity], facts: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
        columns = {f"since_{code}": expr for code, expr in _since(policy, as_of, facts).items()}
        sql, params = (
            deals.order_by().annotate(**columns).values("id", *columns)[:FENCE].query.sql_with_params()
        )
        return sql, tuple(params)

    deals = open_in_scope(scope)
    if not summary:
        return part(deals, _probed(policy, as_of))
    needs = _needs_probe(policy, as_of)
    stored, stored_params = part(deals.exclude(needs), _stored())
    probed, probed_params = part(deals.filter(needs), _checked(policy, as_of))
    sql = f"SELECT * FROM ({stored}) stored UNION ALL SELECT * FROM ({probed}) probed"
    return sql, stored_params + probed_params


def stalled_ids(
    scope: Scope,
    policy: StallPolicy,
    as_of: date,
    *,
    reason: str | None,
    sort: str,
    limit: int | None,
    offset: int = 0,
    summary: bool = True,
) -> tuple[dict[str, int], list[tuple[int, int]]]:
    """One statement: the counts of stalled deals (total, per reason) over the scope, and one page of
    (deal id, first stalled day), sorted; the page holds the deals with `reason` when it is given.
    `limit` None reads them all (the export). `summary` False ignores the stall summary (tests)."""
    if reason is not None and reason not in REASONS or sort not in SORTS:
        raise ValueError("unknown reason or sort")  # both are spliced into the SQL: only known words
    inner, params = _per_deal(scope, policy, as_of, summary=summary)
    cols = [f"since_{code}" for code in REASONS]
    least = "LEAST" if connection.vendor == "postgresql" else "MIN"  # SQLite's many-argument MIN
    today = day_number(as_of)
    stalled = " OR ".join(f"{col} <= %s" for col in cols)
    per_reason = ", ".join(
        f"COALESCE(SUM(CASE WHEN {col} <= %s THEN 1 ELSE 0 END), 0) AS {col}" for col in cols
    )
    pick = f"WHERE since_{reason} <= %s" if reason else ""
    order = SORTS[sort]
    window = "LIMIT %s OFFSET %s" if limit is not None else ""
    sql = (
        f"WITH deal AS ({inner}), "
        f"stalled AS (SELECT id, {least}({', '.join(cols)}) AS since, {', '.join(cols)} FROM deal "
        f"WHERE {stalled}), "
        f"page AS (SELECT id, since FROM stalled {pick} ORDER BY since {order}, id {order} {window}) "
        f"SELECT totals.*, page.id, page.since "
        f"FROM (SELECT COUNT(*) AS total, {per_reason} FROM stalled) totals "
        f"LEFT JOIN page ON 1 = 1 ORDER BY page.since {order}, page.id {order}"
    )
    args = [
        *params,
        *([today] * len(cols)),
        *([today] if reason else []),
        *([limit, offset] if limit is not None else []),
        *([today] * len(cols)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        found = cursor.fetchall()
    first = found[0]
    totals = {"total": first[0], **{code: first[1 + i] for i, code in enumerate(REASONS)}}
    return totals, [(row[-2], row[-1]) for row in found if row[-2] is not None]


@dataclass(frozen=True)
class StalledRow:
    """One stalled deal as the list shows it. `stage_allowance` = ⌊factor × standard days⌋, the most
    days it may spend in the stage; `days_stalled` counts from the earliest reason (first day = 1)."""

    opp: Opportunity
    days_in_stage: int
    stage_allowance: int
    last_activity_on: date | None
    close_pushes: int
    next_step_on: date | None
    reasons: tuple[StallReason, ...]
    days_stalled: int
    stalled_since: date
    last_action: StallAction | None


@dataclass(frozen=True)
class StalledReport:
    """The stalled deals of a scope on `as_of`: counts per reason over the whole scope (`counts`,
    with "total"), and one page of rows (filtered by `reason` when given)."""

    scope: Scope
    as_of: date
    policy: StallPolicy
    reason: str | None
    sort: str
    counts: dict[str, int]
    page: Page


def facts_of(opp: FactsOpportunity) -> DealFacts:
    """The domain's facts from an opportunity annotated with _facts()."""
    return DealFacts(
        stage_entered_on=opp.stage_entered_on,
        standard_days=opp.stage.standard_days,
        created_on=opp.created_on,
        last_activity_on=opp.last_activity_on,
        expected_close_date=opp.expected_close_date,
        close_pushes=opp.close_pushes,
        kth_push_on=opp.kth_push_on,
        next_step_on=opp.next_step_on,
    )


def _rows(page: list[tuple[int, int]], policy: StallPolicy, as_of: date) -> list[StalledRow]:
    """The rows of the deals on a page ((id, first stalled day) in order): two queries."""
    if not page:
        return []
    latest_action = StallAction.objects.filter(opportunity_id=OuterRef("pk")).order_by("-acted_at", "-id")
    found = (
        Opportunity.objects.filter(pk__in=[pk for pk, _since in page])
        .annotate(**_facts(policy, as_of), last_action_id=Subquery(latest_action.values("id")[:1]))
        .select_related("account", "owner", "team", "stage")
        .defer("description")
    )
    opps = {o.pk: o for o in cast("QuerySet[RowOpportunity]", found)}
    action_ids = [o.last_action_id for o in opps.values() if o.last_action_id]
    actions = (
        {a.pk: a for a in StallAction.objects.filter(pk__in=action_ids).select_related("acted_by")}
        if action_ids
        else {}
    )
    rows = []
    for pk, first_day in page:
        opp = opps.get(pk)
        if opp is None:  # closed or deleted between the two reads
            continue
        since = EPOCH + timedelta(days=first_day)
        rows.append(
            StalledRow(
                opp=opp,
                days_in_stage=(as_of - opp.stage_entered_on).days,
                stage_allowance=stage_allowance(opp.stage.standard_days, policy),
                last_activity_on=opp.last_activity_on,
                close_pushes=opp.close_pushes,
                next_step_on=opp.next_step_on,
                reasons=stall_reasons(facts_of(opp), policy, as_of),
                days_stalled=(as_of - since).days + 1,
                stalled_since=since,
                last_action=actions.get(opp.last_action_id) if opp.last_action_id is not None else None,
            )
        )
    return rows


def stalled_report(
    user: User,
    *,
    unit_id: int | None = None,
    owner_id: int | None = None,
    reason: str | None = None,
    sort: str = DEFAULT_SORT,
    page: Any = 1,
    page_size: Any = DEFAULT_PAGE_SIZE,
    as_of: date | None = None,
    policy: StallPolicy | None = None,
) -> StalledReport:
    """The stalled deals of the scope `user` asks for (kadence.core.visibility: 404 out of reach),
    counted per reason, with one page of rows. An unknown `reason` or `sort` falls back to all
    reasons / most days stalled first; a page past the end gives the last page."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    as_of = as_of or timezone.localdate()
    policy = policy or stall_policy()
    reason = reason if reason in REASONS else None
    sort = sort if sort in SORTS else DEFAULT_SORT
    number, size = page_numbers(page, page_size)
    counts, ids = stalled_ids(
        scope, policy, as_of, reason=reason, sort=sort, limit=size, offset=(number - 1) * size
    )
    count = counts[reason] if reason else counts["total"]
    last = max(1, -(-count // size))
    if number > last:  # asked past the end: read the last page
        number = last
        counts, ids = stalled_ids(
            scope, policy, as_of, reason=reason, sort=sort, limit=size, offset=(number - 1) * size
        )
        count = counts[reason] if reason else counts["total"]
    return StalledReport(
        scope=scope,
        as_of=as_of,
        policy=policy,
        reason=reason,
        sort=sort,
        counts=counts,
        page=Page(items=_rows(ids, policy, as_of), count=count, page=number, page_size=size),
    )


def stalled_export(
    user: User,
    *,
    unit_id: int | None = None,
    owner_id: int | None = None,
    reason: str | None = None,
    sort: str = DEFAULT_SORT,
    as_of: date | None = None,
    chunk: int = 500,
) -> tuple[StalledReport, Iterator[StalledRow]]:
    """Every stalled deal of the scope (with `reason`, if given), for the export: the report (counts,
    an empty page) and the rows in order, their details read `chunk` deals at a time."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    as_of = as_of or timezone.localdate()
    policy = stall_policy()
    reason = reason if reason in REASONS else None
    sort = sort if sort in SORTS else DEFAULT_SORT
    counts, ids = stalled_ids(scope, policy, as_of, reason=reason, sort=sort, limit=None)
    report = StalledReport(
        scope=scope,
        as_of=as_of,
        policy=policy,
        reason=reason,
        sort=sort,
        counts=counts,
        page=Page(items=[], count=len(ids), page=1, page_size=max(1, len(ids))),
    )

    def rows() -> Iterator[StalledRow]:
        for start in range(0, len(ids), chunk):
            yield from _rows(ids[start : start + chunk], policy, as_of)

    return report, rows()


def deal_stall_reasons(
    opp_id: int, *, as_of: date | None = None, policy: StallPolicy | None = None
) -> tuple[StallReason, ...]:
    """Why one open deal is stalled on `as_of` (empty when it is not); the caller checked access."""
    as_of = as_of or timezone.localdate()
    policy = policy or stall_policy()
    opp = (
        cast(
            "QuerySet[FactsOpportunity]",
            Opportunity.objects.filter(pk=opp_id, status=Opportunity.Status.OPEN).annotate(
                **_facts(policy, as_of)
            ),
        )
        .select_related("stage")
        .first()
    )
    return stall_reasons(facts_of(opp), policy, as_of) if opp is not None else ()


REASON_LABELS = {
    STAGE_TIME: gettext_lazy("Too long in stage"),
    NO_ACTIVITY: gettext_lazy("No customer activity"),
    CLOSE_PASSED: gettext_lazy("Close date passed"),
    CLOSE_PUSHED: gettext_lazy("Close date pushed"),
}


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))


def reason_text(reason: StallReason) -> str:
    """The reason with its numbers, in the active language ("43 days in stage, standard 21")."""
    if reason.code == STAGE_TIME:
        return ngettext(
            "%(days)d day in stage, standard %(standard)d",
            "%(days)d days in stage, standard %(standard)d",
            reason.value,
        ) % {"days": reason.value, "standard": reason.standard_days or 0}
    if reason.code == NO_ACTIVITY:
        if reason.never:
            return ngettext(
                "No customer activity since it was created %(days)d day ago",
                "No customer activity since it was created %(days)d days ago",
                reason.value,
            ) % {"days": reason.value}
        return ngettext(
            "No customer activity for %(days)d day (limit %(limit)s)",
            "No customer activity for %(days)d days (limit %(limit)s)",
            reason.value,
        ) % {"days": reason.value, "limit": reason.threshold}
    if reason.code == CLOSE_PASSED:
        return ngettext(
            "Close date passed %(days)d day ago", "Close date passed %(days)d days ago", reason.value
        ) % {"days": reason.value}
    return ngettext("Close date pushed %(count)d time", "Close date pushed %(count)d times", reason.value) % {
        "count": reason.value
    }
