"""The layers of docs/architecture.md, beyond what import-linter checks (`lint-imports`, .ci/run):
no import inside a function crosses apps, the few upward names core needs are annotations only, and
the stage gates the pipeline calls are the ones deal control registers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kadence.deals.stage_gates import DealControlGates
from kadence.pipeline import gates

KADENCE = Path(__file__).resolve().parent.parent / "kadence"


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "kadence" else None


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []


def _source_files() -> list[Path]:
    return [path for path in sorted(KADENCE.rglob("*.py")) if "migrations" not in path.parts]


def test_no_tests_inside_the_package():
    """Tests live in one top-level tree, tests/<app>/ (docs/architecture.md): none is shipped in kadence."""
    shipped = {*KADENCE.rglob("test*.py"), *KADENCE.rglob("tests/*.py"), *KADENCE.rglob("conftest.py")}
    assert sorted(str(path.relative_to(KADENCE)) for path in shipped) == []


def test_no_import_inside_a_function_crosses_apps():
    """An import hidden in a function body is how a cycle gets dodged; import-linter sees it, but the
    house rule is stricter: between apps, every import is at the top of the module."""
    hidden = []
    for path in _source_files():
        app = path.relative_to(KADENCE).parts[0]
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                for module in _imported(node):
                    if _app_of(module) not in (None, app):
                        hidden.append(f"{path.relative_to(KADENCE)}:{node.lineno} {module}")
    assert hidden == []


def test_core_names_the_apps_above_it_in_annotations_only():
    """core/visibility.py filters models of the apps above core. It looks them up in Django's app
    registry; its imports of those apps are under TYPE_CHECKING (the ones the import-linter contracts
    ignore), so they never run."""
    for path in sorted((KADENCE / "core").rglob("*.py")):
        tree = ast.parse(path.read_text())
        guarded = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for node in ast.walk(block)
        }
        upward = [
            (node.lineno, module)
            for node in ast.walk(tree)
            for module in _imported(node)
            if _app_of(module) not in (None, "core", "domain") and id(node) not in guarded
        ]
        assert upward == [], path


def test_the_pipeline_calls_the_stage_gates_deal_control_registered():
    assert isinstance(gates._registered, DealControlGates)


def test_without_registered_stage_gates_a_move_fails_loudly(monkeypatch):
    """No silent fallback that would let deals skip their exit criteria."""
    monkeypatch.setattr(gates, "_registered", None)
    with pytest.raises(ImproperlyConfigured):
        gates.missing_exit_criteria(None, [])
