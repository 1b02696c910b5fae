"""KAM stages and CSI services (issue 15 §7): the seed's stages and checklists as data in both languages,
stage changes recorded and audited (409 on a stale version), ticks, CSI surveys with the worked example."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from kadence.core.errors import Conflict, NotFound, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.keyaccounts.kam import selectors, services
from kadence.keyaccounts.kam.models import AccountKam, CsiQuestion, KamStageChange, KamTick

pytestmark = pytest.mark.django_db


def test_the_five_stages_with_their_checklists_in_both_languages(db):
    stages = selectors.stages()
    assert [s.code for s in stages] == ["pre", "early", "mid", "partnership", "synergistic"]
    assert [s.name_zh for s in stages] == ["孕育阶段", "初期阶段", "中期阶段", "伙伴式阶段", "协作式阶段"]
    pre = stages[0]
    assert pre.items.all()[0].text_zh == "客户资料的收集" and "5W2H" in pre.items.all()[5].text_en
    assert any("CSI" in i.text_zh for i in stages[3].items.all())
    assert all(s.focus_zh and s.focus_en and s.items.all() for s in stages)


def test_stage_changes_are_recorded_audited_and_versioned(org):
    kam = services.stage_set(org.rita, org.account.pk, stage="pre", version=0, note="开始接触")
    assert kam.stage.code == "pre" and kam.version == 1
    with pytest.raises(Conflict):
        services.stage_set(org.rita, org.account.pk, stage="early", version=0)
    services.stage_set(org.mona, org.account.pk, stage="early", version=1, note="建立信任")
    changes = list(KamStageChange.objects.filter(account=org.account).order_by("id"))
    assert [
        (c.from_stage and c.from_stage.code, c.to_stage.code, c.changed_by.username) for c in changes
    ] == [
        (None, "pre", "rita"),
        ("pre", "early", "mona"),
    ]
    assert changes[1].note == "建立信任"
    audit = AuditEntry.objects.filter(entity="keyaccounts.accountkam", entity_id=org.account.pk).order_by(
        "id"
    )
    assert [(a.old_value, a.new_value) for a in audit] == [("", "pre"), ("pre", "early")]
    with pytest.raises(ValidationFailed):
        services.stage_set(org.rita, org.account.pk, stage="early", version=2)  # already there
    with pytest.raises(ValidationFailed):
        services.stage_set(org.rita, org.account.pk, stage="nope", version=2)
    with pytest.raises(NotFound):
        services.stage_set(org.sara, org.account.pk, stage="mid", version=2)
    with pytest.raises(ValidationFailed):
        services.stage_set(org.rita, org.account.pk, stage="mid", version=None)  # type: ignore[arg-type]


def test_ticks(org):
    item = selectors.stages()[0].items.all()[0]
    assert services.tick_set(org.rita, org.account.pk, item.pk, done=True) is True
    assert services.tick_set(org.rita, org.account.pk, item.pk, done=True) is True  # idempotent
    assert KamTick.objects.filter(account=org.account).count() == 1
    services.tick_set(org.rita, org.account.pk, item.pk, done=False)
    assert not KamTick.objects.filter(account=org.account).exists()
    with pytest.raises(NotFound):
        services.tick_set(org.rita, org.account.pk, 999999, done=True)


def test_a_csi_survey_worked_example(org):
    q = {x.code: x for x in CsiQuestion.objects.all()}
    # overall weighs 2: (2×5 + 1×3 + 1×1) / 4 = 3.5 → (3.5 − 1) / 4 × 100 = 62.50
    answers = {q["overall"].pk: 5, q["quality"].pk: 3, q["delivery"].pk: 1}
    survey = services.survey_create(org.rita, org.account.pk, surveyed_on=date(2026, 3, 1), answers=answers)
    assert survey.csi == D("62.50") and survey.answers.count() == 3
    kam = AccountKam.objects.get(pk=org.account.pk)
    assert kam.last_csi == D("62.50") and kam.stage is None
    services.survey_create(org.rita, org.account.pk, surveyed_on=date(2026, 1, 1), answers={q["value"].pk: 5})
    assert AccountKam.objects.get(pk=org.account.pk).last_csi == D("62.50")  # an older survey: not the last
    # a survey created the record without a stage: the stage is set from version 0 still
    services.stage_set(org.rita, org.account.pk, stage="partnership", version=0)


@pytest.mark.parametrize(
    "answers",
    [{}, {"x": 3}, {999999: 3}, "quality-6", "future"],
)
def test_bad_surveys_are_refused(org, answers):
    q = CsiQuestion.objects.get(code="quality")
    day = date(2026, 3, 1)
    if answers == "quality-6":
        answers = {q.pk: 6}
    elif answers == "future":
        answers, day = {q.pk: 3}, timezone.localdate() + timedelta(days=2)
    with pytest.raises(ValidationFailed):
        services.survey_create(org.rita, org.account.pk, surveyed_on=day, answers=answers)


def test_a_question_id_no_database_column_holds_is_refused(org):
    with pytest.raises(ValidationFailed):
        services.survey_create(org.rita, org.account.pk, surveyed_on=date(2026, 3, 1), answers={2**70: 3})
