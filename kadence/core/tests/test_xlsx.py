from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook

from kadence.core.xlsx import safe_cell, workbook_bytes


def test_formulas_are_neutralised_and_numbers_kept():
    data = workbook_bytes([("Funnel", ["name", "amount"], [["=HYPERLINK(\"http://x\")", Decimal("12.5")],
                                                          ["+1", 3], ["@SUM(A1)", None], ["正常", 1]])])
    sheet = load_workbook(BytesIO(data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][0] == "'=HYPERLINK(\"http://x\")" and values[1][1] == 12.5
    assert values[2][0] == "'+1" and values[3][0] == "'@SUM(A1)" and values[4] == ["正常", 1]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert safe_cell("-2") == "'-2" and safe_cell(-2) == -2
