"""Input at the edges never answers 500 (issue 8 §2): dates outside the accepted years, money past the
one bound, page numbers past any offset a database takes, digits int() refuses, control characters.
Each is refused with 422 {"detail", "code", "errors"}, by the same rule in every place; the generic
tests walk the API's own description so that a new operation is covered when it is added."""

from __future__ import annotations

import typing
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from config.api import api as ninja_api
from kadence.accounts.models import Account
from kadence.core.schemas import MAX_PAGE_NUMBER
from kadence.deals.models import Expense
from kadence.pipeline.models import Opportunity

EDGE_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"]


def _schema() -> dict[str, Any]:
    return ninja_api.get_openapi_schema()


def _date_params() -> list[tuple[str, str]]:
    """(path, query parameter) of every GET operation with a date parameter."""
    found = []
    for path, operations in _schema()["paths"].items():
        for param in operations.get("get", {}).get("parameters", []):
            if param["in"] == "query" and '"date"' in str(param.get("schema")).replace("'", '"'):
                found.append((path, param["name"]))
    return found


def _url(path: str, world) -> str:
    if "{job_id}" in path:  # an import of the admin's (the problems of its check are a paged list)
        from django.core.files.uploadedfile import SimpleUploadedFile

        from kadence.transfer.models import ImportJob
        from kadence.transfer.services import import_job_create

        job = ImportJob.objects.first() or import_job_create(
            world.ada, kind="accounts", upload=SimpleUploadedFile("a.csv", "客户名称\n甲\n".encode())
        )
        path = path.replace("{job_id}", str(job.pk))
    return path.replace("{opp_id}", str(world.opp.pk))


def test_the_walk_finds_the_report_dates():
    found = set(_date_params())
    assert {
        ("/api/reports/ideal", "period_start"),
        ("/api/reports/capacity", "period_start"),
        ("/api/reports/funnel", "as_of"),
        ("/api/opportunities", "close_from"),
    } <= found
    assert len(found) >= 20


@pytest.mark.parametrize("value", EDGE_DATES)
def test_every_date_query_parameter_outside_the_years_is_a_422(api, world, value):
    """Every GET operation with a date parameter, as an admin and as a rep: 422 naming the parameter."""
    for user in (world.ada, world.rita):
        for path, name in _date_params():
            body = api.get(_url(path, world), user, expect=None, **{name: value})
            assert api.last.status_code == 422, (path, name, value, api.last.status_code, body)
            assert body["code"] == "validation_failed", (path, body)
            assert any(e["loc"][-1] == name and e["type"] == "date_out_of_range" for e in body["errors"]), (
                body
            )


@pytest.mark.parametrize("value", ["0", "1733184000", "2026-12-03T10:00:00", "2026/12/03", "20261203"])
def test_every_date_query_parameter_takes_only_iso_dates(api, world, value):
    """A number is not a date (pydantic read it as a Unix timestamp: `as_of=0` was 1970-01-01), nor is a
    datetime or another format: 422 naming the parameter, everywhere."""
    for path, name in _date_params():
        body = api.get(_url(path, world), world.ada, expect=None, **{name: value})
        assert api.last.status_code == 422, (path, name, value, api.last.status_code, body)
        assert any(e["loc"][-1] == name and e["type"] == "date_format" for e in body["errors"]), body


def test_the_years_at_the_ends_of_the_range_are_taken(api, world):
    """Period ends, history windows and "as_of + N days" stay inside the calendar at both ends."""
    api.get("/api/reports/funnel", world.ada, expect=200, as_of="1900-01-01")
    for path, name in [
        ("/api/reports/ideal", "period_start"),
        ("/api/reports/capacity", "period_start"),
        ("/api/forecast", "period_start"),
        ("/api/forecast/probabilistic", "period_start"),
        ("/api/forecast/probabilistic", "as_of"),
        ("/api/targets", "period_start"),
        ("/api/forecast/orders", "as_of"),
        ("/api/forecast/accuracy", "as_of"),
    ]:
        for value in ("1900-01-01", "2200-12-31"):
            api.get(path, world.ada, expect=200, **{name: value})


def test_the_range_is_a_setting(api, world, settings):
    settings.KADENCE_MIN_YEAR, settings.KADENCE_MAX_YEAR = 2000, 2100
    body = api.get("/api/reports/funnel", world.rita, expect=422, as_of="1999-12-31")
    assert "2000-01-01" in body["detail"] and "2100-12-31" in body["detail"]
    api.get("/api/reports/funnel", world.rita, expect=200, as_of="2000-01-01")


def _input_models() -> set[type[BaseModel]]:
    """Every pydantic model an API operation reads (query, path and body, nested ones included)."""
    seen: set[type[BaseModel]] = set()

    def walk(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.add(annotation)
            for field in annotation.model_fields.values():
                walk(field.annotation)
        for arg in typing.get_args(annotation):
            walk(arg)

    for _prefix, router in ninja_api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in operation.signature.models:
                    walk(model)
    return seen


def _mentions(annotation: Any, kind: type) -> bool:
    return annotation is kind or any(_mentions(a, kind) for a in typing.get_args(annotation))


def test_every_date_an_api_client_sends_is_held_to_the_years():
    """Each date field of each input model (bodies and queries) refuses year 1 and year 9999 by the
    shared rule (kadence.core.schemas.Day); no input takes a datetime."""
    checked = []
    for model in _input_models():
        for name, field in model.model_fields.items():
            assert not _mentions(field.annotation, datetime), (model, name)
            if not _mentions(field.annotation, date):
                continue
            for value in ("0001-01-01", "9999-12-31"):
                with pytest.raises(ValidationError) as raised:
                    model.model_validate({name: value})
                types = {e["type"] for e in raised.value.errors() if e["loc"][:1] == (name,)}
                assert types == {"date_out_of_range"}, (model.__name__, name, value, raised.value.errors())
            checked.append(f"{model.__name__}.{name}")
    assert len(checked) >= 35, checked


# --- dates in bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_close_activity_and_expense_dates_in_year_1_or_9999_are_refused(api, world, value):
    before = Opportunity.objects.count()
    body = api.post(
        "/api/opportunities",
        world.rita,
        {"account_id": world.account.pk, "name": "项目", "amount": "1000", "expected_close_date": value},
        expect=422,
    )
    assert body["errors"][0]["type"] == "date_out_of_range"
    assert Opportunity.objects.count() == before
    opp = world.opp
    api.patch(
        f"/api/opportunities/{opp.pk}",
        world.rita,
        {"version": opp.version, "expected_close_date": value},
        expect=422,
    )
    api.post(
        f"/api/opportunities/{opp.pk}/close-lost",
        world.rita,
        {"version": opp.version, "loss_reason_id": 1, "closed_on": value},
        expect=422,
    )
    api.post(
        "/api/activities",
        world.rita,
        {"account_id": world.account.pk, "kind": "visit", "subject": "拜访", "date": value},
        expect=422,
    )
    api.post(
        "/api/activities",
        world.rita,
        {"account_id": world.account.pk, "kind": "visit", "subject": "拜访", "next_step_date": value},
        expect=422,
    )
    api.post(
        f"/api/opportunities/{opp.pk}/expenses",
        world.rita,
        {"category": "travel", "amount": "100", "spent_on": value, "description": "出差"},
        expect=422,
    )
    assert not Expense.objects.exists()
    opp.refresh_from_db()
    assert opp.status == Opportunity.Status.OPEN and opp.expected_close_date.year not in (1, 9999)


# --- money ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/reports/ideal", "/api/reports/capacity"])
@pytest.mark.parametrize(
    ("target", "avg_deal"),
    [("99999999999999", "1e-300"), ("1e300", "100"), ("1000", "0.001"), ("1000000000000", "100")],
)
def test_ideal_and_capacity_refuse_money_past_the_bound(api, world, path, target, avg_deal):
    body = api.get(path, world.rita, expect=422, target=target, avg_deal=avg_deal)
    assert body["code"] == "validation_failed"


@pytest.mark.parametrize("path", ["/api/reports/ideal", "/api/reports/capacity"])
def test_ideal_and_capacity_compute_at_the_bounds(api, world, path):
    """The largest target over the smallest deal size: every figure stays a finite decimal."""
    body = api.get(path, world.ada, expect=200, target="999999999999.99", avg_deal="0.01")
    assert body


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "post",
            "/api/opportunities",
            {"name": "项目", "amount": "999999999999.995", "expected_close_date": "2030-01-01"},
        ),
        (
            "post",
            "/api/opportunities",
            {"name": "项目", "amount": "1e12", "expected_close_date": "2030-01-01"},
        ),
        ("post", "/api/accounts", {"name": "客户", "buying_power": "1000000000000"}),
        ("put", "/api/opportunities/{opp}/expense-budget", {"travel": "1e12"}),
        (
            "post",
            "/api/opportunities/{opp}/expenses",
            {"category": "travel", "amount": "0.001", "spent_on": "2025-01-01", "description": "出差"},
        ),
    ],
)
def test_money_past_the_one_bound_is_a_422(api, world, method, path, body):
    body = {**body, **({"account_id": world.account.pk} if path == "/api/opportunities" else {})}
    if path == "/api/accounts":
        body.update(industry_id=world.industry.pk, region_id=world.north.pk)
    api.call(method, path.replace("{opp}", str(world.opp.pk)), world.rita, body, expect=422)


# --- digits int() refuses, page numbers ------------------------------------------------------------


@pytest.mark.parametrize("category", ["³", "١٢", "½"])
def test_a_category_of_odd_digits_is_a_422(api, world, category):
    body = api.post(
        f"/api/opportunities/{world.opp.pk}/expenses",
        world.rita,
        {"category": category, "amount": "100", "spent_on": "2025-01-01", "description": "出差"},
        expect=422,
    )
    assert body["errors"] == {"category": [body["errors"]["category"][0]]}
    api.call(
        "put", f"/api/opportunities/{world.opp.pk}/expense-budget", world.rita, {category: "100"}, expect=422
    )


def test_page_numbers_are_bounded_on_every_list(api, world):
    for path, operations in _schema()["paths"].items():
        names = {p["name"] for p in operations.get("get", {}).get("parameters", [])}
        if "page" not in names:
            continue
        api.get(_url(path, world), world.ada, expect=200, page=MAX_PAGE_NUMBER)
        body = api.get(_url(path, world), world.ada, expect=422, page=MAX_PAGE_NUMBER + 1)
        assert body["code"] == "validation_failed"


# --- control characters ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["国网\x07电力", "国网\x1b电力", "国网\x7f电力", "国网\u0085电力"])
def test_control_characters_in_names_are_refused(api, world, name):
    body = api.post(
        "/api/accounts",
        world.rita,
        {"name": name, "industry_id": world.industry.pk, "region_id": world.north.pk},
        expect=422,
    )
    assert body["errors"][0]["type"] == "control_character"
    api.patch(
        f"/api/opportunities/{world.opp.pk}",
        world.rita,
        {"version": world.opp.version, "name": name},
        expect=422,
    )
    assert not Account.objects.filter(name__contains="国网").exclude(pk=world.account.pk).exists()


def test_line_breaks_only_in_long_text(api, world):
    base = {"industry_id": world.industry.pk, "region_id": world.north.pk}
    body = api.post("/api/accounts", world.rita, {**base, "name": "国网\n电力"}, expect=422)
    assert body["errors"] == {"name": [body["errors"]["name"][0]]}
    created = api.post(
        "/api/accounts",
        world.rita,
        {**base, "name": "  国网电力\t", "notes": "第一行\n第二行\t备注"},
        expect=201,
    )
    assert (created["name"], Account.objects.get(pk=created["id"]).notes) == (
        "国网电力",
        "第一行\n第二行\t备注",
    )


@pytest.mark.parametrize("value", [0, 1, "true", "yes", "off", 1.0])
def test_a_yes_no_field_takes_only_true_or_false(api, world, value):
    """Schemathesis found `{"use_calibrated": 0}` accepted as false; a boolean field takes only JSON booleans."""
    from kadence.pipeline.models import ProcessTemplate

    template = ProcessTemplate.objects.get(is_default=True)
    body = api.post(
        "/api/calibration/switch",
        world.ada,
        {"template_id": template.pk, "use_calibrated": value, "reason": "x"},
        expect=None,
    )
    assert api.last.status_code == 422, body
    assert any(e["loc"][-1] == "use_calibrated" and e["type"] == "bool_type" for e in body["errors"]), body
