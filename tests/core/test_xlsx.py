import zipfile
from datetime import date
from decimal import Decimal
from io import BytesIO

from django.utils import translation
from openpyxl import load_workbook

from kadence.core.export import Column, Typed, report_csv_file, report_response, report_workbook
from kadence.core.xlsx import safe_cell


def test_formulas_are_neutralised_and_numbers_kept():
    data = report_workbook(
        [
            (
                "Funnel",
                ["name", "amount"],
                [['=HYPERLINK("http://x")', Decimal("12.5")], ["+1", 3], ["@SUM(A1)", None], ["正常", 1]],
            )
        ]
    )
    sheet = load_workbook(BytesIO(data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][0] == '\'=HYPERLINK("http://x")' and values[1][1] == 12.5
    assert values[2][0] == "'+1" and values[3][0] == "'@SUM(A1)" and values[4] == ["正常", 1]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert safe_cell("-2") == "'-2" and safe_cell(-2) == -2


def test_characters_a_worksheet_cannot_hold_are_dropped():
    """Text stored before the input rules refused control characters still exports (openpyxl raised
    IllegalCharacterError on "\\x07"); tabs and line breaks stay."""
    data = report_workbook(
        [("Deals\x07: [Q4]", ["name\x00"], [["国网\x07电力\x1b"], ["第一行\n第二行\t"], ["=\x01x"]])]
    )
    book = load_workbook(BytesIO(data))
    sheet = book.active
    assert sheet.title == "Deals Q4"
    assert [row[0].value for row in sheet.iter_rows()] == ["name", "国网电力", "第一行\n第二行\t", "'=x"]


def test_the_file_name_cannot_break_the_header():
    response = report_response("xlsx", 'calibration-"a"\r\nX-Evil: 1', [("s", ["h"], [])])
    assert response["Content-Disposition"] == 'attachment; filename="calibration--a-X-Evil-1.xlsx"'


def test_report_cells_take_their_kinds_number_format_and_width():
    """One column notion for lists and reports: a "percent" is stored as a percentage (40 → 40 %), a
    "rate" as a fraction (0.25 → 25 %); both land as the fraction with a percentage format. A Typed
    cell gives its own kind; a date is a date in any column; widths follow what the cells show, a
    Chinese character counting two, capped at 60."""
    sheets = [
        (
            "报表",
            [
                "名称",
                Column("金额", kind="money"),
                Column("率", kind="rate"),
                Column("概率", kind="percent"),
                Column("值", kind="number"),
            ],
            [
                [
                    "国网江苏电力有限公司",
                    Decimal("1234567.5"),
                    Decimal("0.25"),
                    Decimal("40"),
                    Typed(Decimal(3), "money"),
                ],
                ["x" * 100, None, None, None, date(2026, 12, 5)],
            ],
        )
    ]
    sheet = load_workbook(BytesIO(report_workbook(sheets))).active
    row = sheet[2]
    assert [c.value for c in row] == ["国网江苏电力有限公司", 1234567.5, 0.25, 0.4, 3]
    assert [c.number_format for c in row] == ["General", "#,##0.00", "0.0%", "0.0%", "#,##0.00"]
    assert sheet["E3"].is_date and sheet["E3"].number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["A"].width == 60  # 100 characters, capped
    assert sheet.column_dimensions["B"].width == len("1,234,567.50") + 2
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b


def test_a_report_as_csv_one_file_or_a_zip_of_one_per_sheet():
    one = [("s", ["名称", Column("率", kind="rate")], [["=1+1", Decimal("0.5")], [True, None]])]
    with translation.override("zh-hans"):
        content, content_type, extension = report_csv_file(one)
    assert (content_type, extension) == ("text/csv; charset=utf-8", "csv")
    assert content.decode("utf-8") == "\ufeff名称,率\r\n'=1+1,0.5\r\n是,\r\n"  # yes/no in the user's language
    content, content_type, extension = report_csv_file([*one, ("汇总: [x]", ["a"], [["b"]])])
    archive = zipfile.ZipFile(BytesIO(content))
    assert (content_type, extension) == ("application/zip", "zip")
    assert archive.namelist() == ["1-s.csv", "2-汇总 x.csv"]
    assert archive.read("2-汇总 x.csv") == "\ufeffa\r\nb\r\n".encode()
    response = report_response("csv", "funnel", [*one, *one])
    assert response["Content-Disposition"] == 'attachment; filename="funnel.zip"'
