"""Importing the organisation (issue 12 §1, kadence.transfer.org_kind): regions, teams and people with
their roles from a sheet; only admins; an undo removes what the import created."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kadence.core.errors import PermissionDenied
from kadence.core.models import OrgUnit, User
from kadence.transfer import services
from kadence.transfer.models import ImportJob, ImportProblem
from kadence.transfer.org_kind import derive_code, derive_username
from kadence.transfer.tasks import execute

pytestmark = pytest.mark.django_db


def _file(rows: list[list[str]]) -> SimpleUploadedFile:
    text = "\r\n".join(",".join(row) for row in rows) + "\r\n"
    return SimpleUploadedFile("组织.csv", text.encode("utf-8-sig"), content_type="text/csv")


SHEET = [
    ["姓名", "邮箱", "团队", "区域", "角色", "经理"],
    ["王芳", "wang@example.cn", "华东一组", "华东", "销售代表", "李强"],
    ["赵磊", "", "华东一组", "华东", "内勤", "李强"],
    ["王芳", "wang@example.cn", "华东一组", "华东", "销售代表", "李强"],  # repeated: read once
    ["Kim Lee", "", "North 1", "north", "Sales manager", ""],  # an existing region, by code
    ["陈静", "", "", "华东", "总监", ""],
    ["钱多", "", "新团队", "", "rep", ""],  # a new team needs its region
    ["孙悟", "", "华东一组", "华东", "老板", ""],  # not a role
]


def _go(user, job: ImportJob, action: str) -> ImportJob:
    start = {"check": services.import_check, "commit": services.import_commit, "undo": services.import_undo}
    start[action](user, job.pk)
    return execute(job.pk, action)


def test_an_admin_imports_regions_teams_and_people_and_undoes_it(org):
    job = services.import_job_create(org.ada, kind="org", upload=_file(SHEET))
    assert job.columns == {
        "name": "姓名",
        "email": "邮箱",
        "team": "团队",
        "region": "区域",
        "role": "角色",
        "manager": "经理",
    }
    job = _go(org.ada, job, "check")
    problems = {(p.row, p.column) for p in ImportProblem.objects.filter(job=job)}
    assert problems == {(7, "区域"), (8, "角色")}
    services.import_job_configure(org.ada, job.pk, version=job.version, skip_invalid=True)
    job = _go(org.ada, ImportJob.objects.get(pk=job.pk), "check")
    job = _go(org.ada, job, "commit")
    assert job.status == "done", job.error

    east = OrgUnit.objects.get(kind="region", name_zh="华东")
    team = OrgUnit.objects.get(kind="team", name_zh="华东一组")
    assert east.parent == org.company and team.parent == east
    assert team.path == f"{org.company.path}{east.pk}/{team.pk}/"
    wang = User.objects.get(display_name="王芳")
    assert wang.username == "王芳" and wang.email == "wang@example.cn" and wang.role == "rep"
    assert not wang.has_usable_password() and wang.org_unit == team
    assert User.objects.get(display_name="赵磊").role == "inside"
    li = User.objects.get(display_name="李强")  # named as manager only: created as the team's manager
    assert li.role == "manager" and li.org_unit == team and list(li.managed_units.all()) == [team]
    assert User.objects.get(display_name="陈静").org_unit == east
    kim = User.objects.get(display_name="Kim Lee")
    assert kim.role == "manager" and kim.username == "kim.lee" and kim.org_unit.parent == org.north
    assert User.objects.filter(display_name="王芳").count() == 1

    job = _go(org.ada, job, "undo")
    assert job.status == "undone", job.error
    assert not User.objects.filter(display_name__in=["王芳", "李强", "Kim Lee", "陈静"]).exists()
    assert not OrgUnit.objects.filter(name_zh__in=["华东", "华东一组", "North 1"]).exists()


def test_only_admins_import_the_org_and_a_person_who_logged_in_is_not_undone(org):
    with pytest.raises(PermissionDenied):
        services.import_job_create(org.mona, kind="org", upload=_file(SHEET[:2]))
    job = services.import_job_create(org.ada, kind="org", upload=_file(SHEET[:2]))
    job = _go(org.ada, job, "check")
    job = _go(org.ada, job, "commit")
    assert job.status == "done", job.error
    User.objects.filter(display_name="王芳").update(last_login="2026-01-01T00:00:00Z")
    job = _go(org.ada, job, "undo")
    fang = User.objects.get(display_name="王芳")  # still there, and named as the reason
    assert job.status == "done" and f"#{fang.pk}" in job.error


def test_an_existing_manager_given_a_team_gets_back_their_units_on_undo(org):
    job = services.import_job_create(
        org.ada,
        kind="org",
        upload=_file([["name", "team", "region", "manager"], ["Pat", "T9", "north", "mona"]]),
    )
    job = _go(org.ada, job, "check")
    job = _go(org.ada, job, "commit")
    assert job.status == "done", job.error
    t9 = OrgUnit.objects.get(name_en="T9")
    assert set(org.mona.managed_units.all()) == {org.n1, t9}
    job = _go(org.ada, job, "undo")
    assert job.status == "undone", job.error
    assert set(org.mona.managed_units.all()) == {org.n1}


def test_codes_and_logins_are_derived_unique():
    taken = {"central", "team-1"}
    assert derive_code("Central", "region", taken) == "central-2"
    assert derive_code("华东一组", "team", taken) == "team-2"
    assert derive_code("Zürich Süd", "team", taken) == "zurich-sud"
    logins = {"anna.snelling"}
    assert derive_username("Anna Snelling", logins) == "anna.snelling2"
    assert derive_username("王 芳", logins) == "王.芳"


def test_a_check_started_in_the_foreground_queues_no_background_task(org, django_capture_on_commit_callbacks):
    """`kadence import` checks in the foreground: a queued task as well would check the file again
    later — after the import, turning the done import back into a checked one."""
    job = services.import_job_create(org.ada, kind="org", upload=_file(SHEET[:2]))
    with django_capture_on_commit_callbacks() as queued:
        services.import_check(org.ada, job.pk, background=False)
    assert queued == []
