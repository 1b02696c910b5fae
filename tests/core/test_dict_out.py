"""DictOut validates a report's plain dicts as ninja's Schema does, without its per-object getter."""

from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace
from typing import Any

from ninja import Schema

from kadence.core.schemas import DictOut, Money


class RowPlain(Schema):
    id: int
    amount: Money
    day: date | None
    rate: Money | None


class RowFast(DictOut):
    id: int
    amount: Money
    day: date | None
    rate: Money | None


class ReportPlain(Schema):
    label: str
    rows: list[RowPlain]
    extra: dict[str, Money]


class ReportFast(DictOut):
    label: str
    rows: list[RowFast]
    extra: dict[str, Money]


class Resolved(DictOut):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return f"n{obj.id}"


def test_dicts_validate_and_dump_as_with_schema():
    data = {
        "label": "all",
        "rows": [
            {"id": 1, "amount": D("12.50"), "day": date(2026, 1, 2), "rate": None, "unused": object()},
            {"id": 2, "amount": D("0"), "day": None, "rate": D("0.3333")},
            SimpleNamespace(id=3, amount=D("7"), day=None, rate=None),  # an object: read by attribute
        ],
        "extra": {"commit": D("1.00")},
    }
    assert ReportFast.model_validate(data).model_dump() == ReportPlain.model_validate(data).model_dump()
    assert ReportFast.model_validate(data).model_dump()["rows"][0] == {
        "id": 1,
        "amount": "12.50",
        "day": date(2026, 1, 2),
        "rate": None,
    }


def test_resolvers_still_run():
    assert Resolved.model_validate(SimpleNamespace(id=5)).name == "n5"


def test_same_json_schema():
    plain, fast = RowPlain.model_json_schema(), RowFast.model_json_schema()
    assert {k: v for k, v in plain.items() if k != "title"} == {k: v for k, v in fast.items() if k != "title"}
