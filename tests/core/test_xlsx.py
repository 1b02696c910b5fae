from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook

from kadence.core.xlsx import safe_cell, workbook_bytes, xlsx_response


def test_formulas_are_neutralised_and_numbers_kept():
    data = workbook_bytes(
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
    data = workbook_bytes(
        [("Deals\x07: [Q4]", ["name\x00"], [["国网\x07电力\x1b"], ["第一行\n第二行\t"], ["=\x01x"]])]
    )
    book = load_workbook(BytesIO(data))
    sheet = book.active
    assert sheet.title == "Deals Q4"
    assert [row[0].value for row in sheet.iter_rows()] == ["name", "国网电力", "第一行\n第二行\t", "'=x"]


def test_the_file_name_cannot_break_the_header():
    response = xlsx_response('calibration-"a"\r\nX-Evil: 1', [("s", ["h"], [])])
    assert response["Content-Disposition"] == 'attachment; filename="calibration--a-X-Evil-1.xlsx"'
