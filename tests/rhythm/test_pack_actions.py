"""The manager's notes and agreed actions of the 1x1 pack: who writes, who reads, the carry-over of an
open action into the next weeks' packs until it is done, versions (409) and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.rhythm.pack import services
from kadence.rhythm.pack.models import PackAction
from kadence.rhythm.pack.selectors import pack, pack_list

pytestmark = pytest.mark.django_db


def this_monday():
    today = timezone.localdate()
    return today - timedelta(days=today.weekday())


def titles(found):
    return [row.action.text for row in found.actions]


def test_an_open_action_carries_over_until_done(org):
    week0 = this_monday() - timedelta(days=14)
    week1, week2 = week0 + timedelta(days=7), week0 + timedelta(days=14)
    action = services.action_add(
        org.mona, org.rita.pk, week0, text="拜访总工", due_on=week0 + timedelta(days=4)
    )
    assert titles(pack(org.mona, org.rita.pk, week0, with_sections=False)) == ["拜访总工"]
    carried = pack(org.mona, org.rita.pk, week1, with_sections=False).actions
    assert [r.action.pk for r in carried] == [action.pk] and carried[0].carried and carried[0].overdue
    assert pack(org.mona, org.rita.pk, week0 - timedelta(days=7), with_sections=False).actions == []
    # done during week 1 (moved there): shown done in week 1, gone from week 2
    services.action_mark(org.rita, action.pk, version=action.version)
    PackAction.objects.filter(pk=action.pk).update(
        done_at=timezone.make_aware(
            timezone.datetime.combine(week1 + timedelta(days=2), timezone.datetime.min.time())
        )
    )
    in_week1 = pack(org.rita, org.rita.pk, week1, with_sections=False).actions
    assert in_week1[0].action.done_at is not None
    assert pack(org.rita, org.rita.pk, week2, with_sections=False).actions == []
    assert titles(pack(org.rita, org.rita.pk, week0, with_sections=False)) == ["拜访总工"]


def test_only_the_manager_and_above_write_and_the_rep_marks_their_own(org):
    week = this_monday()
    for writer in (org.mona, org.dora, org.ada):
        services.action_add(writer, org.rita.pk, week, text=f"by {writer.username}")
    with pytest.raises(PermissionDenied):
        services.action_add(org.rita, org.rita.pk, week, text="mine")
    with pytest.raises(PermissionDenied):
        services.note_save(org.rita, org.rita.pk, week, text="x")
    for outsider in (org.tom, org.sam, org.sven, org.nick):
        with pytest.raises(NotFound):
            services.action_add(outsider, org.rita.pk, week, text="x")
    own = services.action_add(org.mona, org.rita.pk, week, text="rita's", owner_id=org.rita.pk)
    mona_s = services.action_add(org.mona, org.rita.pk, week, text="mona's", owner_id=org.mona.pk)
    services.action_mark(org.rita, own.pk, version=own.version)
    with pytest.raises(PermissionDenied):
        services.action_mark(org.rita, mona_s.pk, version=mona_s.version)
    with pytest.raises(NotFound):
        services.action_mark(org.tom, own.pk, version=own.version + 1)
    with pytest.raises(ValidationFailed):  # the owner is the rep or one of their managers
        services.action_add(org.mona, org.rita.pk, week, text="x", owner_id=org.tom.pk)
    with pytest.raises(ValidationFailed):
        services.action_add(org.mona, org.rita.pk, week, text="  ")


def test_note_versions_and_audit(org):
    week = this_monday()
    note = services.note_save(org.mona, org.rita.pk, week, text="进展不错")
    assert note.version == 1
    note = services.note_save(org.mona, org.rita.pk, week, text="进展不错。下周拜访", version=1)
    assert note.version == 2
    with pytest.raises(Conflict):
        services.note_save(org.dora, org.rita.pk, week, text="stale", version=1)
    with pytest.raises(ValidationFailed):
        services.note_save(org.dora, org.rita.pk, week, text="no version")
    assert AuditEntry.objects.filter(entity="rhythm.packnote", entity_id=note.pk).count() == 2
    assert pack(org.rita, org.rita.pk, week, with_sections=False).note.text == "进展不错。下周拜访"


def test_action_versions(org):
    week = this_monday()
    action = services.action_add(org.mona, org.rita.pk, week, text="a")
    services.action_update(org.mona, action.pk, version=1, text="b", due_on=str(week))
    with pytest.raises(Conflict):
        services.action_update(org.mona, action.pk, version=1, text="c")
    with pytest.raises(Conflict):
        services.action_mark(org.mona, action.pk, version=1)
    assert AuditEntry.objects.filter(entity="rhythm.packaction", entity_id=action.pk).exists()


def test_who_reads_which_pack(org):
    week = this_monday()
    for reader in (org.rita, org.mona, org.dora, org.ada):
        assert pack(reader, org.rita.pk, week, with_sections=False).rep == org.rita
    for outsider in (org.tom, org.sam, org.sven, org.nick, org.sara):
        with pytest.raises(NotFound):
            pack(outsider, org.rita.pk, week, with_sections=False)
    with pytest.raises(NotFound):  # a manager has no pack
        pack(org.ada, org.mona.pk, week, with_sections=False)
    assert [r.rep.username for r in pack_list(org.rita)] == ["rita"]
    assert {r.rep.username for r in pack_list(org.mona)} == {"rita", "tom"}
    assert {r.rep.username for r in pack_list(org.dora)} == {"rita", "tom", "nick"}


def test_weeks_are_checked(org):
    with pytest.raises(ValidationFailed):
        pack(org.mona, org.rita.pk, "2026-13-01", with_sections=False)
    with pytest.raises(ValidationFailed):
        pack(org.mona, org.rita.pk, this_monday() + timedelta(days=14), with_sections=False)
    # next week's, to prepare the next 1x1 on the actions carried over
    assert pack(org.mona, org.rita.pk, this_monday() + timedelta(days=7), with_sections=False).week_start == (
        this_monday() + timedelta(days=7)
    )
    found = pack(org.mona, org.rita.pk, this_monday() + timedelta(days=3), with_sections=False)
    assert found.week_start == this_monday()
