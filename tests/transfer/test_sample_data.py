"""The two sample data sets of ../shared/data (issue 12 §11) import with the mappings of docs/import.md —
through `kadence import` and through the services the import page calls — and the funnel report shows
the win rate, won total, cycle length and open deals per stage that the files give when computed here
independently, with the csv module.

The data is found in $KADENCE_SAMPLE_DATA, else in `shared/data` beside the repository's checkout (for
a git worktree: beside the main checkout). Without it, these tests skip and say so.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from kadence.core.models import OrgUnit, User
from kadence.core.visibility import resolve_scope
from kadence.insights.selectors.funnel import funnel_report
from kadence.pipeline.models import Opportunity, ProcessTemplate
from kadence.planning.models import ForecastPolicy
from kadence.transfer import services
from kadence.transfer.models import ImportJob
from kadence.transfer.tasks import execute

REPO = Path(__file__).resolve().parents[2]


def _sample_data() -> Path | None:
    """$KADENCE_SAMPLE_DATA, else <checkout>/../shared/data (the main checkout's, for a worktree)."""
    if os.environ.get("KADENCE_SAMPLE_DATA"):
        given = Path(os.environ["KADENCE_SAMPLE_DATA"])
        return given if given.is_dir() else None
    roots = [REPO]
    dot_git = REPO / ".git"
    if dot_git.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(dot_git.read_text().partition("gitdir:")[2].strip())
        if gitdir.parent.name == "worktrees":
            roots.append(gitdir.parent.parent.parent)
    for root in roots:
        folder = root.parent / "shared" / "data"
        if (folder / "maven-crm-sales-opportunities").is_dir():
            return folder
    return None


DATA = _sample_data()
MAVEN = DATA / "maven-crm-sales-opportunities" if DATA else Path()
OLIST = DATA / "olist-marketing-funnel" if DATA else Path()

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        DATA is None,
        reason="the sample data is absent: set KADENCE_SAMPLE_DATA or put it in ../shared/data",
    ),
]

# The mappings of docs/import.md
MAVEN_SECTORS = {
    "finance": "finance",
    "telecommunications": "telecom",
    **{
        s: "enterprise"
        for s in ("technolgy", "medical", "retail", "software", "entertainment", "marketing", "services")
    },
    "employment": "enterprise",
}
MAVEN_STAGES = {"Prospecting": "plan_call", "Engaging": "visit_discovery", "Won": "won", "Lost": "lost"}
OPEN_UNTIL = "2018-03-31"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


@pytest.fixture
def boss(db) -> User:
    """An admin in an otherwise empty company; the history window reaches back to 2016 so that the
    funnel of today counts the files' closed deals (an admin sets it: ForecastPolicy.history_days)."""
    company = OrgUnit.objects.create(kind="company", code="co", name_zh="公司", name_en="Company")
    company.path = f"/{company.pk}/"
    company.save(update_fields=["path"])
    admin = User.objects.create(username="boss", role=User.Role.ADMIN, org_unit=company)
    policy = ForecastPolicy.current()
    policy.history_days = (date.today() - date(2016, 1, 1)).days
    policy.save()
    return admin


def _cli(path: Path, kind: str, *, user: str = "boss", **options) -> str:
    out = io.StringIO()
    call_command("import", str(path), kind=kind, user=user, stdout=out, **options)
    return out.getvalue()


def _funnel(user: User):
    """The funnel page's selector, as the admin sees it today (the company)."""
    today = date.today()
    template = ProcessTemplate.objects.get(is_default=True)
    return funnel_report(user, resolve_scope(user), template=template, as_of=today, today=today)


def _stage_counts(report) -> dict[str, int]:
    return {row.stage.code: row.count for row in report.stages if row.count}


def _expected(won: list[tuple[Decimal, int]], lost: int) -> dict:
    count = len(won)
    return {
        "won": count,
        "lost": lost,
        "win_rate": Decimal(count) / (count + lost),
        "won_amount": sum((amount for amount, _days in won), Decimal(0)),
        "cycle_days": (Decimal(sum(days for _amount, days in won)) / count).quantize(Decimal("0.1")),
    }


def _reported(report) -> dict:
    return {
        "won": report.won,
        "lost": report.lost,
        "win_rate": report.win_rate,
        "won_amount": report.won_amount,
        "cycle_days": report.cycle_days,
    }


def _close(reported: dict, expected: dict) -> None:
    print(f"\n  Kadence:     {reported}\n  independent: {expected}")
    assert reported["won"] == expected["won"] and reported["lost"] == expected["lost"]
    assert reported["won_amount"] == expected["won_amount"]
    assert reported["cycle_days"] == expected["cycle_days"]
    assert abs(Decimal(reported["win_rate"]) - expected["win_rate"]) < Decimal("0.0001")


def test_maven_crm_imports_through_the_command_line_and_reports_the_files_figures(boss):
    started = time.perf_counter()
    out = _cli(MAVEN / "sales_teams.csv", "org")
    assert "0 bad row(s)" in out, out
    agents = {r["sales_agent"] for r in _rows(MAVEN / "sales_teams.csv")}
    managers = {r["manager"] for r in _rows(MAVEN / "sales_teams.csv")}
    people = User.objects.exclude(pk=boss.pk)
    assert set(people.values_list("display_name", flat=True)) == agents | managers
    assert not any(u.has_usable_password() for u in people)
    assert set(OrgUnit.objects.filter(kind="region").values_list("name_en", flat=True)) == {
        "Central",
        "East",
        "West",
    }
    dustin = User.objects.get(display_name="Dustin Brinkmann")
    anna = User.objects.get(display_name="Anna Snelling")
    assert dustin.role == "manager" and list(dustin.managed_units.all()) == [anna.org_unit]
    assert anna.username == "anna.snelling" and anna.org_unit.parent.name_en == "Central"
    assert anna.org_unit.path == f"{anna.org_unit.parent.path}{anna.org_unit.pk}/"

    out = _cli(
        MAVEN / "accounts.csv",
        "accounts",
        column=["buying_power="],
        default=["region=Central", "currency=USD"],
        values=json.dumps({"industry": MAVEN_SECTORS}),
    )
    assert "0 bad row(s)" in out, out
    out = _cli(
        MAVEN / "sales_pipeline.csv",
        "opportunities",
        column=["product_lines="],
        default=[
            "amount=0",
            "currency=USD",
            f"expected_close_date={OPEN_UNTIL}",
            "account=Maven (no account)",
        ],
        values=json.dumps({"stage": MAVEN_STAGES}),
        create_accounts=True,
    )
    assert "0 bad row(s)" in out, out
    elapsed = time.perf_counter() - started
    print(f"\nMaven CRM (41 people, 85 accounts, 8,800 deals) imported in {elapsed:.1f} s")

    deals = _rows(MAVEN / "sales_pipeline.csv")
    assert Opportunity.objects.count() == len(deals) == 8800
    assert Opportunity.objects.filter(account__name="Maven (no account)").count() == sum(
        1 for d in deals if not d["account"]
    )
    won = [
        (Decimal(d["close_value"]), (_day(d["close_date"]) - _day(d["engage_date"])).days)
        for d in deals
        if d["deal_stage"] == "Won"
    ]
    expected = _expected(won, sum(1 for d in deals if d["deal_stage"] == "Lost"))
    report = _funnel(boss)
    _close(_reported(report), expected)
    stages = Counter(d["deal_stage"] for d in deals if d["deal_stage"] in ("Prospecting", "Engaging"))
    assert _stage_counts(report) == {
        "plan_call": stages["Prospecting"],
        "visit_discovery": stages["Engaging"],
    }


def _olist_file(tmp_path: Path) -> Path:
    spec = importlib.util.spec_from_file_location("olist_join", REPO / "tools" / "olist_join.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "olist_deals.csv"
    assert module.join(OLIST, out) == 8000
    return out


OLIST_COLUMNS = {
    "external_id": "mql_id",
    "created": "first_contact_date",
    "status": "status",
    "closed_on": "won_date",
    "account": "seller_id",
    "owner": "sr_id",
    "amount": "declared_monthly_revenue",
}


def _olist_expected(lost: int) -> tuple[dict, int]:
    mqls = {r["mql_id"]: r for r in _rows(OLIST / "olist_marketing_qualified_leads_normalized.csv")}
    deals = _rows(OLIST / "olist_closed_deals_normalized.csv")
    won = [
        (
            Decimal(d["declared_monthly_revenue"] or 0),
            # the history rule: a deal cannot be won before it was created (one deal of the file is)
            max(0, (_day(d["won_date"]) - _day(mqls[d["mql_id"]]["first_contact_date"])).days),
        )
        for d in deals
    ]
    return _expected(won, lost), len(mqls) - len(deals)


def test_olist_imports_through_the_services_as_the_page_does_open_leads_kept_open(boss, tmp_path):
    started = time.perf_counter()
    out = _cli(
        OLIST / "olist_closed_deals_normalized.csv",
        "org",
        column=["name=sr_id"],
        default=["team=Olist sales", "region=Brazil"],
    )
    assert "0 bad row(s)" in out, out
    assert User.objects.filter(org_unit__name_en="Olist sales").count() == 22

    path = _olist_file(tmp_path)
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
    job = services.import_job_create(boss, kind="opportunities", upload=upload)
    job = services.import_job_configure(
        boss,
        job.pk,
        version=job.version,
        columns=OLIST_COLUMNS,
        defaults={
            "status": "open",  # the data does not say: an MQL without a deal stays open
            "owner": "boss",
            "account": "Olist MQL (no seller yet)",
            "amount": "0",
            "currency": "BRL",
            "expected_close_date": "2018-12-31",
        },
        create_accounts=True,
    )
    services.import_check(boss, job.pk)
    job = execute(job.pk, "check")
    assert job.status == "checked" and job.bad_rows == 0, list(job.problems.all()[:5])
    services.import_commit(boss, job.pk)
    job = execute(job.pk, "commit")
    assert job.status == ImportJob.Status.DONE, job.error
    print(f"\nOlist (22 people, 8,000 leads, 843 accounts) imported in {time.perf_counter() - started:.1f} s")

    expected, still_open = _olist_expected(lost=0)
    report = _funnel(boss)
    _close(_reported(report), expected)
    assert _stage_counts(report) == {"plan_call": still_open}
    assert Opportunity.objects.filter(currency="BRL").count() == 8000

    # the import is undone as a whole: deals, then the accounts it made
    services.import_undo(boss, job.pk)
    job = execute(job.pk, "undo")
    assert job.status == ImportJob.Status.UNDONE, job.error
    assert not Opportunity.objects.exists() and _funnel(boss).won == 0


def test_olist_with_the_leads_without_a_deal_taken_as_lost(boss, tmp_path):
    _cli(
        OLIST / "olist_closed_deals_normalized.csv",
        "org",
        column=["name=sr_id"],
        default=["team=Olist sales", "region=Brazil"],
    )
    path = _olist_file(tmp_path)
    _cli(
        path,
        "opportunities",
        column=[f"{field}={header}" for field, header in OLIST_COLUMNS.items()],
        default=[
            "status=lost",
            "closed_on=2018-12-31",
            "owner=boss",
            "account=Olist MQL (no seller yet)",
            "amount=0",
            "currency=BRL",
        ],
        create_accounts=True,
    )
    expected, lost = _olist_expected(lost=7158)
    assert lost == 7158
    report = _funnel(boss)
    _close(_reported(report), expected)
    assert _stage_counts(report) == {}
