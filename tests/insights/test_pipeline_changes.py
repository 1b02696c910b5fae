"""What changed in the pipeline between two dates (issue 11 §4): the opening and closing pipelines equal
the history's reconstruction at both ends (another code path: kadence.pipeline.month_ends), the bars
reconcile exactly, each deal falls in the bars its two states say, the deals behind a bar page, scope
and input are checked, and the query count does not grow with the data."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kadence.core.errors import NotFound, ValidationFailed
from kadence.core.visibility import resolve_scope
from kadence.insights.selectors.changes import (
    MAX_DAYS_BACK,
    State,
    classify,
    pipeline_changes,
    reconciles,
)
from kadence.pipeline import services, stays
from kadence.pipeline.models import Opportunity, Stage, StageChange
from kadence.pipeline.month_ends import end_of, reconstruct
from tests.test_concurrency import _operations


def _spread_history(days: int = 40) -> None:
    """Stamp every history row at increasing moments over the last `days` days, in id order per deal
    (as the services would have written them then)."""
    now = timezone.now()
    rows = list(StageChange.objects.order_by("opportunity_id", "id").values_list("opportunity_id", "id"))
    rng = random.Random(5)
    by_deal: dict[int, list[int]] = {}
    for opp_id, pk in rows:
        by_deal.setdefault(opp_id, []).append(pk)
    for ids in by_deal.values():
        moments = sorted(now - timedelta(hours=rng.uniform(1, 24 * days)) for _ in ids)
        for pk, moment in zip(ids, moments, strict=True):
            StageChange.objects.filter(pk=pk).update(changed_at=moment)
    stays.rebuild()  # rewritten in bulk, outside the history writer: what it keeps, recomputed


# mostly changes inside the pipeline, some closings and reopenings
MIX = [
    "move",
    "move",
    "move",
    "update",
    "update",
    "reassign",
    "c139",
    "evidence",
    "close_won",
    "close_lost",
    "reopen",
]


@pytest.fixture
def book(org):
    rng = random.Random(21)
    operations = _operations(org, rng)
    deals = [
        services.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"changes {n}",
            amount=str(100000 * (n + 1)),
            expected_close_date=date.today() + timedelta(days=30 + n),
        ).pk
        for n in range(6)
    ]
    for _step in range(60):
        try:
            operations[rng.choice(MIX)](rng.choice(deals))
        except Exception:  # noqa: BLE001 - a refusal is fine here; the history is what matters
            pass
    _spread_history()
    return org


def _brute(user, date_from, date_to, **kwargs):
    """Every deal of the scope, each state read from its whole history."""
    scope = resolve_scope(user, **kwargs)
    deals = scope.filter(Opportunity.objects.all())
    order = {s.pk: s.order for s in Stage.objects.all()}
    bars: dict[str, tuple[int, Decimal]] = {}
    for opp in deals:
        history = list(StageChange.objects.filter(opportunity=opp).order_by("id"))

        def at(moment, history=history):
            rows = [h for h in history if h.changed_at < moment]
            h = rows[-1] if rows else None
            return State(h.status, h.amount, h.to_stage_id, h.expected_close_date) if h else None

        before, after = at(end_of(date_from)), at(end_of(date_to))
        for code in classify(before, after, order):
            n, amount = bars.get(code, (0, Decimal(0)))
            if code in ("won", "lost"):
                delta = before.amount
            elif code == "amount_up":
                delta = after.amount - before.amount
            elif code == "amount_down":
                delta = before.amount - after.amount
            else:
                delta = after.amount
            bars[code] = (n + 1, amount + delta)
    return bars


def _totals(user, day, **kwargs):
    scope = resolve_scope(user, **kwargs)
    per_stage = reconstruct([day], deals=scope.filter(Opportunity.objects.all()))
    held = [h for per_day in per_stage.values() for d, h in per_day.items() if d == day]
    return sum(h.count for h in held), sum((h.amount for h in held), Decimal(0))


@pytest.mark.django_db
def test_changes_reconcile_and_equal_the_history_for_every_scope_and_window(book):
    today = timezone.localdate()
    windows = [(today - timedelta(days=7), today), (today - timedelta(days=30), today - timedelta(days=10))]
    windows += [(today - timedelta(days=d), today - timedelta(days=d - 5)) for d in (20, 35)]
    seen = set()
    for user, kwargs in [
        (book.rita, {}),
        (book.mona, {}),
        (book.dora, {}),
        (book.ada, {}),
        (book.ada, {"unit_id": book.n1.pk}),
        (book.dora, {"owner_id": book.nick.pk}),
    ]:
        for date_from, date_to in windows:
            report = pipeline_changes(user, date_from=date_from, date_to=date_to, **kwargs)
            assert reconciles(report), (user, date_from, date_to)
            opening, closing = report.get("opening"), report.get("closing")
            assert (opening.count, opening.amount) == _totals(user, date_from, **kwargs)
            assert (closing.count, closing.amount) == _totals(user, date_to, **kwargs)
            expected = _brute(user, date_from, date_to, **kwargs)
            got = {
                b.code: (b.count, b.amount)
                for b in report.bars
                if b.count and b.code not in ("opening", "closing")
            }
            assert got == expected, (user, kwargs, date_from, date_to)
            seen |= set(got)
    assert {"new", "won", "lost", "moved_forward"} <= seen, seen


@pytest.mark.django_db
def test_the_deals_behind_a_bar_page_largest_first(book):
    today = timezone.localdate()
    full = pipeline_changes(book.ada, date_from=today - timedelta(days=35), date_to=today)
    bar = max((b for b in full.bars if b.code not in ("opening", "closing")), key=lambda b: b.count)
    first = pipeline_changes(book.ada, date_from=today - timedelta(days=35), bar=bar.code, page_size=2)
    assert first.page.count == bar.count and len(first.page.items) == min(2, bar.count)
    everyone = pipeline_changes(book.ada, date_from=today - timedelta(days=35), bar=bar.code, everything=True)
    amounts = [(d.after or d.before).amount for d in everyone.page.items]
    assert amounts == sorted(amounts, reverse=True) and all(bar.code in d.bars for d in everyone.page.items)


@pytest.mark.django_db
def test_bad_windows_and_scopes_are_refused(book):
    today = timezone.localdate()
    for kwargs in (
        {"date_from": today, "date_to": today},
        {"date_from": today - timedelta(days=3), "date_to": today - timedelta(days=5)},
        {"date_to": today + timedelta(days=1)},
        {"date_from": today - timedelta(days=MAX_DAYS_BACK + 1)},
        {"date_from": date(1, 1, 1)},
        {"bar": "opening"},
        {"bar": "'; drop"},
    ):
        with pytest.raises(ValidationFailed):
            pipeline_changes(book.ada, **kwargs)
    with pytest.raises(NotFound):
        pipeline_changes(book.rita, owner_id=book.tom.pk)
    with pytest.raises(NotFound):
        pipeline_changes(book.mona, unit_id=book.south.pk)


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_data(book, django_assert_max_num_queries):
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as small:
        pipeline_changes(book.ada, date_from=today - timedelta(days=35), bar="new")
    for n in range(5):
        services.opportunity_create(
            book.rita,
            account_id=book.account.pk,
            name=f"more {n}",
            amount="5000",
            expected_close_date=today + timedelta(days=9),
        )
    with CaptureQueriesContext(connection) as large:
        pipeline_changes(book.ada, date_from=today - timedelta(days=35), bar="new")
    assert len(large) == len(small) <= 8


@pytest.mark.django_db
def test_api_and_page(book, token_for):
    today = timezone.localdate()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    headers = token_for(book.mona)
    body = client.get(
        "/api/reports/pipeline-changes",
        {"bar": "new", "date_from": (today - timedelta(days=35)).isoformat()},
        **headers,
    ).json()
    codes = [b["code"] for b in body["bars"]]
    assert codes[0] == "opening" and "closing" in codes and body["scope"]["kind"] == "all"
    assert body["count"] == next(b["count"] for b in body["bars"] if b["code"] == "new")
    assert all(item["opportunity"]["id"] for item in body["items"])
    bad = client.get("/api/reports/pipeline-changes", {"date_from": "2020-01-01"}, **headers)
    assert bad.status_code == 422 and "date_from" in bad.json()["errors"]
    assert (
        client.get("/api/reports/pipeline-changes", {"unit_id": book.south.pk}, **headers).status_code == 404
    )
    client.force_login(book.mona)
    page = client.get("/reports/pipeline-changes/", {"date_from": (today - timedelta(days=35)).isoformat()})
    assert page.status_code == 200 and 'data-chart="pipeline-changes-figure"' in page.content.decode()
    export = client.get("/reports/pipeline-changes/", {"format": "xlsx", "bar": "new"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get("/reports/pipeline-changes/", {"date_from": "2020-01-01"}).status_code == 422
