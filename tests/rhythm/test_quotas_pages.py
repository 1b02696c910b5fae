"""The activity-quota and effort pages (issue 13 §1, §8): what each persona sees, the definitions on
screen, the trend chart's data, the exports, bad input and the number of queries."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kadence.rhythm.quotas import effort
from kadence.rhythm.quotas.effort import COLUMNS, EffortColumn, register_column
from tests.rhythm.quotas_world import MONDAY, build

pytestmark = pytest.mark.django_db
DAY = MONDAY.isoformat()


def test_a_rep_sees_their_own_cards(client, org):
    build(org)
    client.force_login(org.rita)
    page = client.get(reverse("rhythm_quotas"), {"day": DAY})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="rq-own"' in html and 'data-testid="rq-reps"' not in html
    assert "Tom" not in html and 'data-metric="effective_visits"' in html
    assert 'data-testid="rq-definitions"' in html and 'data-chart="rq-trend-figure"' in html
    assert client.get(reverse("rhythm_quotas"), {"owner_id": org.tom.pk}).status_code == 404
    assert client.get(reverse("rhythm_quotas"), {"period": "year"}).status_code == 422


def test_a_manager_sees_the_team_and_the_trend(client, org, django_assert_max_num_queries):
    build(org)
    client.force_login(org.mona)
    url = reverse("rhythm_quotas")
    client.get(url, {"day": DAY})  # warm the session and the caches
    with django_assert_max_num_queries(15):
        page = client.get(url, {"day": DAY})
    html = page.content.decode()
    assert 'data-testid="rq-teams"' in html and f'data-rep="{org.tom.pk}"' in html
    assert f'data-rep="{org.sara.pk}"' not in html and f'data-rep="{org.nick.pk}"' not in html
    figure = json.loads(html.split('id="rq-trend-figure" type="application/json">')[1].split("</script>")[0])
    visits = next(t for t in figure["data"] if t["customdata"][-1] == 5)
    assert visits["y"][-1] == 25.0 and visits["x"][-1] == DAY


def test_the_attainment_exports(client, org):
    build(org)
    client.force_login(org.dora)
    xlsx = client.get(reverse("rhythm_quotas"), {"day": DAY, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(xlsx.content))
    assert len(book.sheetnames) == 4  # reps, teams, regions, definitions
    reps = list(book.worksheets[0].iter_rows(values_only=True))
    assert {row[0] for row in reps[1:]} == {"Rita", "Tom", "Ivy", "Nick"}
    rita = next(row for row in reps if row[0] == "Rita")
    assert rita[2:6] == (3, 12, 9, 0.25)
    csv = client.get(reverse("rhythm_quotas"), {"day": DAY, "format": "csv"})
    assert csv.status_code == 200 and zipfile.is_zipfile(io.BytesIO(csv.content))


def test_the_effort_leaderboard(client, org, django_assert_max_num_queries):
    build(org)
    client.force_login(org.dora)
    url = reverse("rhythm_effort")
    client.get(url, {"day": DAY})
    with django_assert_max_num_queries(18):  # 15, and the plans' (2) and the cadence's (1) columns
        page = client.get(url, {"day": DAY})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="re-definitions"' in html
    assert html.index(f'data-rep="{org.rita.pk}"') < html.index(f'data-rep="{org.nick.pk}"')  # 75 % first
    export = client.get(url, {"day": DAY, "format": "xlsx"})
    assert export.status_code == 200
    client.force_login(org.rita)
    own = client.get(url, {"day": DAY}).content.decode()
    assert f'data-rep="{org.rita.pk}"' in own and f'data-rep="{org.tom.pk}"' not in own


def test_another_part_adds_a_column(client, org, monkeypatch):
    """How the coordinator wires "plans kept" and "1-15-30 items on time": register_column. The registry is
    restored afterwards as it was (the wiring's real "plans_kept" column included)."""
    build(org)
    monkeypatch.setattr(effort, "COLUMNS", list(COLUMNS))
    column = EffortColumn(
        "plans_kept",
        "Plans kept",
        "Planned visits done in the week.",
        lambda ids, start, end: dict.fromkeys(ids, 7),
        kind="int",
    )
    register_column(column)
    client.force_login(org.mona)
    html = client.get(reverse("rhythm_effort"), {"day": DAY}).content.decode()
    assert 'data-column="plans_kept">7<' in html and "Planned visits done in the week." in html
    assert 'data-column="plans_kept">21<' in html  # the team: three sellers' sum
