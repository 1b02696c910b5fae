"""The OpenAPI document describes what the API answers: every operation lists the errors it can
return (each an ErrorOut), and no two schemas share a component name (ninja keys components by class
name, so a second class of the same name would silently describe the first one's answers)."""

from __future__ import annotations

import types
import typing
from collections import defaultdict

import pytest
from pydantic import BaseModel

from config.api import api

WRITES = {"post", "put", "patch", "delete"}
ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture(scope="module")
def document() -> dict:
    return api.get_openapi_schema(path_prefix="/api/")


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", method, operation


def test_the_document_is_served(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.json()["paths"]


def test_every_operation_documents_422_and_the_errors_it_can_answer(document):
    problems = []
    for name, method, operation in operations(document):
        responses = {int(status): answer for status, answer in operation["responses"].items()}
        expected = {422}
        if operation.get("security"):
            expected.add(401)
        if any(p["in"] == "path" for p in operation["parameters"]):
            expected.add(404)
        if method in WRITES:
            expected |= {403, 409}
        missing = expected - set(responses)
        if missing:
            problems.append(f"{name}: {sorted(missing)} not documented")
        for status, answer in responses.items():
            if 400 <= status < 500:
                schema = answer["content"]["application/json"]["schema"]
                if schema != {"$ref": ERROR_REF}:
                    problems.append(f"{name}: {status} answers {schema}, not ErrorOut")
    assert not problems, "\n".join(problems)


def test_blanket_statuses_no_operation_answers_are_not_documented(document):
    for name, _method, operation in operations(document):
        assert not {"402", "407", "418", "451"} & {str(s) for s in operation["responses"]}, name


def test_a_versioned_write_documents_409_and_a_report_scoped_by_id_documents_404(document):
    patch = document["paths"]["/api/opportunities/{opp_id}"]["patch"]["responses"]
    assert {"403", "404", "409", "422"} <= {str(s) for s in patch}
    assert "404" in {str(s) for s in document["paths"]["/api/reports/funnel"]["get"]["responses"]}
    assert document["components"]["schemas"]["ErrorOut"]["required"] == ["detail", "code"]


def test_every_operation_documents_a_success_answer(document):
    """A file download too: its 200 is the file, in whatever content type it was uploaded with."""
    for name, _method, operation in operations(document):
        assert any(200 <= int(s) < 300 for s in operation["responses"]), name
    download = document["paths"]["/api/evidence/{evidence_id}/download"]["get"]["responses"]
    assert download[200]["content"] == {"*/*": {"schema": {"type": "string", "format": "binary"}}}


def test_answers_that_carry_a_record_link_to_the_operations_on_it(document):
    """A create and a page link to the record's own operations (id and, for writes on it,
    version); a nested record keeps its parent's id from the request path."""
    created = document["paths"]["/api/targets"]["post"]["responses"][201]["links"]
    assert created["kadence_insights_api_targets_update_target"] == {
        "operationId": "kadence_insights_api_targets_update_target",
        "parameters": {"target_id": "$response.body#/id"},
        "requestBody": {"version": "$response.body#/version"},
    }
    page = document["paths"]["/api/opportunities"]["get"]["responses"][200]["links"]
    assert page["kadence_pipeline_api_move_opportunity"]["parameters"] == {
        "opp_id": "$response.body#/items/0/id"
    }
    assert "requestBody" not in page["kadence_deals_api_tasks_add_task"]
    task = document["paths"]["/api/opportunities/{opp_id}/tasks"]["post"]["responses"][201]["links"]
    assert task["kadence_deals_api_tasks_complete_task"]["parameters"] == {
        "task_id": "$response.body#/id",
        "opp_id": "$request.path.opp_id",
    }


def _models_in(annotation, seen: set) -> None:
    """Every pydantic model an annotation refers to, through lists, unions and nested fields."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, seen)
    if isinstance(annotation, types.UnionType):
        for arg in annotation.__args__:
            _models_in(arg, seen)


def test_no_two_schemas_share_a_component_name():
    """Each class name the API uses (bodies, parameters, answers, and what they contain) is one class."""
    seen: set = set()
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    _models_in(model, seen)
                for model in operation.response_models.values():
                    _models_in(model, seen)
    by_name: dict[str, set[str]] = defaultdict(set)
    for model in seen:
        if model.__module__.startswith("kadence"):
            by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    duplicates = {name: sorted(classes) for name, classes in by_name.items() if len(classes) > 1}
    assert not duplicates


def test_no_component_is_described_by_two_different_schemas(document):
    """The same check on the built document: a component name defined twice, differently."""
    built = api.get_openapi_schema(path_prefix="/api/")
    assert not built.collisions, sorted(built.collisions)
