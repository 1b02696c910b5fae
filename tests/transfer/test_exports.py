"""Exports of the lists (issue 12 §9): every row the list's filters select that the user may see, in the
list's order, as CSV (UTF-8 with BOM, streamed) or xlsx (amounts as numbers, rates as percentages, dates as
dates); formula injection neutralised; the same from the page and the API; queries do not grow with rows."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from kadence.activities.services import activity_create
from kadence.pipeline import services

pytestmark = pytest.mark.django_db


def _deal(org, owner, name, amount="100000"):
    return services.opportunity_create(
        owner,
        account_id=org.account.pk if owner != org.sara else org.sara_account.pk,
        name=name,
        amount=amount,
        expected_close_date=date.today() + timedelta(days=30),
    )


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv(response) -> list[dict[str, str]]:
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_a_rep_exports_the_deals_they_see_with_the_filters_on_screen(client, org):
    _deal(org, org.rita, '=HYPERLINK("http://evil","点我")', "2500000.5")
    client.force_login(org.rita)
    response = client.get("/export/opportunities.csv", {"q": "HYPERLINK"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) == 1
    row = rows[0]
    assert row["商机"].startswith("'=HYPERLINK")  # text, never a formula
    assert row["金额"] == "2500000.50"
    # no filter: everything rita sees, and nothing she does not (sara's deal)
    names = {r["商机"] for r in _csv(client.get("/export/opportunities.csv"))}
    assert org.opp.name in names and org.sara_opp.name not in names


def test_the_xlsx_keeps_numbers_percentages_and_dates(client, org):
    client.force_login(org.mona)
    response = client.get("/export/opportunities.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(_body(response))).active
    header = [c.value for c in sheet[1]]
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    amount, probability, close = (first[h] for h in ("金额", "概率", "预计成交日期"))
    assert isinstance(amount.value, int | float) and amount.number_format == "#,##0.00"
    assert probability.number_format == "0.0%" and 0 < probability.value <= 1
    assert close.is_date and close.number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 20


def test_the_api_exports_with_the_list_filters_and_refuses_a_bad_format(client, token_for, org):
    won = _deal(org, org.rita, "赢单项目")
    Opportunity = type(won)
    Opportunity.objects.filter(pk=won.pk).update(status="won", closed_on=date.today())
    response = client.get(
        "/api/exports/opportunities", {"status": "won", "format": "csv"}, **token_for(org.mona)
    )
    assert response.status_code == 200
    assert [r["商机"] for r in _csv(response)] == ["赢单项目"]
    bad = client.get("/api/exports/opportunities", {"format": "pdf"}, **token_for(org.mona))
    assert bad.status_code == 422 and "errors" in bad.json()
    mine = client.get("/api/exports/opportunities", {"format": "xlsx"}, **token_for(org.sara))
    sheet = load_workbook(io.BytesIO(_body(mine))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [org.sara_opp.name]


def test_accounts_contacts_and_activities_export_too(client, token_for, org):
    from kadence.accounts.services import contact_create

    contact_create(org.rita, account_id=org.account.pk, name="@张工", title="总工", phone="13800000000")
    activity_create(org.rita, account_id=org.account.pk, kind="visit", subject="+拜访", date=date.today())
    client.force_login(org.rita)
    accounts = _csv(client.get("/export/accounts.csv"))
    assert [a["客户"] for a in accounts] == [org.account.name]
    assert Decimal(accounts[0]["购买力"]) == Decimal("5000000")
    contacts = _csv(client.get("/api/exports/contacts", {"format": "csv"}, **token_for(org.rita)))
    assert [c["联系人"] for c in contacts] == ["'@张工"]
    activities = _csv(client.get("/export/activities.csv"))
    assert [a["主题"] for a in activities] == ["'+拜访"]
    assert client.get("/export/nothing.csv").status_code == 404
    assert client.get("/export/accounts.pdf").status_code == 404


def test_an_export_reads_its_rows_in_chunks_whatever_their_number(client, org):
    client.force_login(org.rita)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _body(client.get("/export/opportunities.csv"))
        return len(captured)

    few = queries()
    for n in range(30):
        _deal(org, org.rita, f"批量 {n}")
    assert queries() == few


def test_the_list_pages_link_their_exports_with_the_filters_on_screen(client, org):
    from kadence.accounts.services import contact_create

    contact_create(org.rita, account_id=org.account.pk, name="李工", title="总工")
    client.force_login(org.rita)
    page = client.get("/opportunities/", {"status": "open"}).content.decode()
    assert 'href="/export/opportunities.xlsx?status=open"' in page
    fragment = client.get(
        "/opportunities/", {"status": "won"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="opp-table"
    )
    assert 'href="/export/opportunities.csv?status=won"' in fragment.content.decode()
    assert "/export/accounts.xlsx?" in client.get("/accounts/").content.decode()
    assert "/export/activities.csv?" in client.get("/activities/").content.decode()
    detail = client.get(f"/accounts/{org.account.pk}/").content.decode()
    assert f'/export/contacts.xlsx?account_id={org.account.pk}"' in detail


@pytest.mark.parametrize("name", ["opportunities", "accounts", "contacts", "activities"])
def test_strange_filters_on_an_export_page_mean_any_never_an_error(client, org, name):
    client.force_login(org.rita)
    odd = {
        "account_id": "99999999999999999999999",
        "owner": "-1",
        "team": "１２",
        "close_from": "2026-02-30",
        "date_from": "0000-01-01",
        "q": "国网\x00\x07",
        "sort": "'; drop table x",
        "status": "sideways",
    }
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/export/{name}.{fmt}", odd)
        assert response.status_code == 200, (name, fmt)
        assert _body(response)
