"""Importing stage history (issue 12 §1, kadence.transfer.history_kind): the rows of a file replace the
history a deals import synthesised, only for deals as an import left them and in the importer's units;
the funnel's win rate, cycle and stage conversion read the new history; an undo puts the old one back."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kadence.core.models import User
from kadence.core.visibility import resolve_scope
from kadence.insights.selectors.funnel import funnel_report
from kadence.pipeline import summary
from kadence.pipeline.models import Opportunity, ProcessTemplate, StageChange
from kadence.pipeline.services import opportunity_update
from kadence.planning.models import ForecastPolicy
from kadence.transfer import services
from kadence.transfer.models import ImportJob, ImportProblem
from kadence.transfer.tasks import execute

pytestmark = pytest.mark.django_db

TODAY = date.today()


def d(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def _csv(rows: list[list[str]], name: str = "deals.csv") -> SimpleUploadedFile:
    text = "\r\n".join(",".join(row) for row in rows) + "\r\n"
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


def _go(user, job: ImportJob, action: str) -> ImportJob:
    start = {"check": services.import_check, "commit": services.import_commit, "undo": services.import_undo}
    start[action](user, job.pk)
    return execute(job.pk, action)


def _configure(user, job: ImportJob, **changes) -> ImportJob:
    job.refresh_from_db()
    return services.import_job_configure(user, job.pk, version=job.version, **changes)


@pytest.fixture
def deals(org):
    """Three deals imported without a history (so given a synthesised one), in mona's unit: H-1 won
    (created 100 days ago, closed 10 days ago), H-2 lost at the 2nd stage, H-3 open at the 3rd; and
    a window long enough for the funnel to count them. Mona and Sam read English (the problems are
    in the importer's language)."""
    User.objects.filter(pk__in=[org.mona.pk, org.sam.pk]).update(language="en")
    policy = ForecastPolicy.current()
    policy.history_days = 400
    policy.save()
    rows = [
        ["商机编号", "客户名称", "负责人", "阶段", "金额", "预计成交日期", "成交日期", "创建日期"],
        ["H-1", org.account.name, "rita", "赢单", "100000", "", d(-10), d(-100)],
        ["H-2", org.account.name, "rita", "丢单", "50000", "", d(-20), d(-60)],
        ["H-3", org.account.name, "tom", "送出初步方案", "70000", d(60), "", d(-30)],
    ]
    job = services.import_job_create(org.mona, kind="opportunities", upload=_csv(rows))
    job = _go(org.mona, job, "check")
    job = _go(org.mona, job, "commit")
    assert job.status == "done", job.error
    return job


def _stages(template) -> list[str]:
    return [s.code for s in template.stages.filter(is_won=False).order_by("order")]


def _funnel(user, as_of: date = TODAY):
    template = ProcessTemplate.objects.get(is_default=True)
    return funnel_report(user, resolve_scope(user), template=template, as_of=as_of, today=TODAY)


def _history(deal_id: int) -> list[tuple[str, str, date]]:
    return [
        (c.kind, c.to_stage.code, c.changed_at.date())
        for c in StageChange.objects.filter(opportunity_id=deal_id)
        .select_related("to_stage")
        .order_by("changed_at", "id")
    ]


def test_history_rows_replace_the_synthesised_history_and_the_funnel_follows(org, deals):
    template = ProcessTemplate.objects.get(is_default=True)
    s = _stages(template)
    before = _funnel(org.ada)
    then = TODAY - timedelta(days=160)
    assert _funnel(org.ada, then).count == 0  # no deal existed yet by the synthesised history
    assert before.won == 1 and before.lost == 1 and before.cycle_days == Decimal("90.0")
    won = Opportunity.objects.get(external_id="H-1")
    lost = Opportunity.objects.get(external_id="H-2")
    old_won = list(StageChange.objects.filter(opportunity=won).values_list("pk", flat=True))
    rows = [
        ["商机编号", "阶段", "日期", "金额"],
        # H-1: created 200 days ago at stage 1, lost, reopened at stage 2, skipped to the 4th, won
        ["H-1", s[0], d(-200), "80000"],
        ["H-1", "丢单", d(-150), ""],
        ["H-1", s[1], d(-90), ""],
        ["H-1", s[3], d(-40), ""],
        ["H-1", "赢单", d(-10), "100000"],
        # H-2: created at stage 1, advanced to the 3rd, moved back, lost from stage 1 (not in date order)
        ["H-2", "lost", d(-20), ""],
        ["H-2", s[0], d(-60), ""],
        ["H-2", s[2], d(-50), ""],
        ["H-2", s[0], d(-30), ""],
    ]
    job = services.import_job_create(org.mona, kind="history", upload=_csv(rows, "history.csv"))
    assert job.columns == {"external_id": "商机编号", "stage": "阶段", "date": "日期", "amount": "金额"}
    job = _go(org.mona, job, "check")
    assert job.bad_rows == 0, list(ImportProblem.objects.filter(job=job).values_list("row", "message"))
    assert job.checked_counts == {"update": 9}
    job = _go(org.mona, job, "commit")
    assert job.status == "done", job.error
    assert job.counts["updated"] == 2 and job.counts["rows"] == 9

    assert _history(won.pk) == [
        ("created", s[0], TODAY - timedelta(days=200)),
        ("lost", s[0], TODAY - timedelta(days=150)),
        ("reopened", s[1], TODAY - timedelta(days=90)),
        ("advanced", s[3], TODAY - timedelta(days=40)),
        ("won", "signed", TODAY - timedelta(days=10)),
    ]
    amounts = list(
        StageChange.objects.filter(opportunity=won).order_by("changed_at").values_list("amount", flat=True)
    )
    assert amounts == [Decimal("80000")] + [Decimal("100000")] * 4  # empty cells take the next row's
    assert [k for k, _s, _d in _history(lost.pk)] == ["created", "advanced", "moved_back", "lost"]
    won.refresh_from_db()
    assert won.created_at.date() == TODAY - timedelta(days=200) and won.version == 2
    assert summary.drift() == []

    after = _funnel(org.ada)
    # the reopened deal was lost once and won once: one more loss; its cycle runs from the new creation
    assert (after.won, after.lost) == (1, 2)
    assert after.win_rate != before.win_rate and after.cycle_days == Decimal("190.0")
    # out of each stage (advanced, lost): H-1 was lost at stage 1, then advanced from stage 2 past 3
    # to 4 and won; H-2 advanced from 1 past 2 to 3, moved back and was lost at 1; H-3 (synthesised)
    # advanced 1 → 2 → 3. Before, H-1 went through every stage and H-2 was lost at stage 1.
    conversion = {row.stage.code: (row.advanced, row.lost) for row in after.stages}
    assert [conversion[code] for code in s[:3]] == [(2, 2), (3, 0), (1, 0)]
    previous = {row.stage.code: (row.advanced, row.lost) for row in before.stages}
    assert [previous[code] for code in s[:3]] == [(2, 1), (2, 0), (1, 0)]
    # the funnel at a past date: H-1 was open at the first stage 160 days ago
    past = _funnel(org.ada, then)
    assert past.source == "history" and {r.stage.code: r.count for r in past.stages if r.count} == {s[0]: 1}

    # undo: the synthesised history comes back, exactly
    job = _go(org.mona, job, "undo")
    assert job.status == "undone", job.error
    assert sorted(StageChange.objects.filter(opportunity=won).values_list("pk", flat=True)) == sorted(old_won)
    won.refresh_from_db()
    assert won.version == 1 and won.created_at.date() == TODAY - timedelta(days=100)
    again = _funnel(org.ada)
    assert (again.won, again.lost, again.cycle_days) == (before.won, before.lost, before.cycle_days)
    assert summary.drift() == []
    # and the deals import can be undone again
    job = _go(org.mona, ImportJob.objects.get(pk=deals.pk), "undo")
    assert job.status == "undone", job.error


def test_rows_that_disagree_with_the_deal_are_problems_and_leave_the_deal_alone(org, deals):
    s = _stages(ProcessTemplate.objects.get(is_default=True))
    Opportunity.objects.filter(pk=org.opp.pk).update(external_id="OWN-1")
    rows = [
        ["商机编号", "阶段", "日期", "金额"],
        ["H-1", s[0], d(-50), ""],
        ["H-1", "赢单", d(-9), ""],  # closed 10 days ago, not 9
        ["H-2", "赢单", d(-70), ""],  # a first row is not a close
        ["H-2", "丢单", d(-20), ""],
        ["H-3", s[0], d(-30), ""],
        ["H-3", s[1], d(-5), ""],  # the deal is at the 3rd stage
        ["H-3", s[2], d(-4), "1"],  # … but not of that amount
        ["OWN-1", s[0], d(-5), ""],  # created in Kadence: its own history
        ["NONE", s[0], d(-5), ""],
    ]
    job = services.import_job_create(org.mona, kind="history", upload=_csv(rows, "history.csv"))
    job = _go(org.mona, job, "check")
    problems = {(p.row, p.column) for p in ImportProblem.objects.filter(job=job)}
    assert problems == {
        (2, "商机编号"),
        (3, "日期"),
        (4, "阶段"),
        (5, "商机编号"),
        (6, "商机编号"),
        (7, "商机编号"),
        (8, "金额"),
        (9, "商机编号"),
        (10, "商机编号"),
    }
    assert job.bad_rows == 9 and job.checked_counts == {}
    messages = {p.row: p.message for p in ImportProblem.objects.filter(job=job)}
    assert "not created by an import" in messages[9] and "import the deals first" in messages[10]


def test_a_deal_changed_since_its_import_keeps_its_history(org, deals):
    s = _stages(ProcessTemplate.objects.get(is_default=True))
    deal = Opportunity.objects.get(external_id="H-3")
    opportunity_update(org.tom, deal.pk, version=deal.version, amount="75000")
    job = services.import_job_create(
        org.mona, kind="history", upload=_csv([["商机编号", "阶段", "日期"], ["H-3", s[2], d(-3)]])
    )
    job = _go(org.mona, job, "check")
    assert "changed since it was imported" in ImportProblem.objects.get(job=job).message


def test_a_manager_replaces_only_histories_in_their_units(org, deals):
    s = _stages(ProcessTemplate.objects.get(is_default=True))
    rows = [["商机编号", "阶段", "日期"], ["H-3", s[0], d(-40)], ["H-3", s[2], d(-3)]]
    job = services.import_job_create(org.sam, kind="history", upload=_csv(rows))
    job = _go(org.sam, job, "check")
    assert job.bad_rows == 2
    assert {p.message for p in ImportProblem.objects.filter(job=job)} == {
        "This deal exists and is not in your units."
    }
    # all or nothing: mona's file with one bad deal imports nothing, unless she skips the bad rows
    rows.append(["H-1", s[0], d(5)])
    job = services.import_job_create(org.mona, kind="history", upload=_csv(rows))
    job = _go(org.mona, job, "check")
    assert job.bad_rows == 1 and job.checked_counts == {"update": 2}
    _configure(org.mona, job, skip_invalid=True)
    _go(org.mona, job, "check")
    job = _go(org.mona, job, "commit")
    assert job.status == "done", job.error
    deal = Opportunity.objects.get(external_id="H-3")
    assert _history(deal.pk)[0][2] == TODAY - timedelta(days=40) and job.counts["updated"] == 1


def test_the_api_and_the_command_line_take_both_new_kinds(client, token_for, org, tmp_path):
    import io

    from django.core.management import call_command

    headers = token_for(org.mona)
    files = {
        "activities": [["客户名称", "类型", "日期"], [org.account.name, "拜访", d(-1)]],
        "history": [["商机编号", "阶段", "日期"], ["H-9", "赢单", d(-1)]],
    }
    for kind, rows in files.items():
        response = client.post("/api/imports", {"kind": kind, "file": _csv(rows)}, **headers)
        assert response.status_code == 201, response.json()
        keys = {f["key"] for f in client.get("/api/imports/fields", {"kind": kind}, **headers).json()}
        assert {"date"} <= keys
    path = tmp_path / "history.csv"
    path.write_bytes(_csv(files["history"]).read())
    out = io.StringIO()
    call_command("import", str(path), kind="history", user="mona", dry_run=True, stdout=out)
    assert "1 bad row(s)" in out.getvalue()
