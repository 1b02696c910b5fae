"""Every report's export in both formats (issue 12 §9): xlsx and CSV answer for a rep and an admin,
CSV opens with a byte-order mark, a name a spreadsheet would read as a formula stays text, amounts,
rates and dates carry their number formats, and a rep's export holds nothing of another team."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kadence.core.export import ZIP_TYPE
from kadence.core.models import OrgUnit, User
from kadence.core.xlsx import CONTENT_TYPE, FORMULA_START
from kadence.pipeline.models import Account, Opportunity, ProcessTemplate

pytestmark = pytest.mark.django_db

# URL name → the settings asked for (small, so the test stays quick).
REPORTS = {
    "funnel": {},
    "funnel_analysis": {},
    "pipeline_changes": {"bar": "new"},
    "stalled_deals": {},
    "ideal_funnel": {},
    "forecast": {},
    "probabilistic_forecast": {"trials": 100},
    "forecast_backtest": {"periods": 2},
    "calibration": {},
}
SINGLE_SHEET = {"funnel_analysis", "stalled_deals"}  # their CSV is one file; the others a zip
# Exports holding no name anyone typed: model labels, dates and numbers (the backtest), and the
# company's probabilistic forecast here (its deals close after the period: no process is listed).
NO_FREE_TEXT = {
    ("forecast_backtest", "rita"),
    ("forecast_backtest", "ada"),
    ("probabilistic_forecast", "ada"),
}
MONEY, PERCENT, DATE = "#,##0.00", "0.0%", "yyyy-mm-dd"
# report → (sheet, column, number format): one cell of each kind the report holds, in row 2
FORMATS = {
    "funnel": [(0, "C", MONEY), (1, "B4", DATE)],
    "funnel_analysis": [(0, "C", MONEY), (0, "O", PERCENT)],
    "pipeline_changes": [(0, "D", MONEY), (1, "L", MONEY), (1, "M", DATE)],
    "stalled_deals": [(0, "Q", MONEY), (0, "J", DATE)],
    "ideal_funnel": [(0, "C", PERCENT), (0, "M", MONEY), (0, "Q", DATE)],
    "forecast": [(0, "C", MONEY), (2, "C", MONEY)],
    "probabilistic_forecast": [(0, "B3", DATE), (1, "B", MONEY)],
    "forecast_backtest": [(0, "B", PERCENT), (0, "E", MONEY), (1, "A", DATE)],
    "calibration": [(0, "C", PERCENT)],
}


@pytest.fixture
def named(org):
    """Every name a report shows starts with a formula character, and both deals have stalled (60
    days in their first stage, no activity), so they appear in the stalled and ideal exports too."""
    noon = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=60), time(12)))
    Opportunity.objects.filter(pk=org.opp.pk).update(
        name="=变电站自动化改造", stage_entered_at=noon, created_at=noon
    )
    Opportunity.objects.filter(pk=org.sara_opp.pk).update(
        name='=HYPERLINK("http://evil","机房动环监控")', stage_entered_at=noon, created_at=noon
    )
    Account.objects.filter(pk=org.sara_account.pk).update(name="+广东移动")
    for unit in OrgUnit.objects.all():
        OrgUnit.objects.filter(pk=unit.pk).update(name_zh="=" + unit.name_zh, name_en="=" + unit.name_en)
    ProcessTemplate.objects.update(name_zh="=SUM(1)", name_en="=SUM(1)")
    User.objects.filter(pk=org.sara.pk).update(display_name="@Sara")
    User.objects.filter(pk=org.rita.pk).update(display_name="-Rita")
    return org


def formula(text: str) -> bool:
    """Text a spreadsheet would evaluate (a negative number is a number, not a formula)."""
    try:
        Decimal(text)
    except ArithmeticError:
        return text.startswith(FORMULA_START)
    return False


def csv_files(response) -> dict[str, bytes]:
    if response["Content-Type"] == ZIP_TYPE:
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        return {name: archive.read(name) for name in archive.namelist()}
    return {"": response.content}


def csv_cells(response) -> list[str]:
    cells = []
    for content in csv_files(response).values():
        assert content.startswith("\ufeff".encode()), "Excel reads a CSV without a BOM as ANSI"
        cells += [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]
    return cells


def xlsx_cells(response) -> list[str]:
    book = load_workbook(io.BytesIO(response.content))
    return [str(v) for s in book.worksheets for row in s.iter_rows(values_only=True) for v in row if v]


@pytest.mark.parametrize("persona", ["rita", "ada"])
@pytest.mark.parametrize("report", REPORTS)
def test_both_formats_answer_with_formulas_neutralised(client, named, report, persona):
    client.force_login(getattr(named, persona))
    xlsx = client.get(reverse(report), {**REPORTS[report], "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"] == CONTENT_TYPE
    assert xlsx["Content-Disposition"].endswith('.xlsx"')
    response = client.get(reverse(report), {**REPORTS[report], "format": "csv"})
    assert response.status_code == 200
    if report in SINGLE_SHEET:
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].endswith('.csv"')
    else:
        assert response["Content-Type"] == ZIP_TYPE and response["Content-Disposition"].endswith('.zip"')
        names = list(csv_files(response))
        assert names[0].startswith("1-") and all(name.endswith(".csv") for name in names)
        assert len(names) == len(load_workbook(io.BytesIO(xlsx.content)).worksheets)
    cells = csv_cells(response)
    assert not [c for c in cells if formula(c)]  # a formula never reaches a sheet
    if (report, persona) not in NO_FREE_TEXT:
        neutralised = [c for c in cells if c.startswith("'") and c[1:].startswith(FORMULA_START)]
        assert neutralised, "the names set above must show, neutralised"
    assert not [c for c in xlsx_cells(xlsx) if formula(c)]


@pytest.mark.parametrize("report", REPORTS)
def test_a_reps_export_holds_no_other_team(client, named, report):
    """Rita (north-1) sees neither Sara's deal, account, name nor team in either format; the admin's
    export of the deal reports holds them (so the check can fail)."""
    others = ("机房动环监控", "+广东移动", "@Sara", "=南一")
    client.force_login(named.rita)
    for fmt, cells in (("xlsx", xlsx_cells), ("csv", csv_cells)):
        response = client.get(reverse(report), {**REPORTS[report], "format": fmt})
        found = [c for c in cells(response) if any(o in c for o in others)]
        assert found == [], fmt
    if report in ("pipeline_changes", "stalled_deals", "ideal_funnel"):
        client.force_login(named.ada)
        for fmt, cells in (("xlsx", xlsx_cells), ("csv", csv_cells)):
            response = client.get(reverse(report), {**REPORTS[report], "format": fmt})
            assert any("机房动环监控" in c for c in cells(response)), fmt


@pytest.mark.parametrize("report", REPORTS)
def test_xlsx_cells_carry_number_formats(client, named, report):
    """Amounts are numbers with a thousands format, rates percentages (the fraction: 0.1 shows 10.0%),
    dates dates; columns are as wide as what they show."""
    client.force_login(named.ada)
    book = load_workbook(
        io.BytesIO(client.get(reverse(report), {**REPORTS[report], "format": "xlsx"}).content)
    )
    for index, where, number_format in FORMATS[report]:
        sheet = book.worksheets[index]
        cell = sheet[where if where[-1].isdigit() else f"{where}2"]
        assert cell.number_format == number_format, (sheet.title, cell.coordinate)
        if number_format == DATE:
            assert cell.is_date, (sheet.title, cell.coordinate)
        else:
            assert isinstance(cell.value, int | float | Decimal), (sheet.title, cell.coordinate, cell.value)
        if number_format == PERCENT:
            assert 0 <= cell.value <= 1
    for sheet in book.worksheets:
        widths = [d.width for d in sheet.column_dimensions.values()]
        assert widths and all(8 <= w <= 60 for w in widths), sheet.title


def test_the_page_offers_both_formats(client, named):
    client.force_login(named.ada)
    html = client.get(reverse("funnel_analysis")).content.decode()
    assert 'data-testid="analysis-export"' in html and 'data-testid="analysis-export-csv"' in html
    assert "format=xlsx" in html and "format=csv" in html
