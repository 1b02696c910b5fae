"""The shipped team sale (METHODOLOGY §1c, §6): every stage of the four templates has its roles and a
task list with bilingual names and completion standards, and every exit criterion of kind "task"
names a task of its own stage."""

from __future__ import annotations

from collections import Counter

import pytest
from django.apps import apps as django_apps

from kadence.pipeline.models import DealRole, ExitCriterion, ProcessTemplate, Stage, StageTask
from kadence.pipeline.templates_data import methodology, stage_tasks

TEMPLATES = ["tianlong8", "funnel7", "standard6", "lenovo5"]


def test_the_data_covers_every_shipped_stage():
    for spec in methodology.TEMPLATES:
        shipped = {stage[0] for stage in spec["stages"]}
        assert set(stage_tasks.STAGE_TASKS[spec["code"]]) == shipped, spec["code"]


def test_every_task_criterion_of_the_shipped_data_names_a_task_of_its_stage():
    for spec in methodology.TEMPLATES:
        for stage in spec["stages"]:
            codes = {task[0] for task in stage_tasks.STAGE_TASKS[spec["code"]][stage[0]]["tasks"]}
            for criterion in stage[8]:
                if criterion[1] == "task":
                    assert criterion[4]["task"] in codes, (spec["code"], stage[0], criterion[0])


@pytest.mark.django_db
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_stage_has_roles_and_two_to_four_tasks(template):
    stages = list(Stage.objects.filter(template__code=template).prefetch_related("tasks", "required_roles"))
    assert stages
    role_codes = set(DealRole.objects.values_list("code", flat=True))
    for stage in stages:
        tasks = list(stage.tasks.all())
        assert 2 <= len(tasks) <= 4, stage.code
        codes = Counter(t.code for t in tasks)
        assert all(n == 1 for n in codes.values()), (stage.code, codes)
        roles = {r.code for r in stage.required_roles.all()}
        assert roles and roles <= role_codes, stage.code
        for task in tasks:
            assert task.name_zh and task.name_en and task.standard_zh and task.standard_en, task.code
            assert task.role is not None and task.due_days >= 1, task.code
            assert task.due_days <= max(stage.standard_days, 7), task.code


@pytest.mark.django_db
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_task_criterion_has_a_stage_task_with_its_code(template):
    criteria = ExitCriterion.objects.filter(stage__template__code=template, kind=ExitCriterion.Kind.TASK)
    for criterion in criteria:
        code = criterion.config.get("task")
        assert code, criterion.code
        assert StageTask.objects.filter(stage_id=criterion.stage_id, code=code, is_active=True).exists(), code


@pytest.mark.django_db
def test_task_criteria_exist_to_be_checked():
    assert ExitCriterion.objects.filter(stage__template__code__in=TEMPLATES, kind="task").count() >= 5


@pytest.mark.django_db
def test_roles_follow_the_methodology():
    def roles(template: str, stage: str) -> set[str]:
        return set(
            Stage.objects.get(template__code=template, code=stage).required_roles.values_list(
                "code", flat=True
            )
        )

    assert roles("tianlong8", "plan_call") == {"account_manager"}
    assert "presales" in roles("tianlong8", "demo_exchange")
    assert "consultant" in roles("tianlong8", "formal_proposal")
    assert "executive" in roles("tianlong8", "deal_review")
    assert {"commercial", "finance", "legal"} <= roles("tianlong8", "negotiation")
    assert {"executive", "delivery"} <= roles("tianlong8", "signed")
    assert "presales" in roles("standard6", "technical_exchange")


@pytest.mark.django_db
def test_loading_again_changes_nothing_and_keeps_an_admins_edits():
    stage = Stage.objects.get(template__code="tianlong8", code="plan_call")
    task = stage.tasks.get(code="account_plan")
    task.name_en = "Edited by an admin"
    task.save()
    stage.required_roles.set(DealRole.objects.filter(code="inside_sales"))
    before = StageTask.objects.count()
    stage_tasks.load(django_apps)
    assert StageTask.objects.count() == before
    assert stage.tasks.get(code="account_plan").name_en == "Edited by an admin"
    assert set(stage.required_roles.values_list("code", flat=True)) == {"inside_sales"}


@pytest.mark.django_db
def test_load_skips_templates_that_do_not_exist():
    ProcessTemplate.objects.filter(code="lenovo5").update(code="renamed")
    StageTask.objects.filter(stage__template__code="renamed").delete()
    stage_tasks.load(django_apps)
    assert not StageTask.objects.filter(stage__template__code="renamed").exists()
