"""Pages at the edges never answer 500 (issue 8 §2): every page, and its xlsx export, fed dates outside
the accepted years, page numbers past any database offset, ids and counts too big for a bigint, digits
int() refuses ("³") and money past the bound, answers a page (4xx with the message in place, or the
page clamped), and the exports write whatever text is already stored."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kadence.accounts.models import Account
from kadence.activities.services import activity_create
from kadence.deals.models import Expense
from kadence.pipeline.models import Opportunity
from kadence.planning.services.targets import target_create
from tests.pages.discover import page_urls
from tests.prg import refused_post

DATE_PARAMS = ("period_start", "as_of", "from", "to", "date_from", "date_to", "close_from", "close_to")
HUGE = "99999999999999999999"
EDGES = [
    {name: "0001-01-01" for name in DATE_PARAMS},
    {name: "9999-12-31" for name in DATE_PARAMS},
    {"page": HUGE, "page_size": HUGE, "size": HUGE, "periods": HUGE, "col_1": HUGE},
    {"page": "³", "page_size": "³", "periods": "³", "unit_id": "³", "owner_id": "³", "template_id": "³"},
    {
        "unit_id": HUGE,
        "owner_id": HUGE,
        "template_id": HUGE,
        "account": HUGE,
        "opportunity": HUGE,
        "trials": HUGE,
        "seed": HUGE,
    },
    {"target": "99999999999999", "avg_deal": "1e-300"},
    {"target": "1e300", "avg_deal": "0.001"},
]


@pytest.fixture
def ids(org):
    activity = activity_create(org.rita, opportunity_id=org.opp.pk, kind="visit", subject="拜访")
    return {"pk": org.opp.pk, "account_id": org.account.pk, "activity_id": activity.pk}


@pytest.mark.parametrize(
    "edge",
    EDGES,
    ids=["year-1", "year-9999", "huge-pages", "odd-digits", "huge-ids", "tiny-deal", "huge-target"],
)
def test_no_page_answers_500_at_the_edges(org, ids, edge):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(org.ada)
    pages = page_urls(ids)
    assert len(pages) > 30
    failures = []
    for url in pages:
        for params in (edge, {**edge, "format": "xlsx"}):
            response = client.get(url, params)
            if response.status_code >= 500:
                failures.append((url, params, response.status_code))
    assert not failures, failures


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("ideal_funnel", {"period_start": "9999-12-31"}, "period_start"),
        ("ideal_funnel", {"period_start": "0001-01-01"}, "period_start"),
        ("ideal_funnel", {"target": "99999999999999", "avg_deal": "1e-300"}, "avg_deal"),
        ("funnel", {"as_of": "0001-01-01"}, "as_of"),
        ("targets", {"period_start": "9999-12-31"}, "period_start"),
        ("forecast", {"period_start": "9999-12-31"}, "period_start"),
        ("probabilistic_forecast", {"period_start": "0001-01-01"}, "period_start"),
        ("cost_of_sale", {"from": "0001-01-01"}, "from"),
        ("opportunity_list", {"close_from": "9999-12-31"}, "close_from"),
    ],
)
def test_a_date_or_amount_out_of_range_is_said_on_the_page(org, url, params, field):
    """The page answers with the rule in words (the accepted years, the money bound) on the field, or
    with its "settings not valid" message for the reports that fall back to their defaults."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.mona)
    response = client.get(reverse(url), params)
    html = response.content.decode()
    assert response.status_code in (200, 400, 422), response.status_code
    assert (
        "Enter a date between 1900-01-01 and 2200-12-31." in html
        or "Enter at least 0.01." in html
        or "Enter less than 1,000,000,000,000." in html
        or 'data-code="validation_failed"' in html
    ), html[:3000]


def test_a_page_number_past_any_offset_shows_the_last_page(org, make_opps):
    make_opps(3)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.mona)
    for name in (
        "stalled_deals",
        "opportunity_list",
        "account_list",
        "activity_list",
        "targets",
        "gate_overrides",
    ):
        response = client.get(reverse(name), {"page": HUGE})
        assert response.status_code == 200, name


def test_an_expense_of_an_odd_digit_category_is_refused_on_the_page(org):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.rita)
    response = client.post(
        reverse("deal_expense_log", args=[org.opp.pk]),
        {
            "category": "³",
            "amount": "100",
            "spent_on": timezone.localdate().isoformat(),
            "description": "出差",
        },
    )
    # Refused: the form comes back (post-redirect-get) and nothing is saved.
    assert response.status_code in (200, 303, 422) and not Expense.objects.exists()
    response = client.post(reverse("deal_expense_budget", args=[org.opp.pk]), {"travel": "1e300"})
    assert response.status_code < 500


@pytest.mark.parametrize(
    ("field", "value"), [("name", "国网\x07电力"), ("name", "国网\n电力"), ("address", "\x1b[31m")]
)
def test_control_characters_are_refused_by_the_account_form(org, field, value):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.rita)
    data = {
        "name": "客户",
        "industry": org.industry.pk,
        "region": org.north.pk,
        "size": "medium",
        "status": "prospect",
        "currency": "CNY",
        field: value,
    }
    response = refused_post(client, reverse("account_create"), data, status=422)  # post-redirect-get
    assert "cannot be stored" in response.content.decode()
    assert not Account.objects.filter(name__in=["客户", value]).exists()


def test_an_opportunity_form_with_a_date_past_the_years_is_refused(org):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.rita)
    response = refused_post(
        client,
        reverse("opportunity_create"),
        {
            "account": org.account.pk,
            "name": "项目",
            "amount": "1000",
            "currency": "CNY",
            "expected_close_date": "9999-12-31",
        },
        status=422,
    )  # post-redirect-get
    assert "Enter a date between 1900-01-01 and 2200-12-31." in response.content.decode()
    assert not Opportunity.objects.filter(name="项目").exists()


# --- exports of what is already stored ------------------------------------------------------------


def _cells(response) -> list[str]:
    book = load_workbook(BytesIO(response.content), read_only=True)
    return [
        str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c
    ]


def test_a_stored_name_with_a_control_character_exports(org):
    """Names stored before the input rules (here written straight to the database) still export: the
    characters a worksheet cannot hold are dropped."""
    today = timezone.localdate()
    Opportunity.objects.filter(pk=org.opp.pk).update(
        name="变电站\x07改造", stage_entered_at=timezone.now() - timedelta(days=400)
    )
    Account.objects.filter(pk=org.account.pk).update(name="国网\x1b江苏")
    type(org.rita).objects.filter(pk=org.rita.pk).update(display_name="Rita\x08\x1f")
    target_create(org.mona, period_kind="quarter", period_start=today, amount="1000000", user_id=org.rita.pk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.mona)
    stalled = client.get(reverse("stalled_deals"), {"format": "xlsx"})
    assert stalled.status_code == 200
    assert {"变电站改造", "国网江苏"} <= set(_cells(stalled))
    for name in (
        "ideal_funnel",
        "forecast",
        "funnel",
        "probabilistic_forecast",
        "funnel_analysis",
        "calibration",
    ):
        response = client.get(reverse(name), {"format": "xlsx"})
        assert response.status_code == 200, name
        assert not any("\x07" in c or "\x1b" in c or "\x08" in c for c in _cells(response)), name
    assert "Rita" in _cells(client.get(reverse("ideal_funnel"), {"format": "xlsx"}))
