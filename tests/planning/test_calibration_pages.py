"""Calibration and probabilistic forecast over the API and as pages: shapes, who may read and who may
write (readable by everyone signed in; recompute and switch admin only, 403 otherwise), the switch
refused with the levels short of data (422), exports, query counts."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core.cache import cache
from openpyxl import load_workbook

from kadence.pipeline.models import ProcessTemplate, Stage
from kadence.planning.models import Calibration, ForecastPolicy
from kadence.planning.services.calibration import calibration_recompute
from tests.planning.test_calibration import closed_deal
from tests.prg import refused_post

PATH = [
    ("plan_call", "I"),
    ("proposal_sent", "C"),
    ("formal_proposal", "Q"),
    ("deal_review", "D"),
    ("negotiation", "C90"),
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The slip history is cached by the largest history id, which SQLite reuses after a rollback."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ladder(org):
    """Three recently closed tianlong8 deals (two won) through every open level, computed."""
    for outcome in ("won", "won", "lost"):
        closed_deal(org, PATH, outcome, closed_on=date.today() - timedelta(days=5))
    calibration_recompute(None)
    return ProcessTemplate.objects.get(code="tianlong8")


def _min_outcomes(n: int) -> None:
    policy = ForecastPolicy.current()
    policy.calibration_min_outcomes = n
    policy.save()


# --- API -------------------------------------------------------------------------------------------


def test_api_read_shape_for_a_rep(ladder, org, client, token_for, django_assert_max_num_queries):
    headers = token_for(org.rita)
    with django_assert_max_num_queries(8):
        response = client.get("/api/calibration", **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "template",
        "use_calibrated",
        "min_outcomes",
        "history_days",
        "computed_at",
        "can_switch_on",
        "short",
        "note",
        "brier",
        "levels",
        "stages",
        "bands",
    }
    assert (
        body["template"]["code"] == "tianlong8" and body["min_outcomes"] == 20 and not body["can_switch_on"]
    )
    level_q = next(row for row in body["levels"] if row["key"] == "Q")
    assert level_q == {
        "key": "Q",
        "label": level_q["label"],
        "configured": "50.00",
        "observed": "66.67",
        "outcomes": 3,
        "won": 2,
        "brier": "0.2500",
        "enough": False,
        "used": True,
        "effective": "50.00",
        "source": "configured",
    }
    assert [row["key"] for row in body["short"]] == ["I", "C", "Q", "D", "C90"]
    assert body["brier"]["level"] is not None and len(body["bands"]) == 5
    assert {row["key"] for row in body["stages"]} >= {"plan_call", "negotiation"}
    other = ProcessTemplate.objects.get(code="lenovo5")
    assert (
        client.get(f"/api/calibration?template_id={other.pk}", **headers).json()["template"]["code"]
        == "lenovo5"
    )
    assert client.get("/api/calibration?template_id=999999", **headers).status_code == 404
    assert client.get("/api/calibration").status_code == 401


def test_api_writes_are_admin_only(ladder, org, client, token_for):
    for person in (org.rita, org.mona, org.dora):
        headers = token_for(person)
        assert (
            client.post(
                "/api/calibration/recompute", "{}", content_type="application/json", **headers
            ).status_code
            == 403
        )
        assert (
            client.post(
                "/api/calibration/switch",
                json.dumps({"template_id": ladder.pk, "use_calibrated": False}),
                content_type="application/json",
                **headers,
            ).status_code
            == 403
        )
    admin = token_for(org.ada)
    response = client.post(
        "/api/calibration/recompute",
        json.dumps({"template_id": ladder.pk}),
        content_type="application/json",
        **admin,
    )
    assert response.status_code == 200 and response.json()["rows"] == 5 + 7 + 5
    assert (
        client.post(
            "/api/calibration/recompute", json.dumps({"nope": 1}), content_type="application/json", **admin
        ).status_code
        == 422
    )


def test_api_switch_refused_then_accepted(ladder, org, client, token_for):
    admin = token_for(org.ada)
    body = json.dumps({"template_id": ladder.pk, "use_calibrated": True, "reason": "history is long enough"})
    refused = client.post("/api/calibration/switch", body, content_type="application/json", **admin)
    assert refused.status_code == 422
    answer = refused.json()
    assert answer["code"] == "not_enough_outcomes"
    assert [s["key"] for s in answer["short"]] == ["I", "C", "Q", "D", "C90"]
    assert answer["short"][0] == {
        "key": "I",
        "label": answer["short"][0]["label"],
        "outcomes": 3,
        "needed": 20,
    }
    _min_outcomes(3)
    accepted = client.post("/api/calibration/switch", body, content_type="application/json", **admin)
    assert accepted.status_code == 200
    result = accepted.json()
    assert result["use_calibrated"] is True and result["short"] == []
    assert next(r for r in result["levels"] if r["key"] == "Q")["source"] == "calibrated"
    assert (
        "calibrated" in result["note"] or "已校准" in result["note"]
    )  # the admin reads it in their language
    off = client.post(
        "/api/calibration/switch",
        json.dumps({"template_id": ladder.pk, "use_calibrated": False}),
        content_type="application/json",
        **admin,
    )
    assert off.status_code == 200 and off.json()["use_calibrated"] is False


# --- calibration page ------------------------------------------------------------------------------


def test_page_readable_by_everyone_switch_only_for_admins(ladder, org, client, django_assert_max_num_queries):
    client.force_login(org.rita)
    with django_assert_max_num_queries(9):  # +1: the bell's unread count (rhythm.notify)
        page = client.get("/forecast/calibration/")
    assert page.status_code == 200
    html = page.content.decode()
    for testid in (
        "calibration-levels",
        "calibration-stages",
        "calibration-bands",
        "levels-Q",
        "calibration-note",
        "calibration-chart",
        "switch-short",
    ):
        assert f'data-testid="{testid}"' in html
    assert 'data-testid="switch-form"' not in html and 'data-testid="recompute"' not in html
    figure = page.context["figure"]
    assert [trace["y"] for trace in figure["data"]][0] == [10.0, 25.0, 50.0, 75.0, 90.0]
    assert figure["data"][1]["y"] == [66.67] * 5
    client.force_login(org.ada)
    html = client.get(f"/forecast/calibration/?template_id={ladder.pk}").content.decode()
    assert 'data-testid="switch-form"' in html and 'data-testid="switch-on"' in html and "disabled" in html
    assert client.get("/forecast/calibration/?template_id=999999").status_code == 404
    assert client.get("/forecast/calibration/?template_id=abc").status_code == 404


def test_page_needs_sign_in(client):
    assert client.get("/forecast/calibration/").status_code == 302
    assert client.get("/forecast/probabilistic/").status_code == 302


def test_page_writes(ladder, org, client):
    client.force_login(org.mona)
    assert client.post("/forecast/calibration/recompute/", {"template_id": ladder.pk}).status_code == 403
    assert (
        client.post(
            "/forecast/calibration/switch/", {"template_id": ladder.pk, "use_calibrated": "1"}
        ).status_code
        == 403
    )
    client.force_login(org.ada)
    refused = refused_post(
        client,
        "/forecast/calibration/switch/",
        {"template_id": ladder.pk, "use_calibrated": "1", "reason": "季度复盘"},
        status=422,
        page=f"/forecast/calibration/?template_id={ladder.pk}",
    )  # post-redirect-get
    html = refused.content.decode()
    assert "(3/20)" in html and 'value="季度复盘"' in html  # each level short of data, with its outcomes
    _min_outcomes(3)
    accepted = client.post("/forecast/calibration/switch/", {"template_id": ladder.pk, "use_calibrated": "1"})
    assert accepted.status_code == 302 and accepted["Location"].endswith(f"?template_id={ladder.pk}")
    ladder.refresh_from_db()
    assert ladder.use_calibrated
    html = client.get(accepted["Location"]).content.decode()
    assert 'data-testid="switch-off"' in html
    Calibration.objects.all().delete()
    assert client.post("/forecast/calibration/recompute/", {"template_id": ladder.pk}).status_code == 302
    assert Calibration.objects.filter(template=ladder).count() == 5 + 7 + 5
    assert client.get("/forecast/calibration/switch/").status_code == 405


def test_calibration_export_neutralises_formulas(ladder, org, client):
    Stage.objects.filter(template=ladder, code="plan_call").update(
        name_zh='=HYPERLINK("x")', name_en='=HYPERLINK("x")'
    )
    client.force_login(org.rita)
    response = client.get(f"/forecast/calibration/?template_id={ladder.pk}&format=xlsx")
    assert response.status_code == 200 and response["Content-Disposition"].endswith(
        'calibration-tianlong8.xlsx"'
    )
    book = load_workbook(BytesIO(response.content))
    rows = [[c.value for c in row] for row in book.worksheets[1].iter_rows()]  # the stages
    assert rows[1][0] == '\'=HYPERLINK("x")' and rows[1][4] == 3


# --- probabilistic page ----------------------------------------------------------------------------


def test_probabilistic_page_personas(org, client, django_assert_max_num_queries):
    client.force_login(org.rita)
    with django_assert_max_num_queries(14):  # +1: the bell's unread count
        page = client.get("/forecast/probabilistic/?trials=500&seed=4")
    assert page.status_code == 200
    html = page.content.decode()
    for testid in (
        "kpi-p10",
        "kpi-p50",
        "kpi-p90",
        "kpi-target",
        "probabilistic-chart",
        "probabilities-note",
    ):
        assert f'data-testid="{testid}"' in html
    assert 'data-testid="scope-unit"' not in html  # a rep has no scope choice
    assert page.context["report"].scope.owner == org.rita and page.context["report"].trials == 500
    assert client.get(f"/forecast/probabilistic/?owner_id={org.tom.pk}").status_code == 404
    assert client.get(f"/forecast/probabilistic/?unit_id={org.n1.pk}").status_code == 404
    client.force_login(org.mona)
    assert client.get(f"/forecast/probabilistic/?unit_id={org.n2.pk}").status_code == 404
    page = client.get(f"/forecast/probabilistic/?owner_id={org.rita.pk}&trials=200")
    assert page.status_code == 200 and 'data-testid="scope-unit"' in page.content.decode()
    client.force_login(org.sven)
    assert client.get(f"/forecast/probabilistic/?unit_id={org.north.pk}").status_code == 404


def test_probabilistic_page_bad_settings_and_export(org, client):
    client.force_login(org.rita)
    bad = client.get("/forecast/probabilistic/?trials=0")
    assert (
        bad.status_code == 422 and bad.context["report"].trials == ForecastPolicy.current().monte_carlo_trials
    )
    assert client.get("/forecast/probabilistic/?period_start=31-12-2025").status_code == 422
    export = client.get("/forecast/probabilistic/?trials=100&format=xlsx")
    assert export.status_code == 200
    book = load_workbook(BytesIO(export.content))
    assert len(book.sheetnames) == 4  # summary, the three models side by side, probabilities, histogram
    models = [[c.value for c in row] for row in book.worksheets[1].iter_rows()]
    assert len(models) == 4 and all(len(row) == 8 for row in models)
