"""Merging a duplicate account (every related row moves, nothing is lost, history kept) and account
collaborators (visibility follows them; removed → gone)."""

from __future__ import annotations

from datetime import date

import pytest

from kadence.accounts.models import Account, AccountMember, Contact
from kadence.accounts.services import account_create, account_update, contact_create
from kadence.activities.models import Activity
from kadence.activities.services import activity_create
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.core.visibility import access_account, can_write_account, visible_accounts, visible_contacts
from kadence.keyaccounts.groups import services
from kadence.keyaccounts.groups.models import MergedAccount
from kadence.pipeline.models import Opportunity, StageChange
from tests.keyaccounts.groups_world import _deal, build

pytestmark = pytest.mark.django_db


def _dup(org, w):
    dup = account_create(
        org.rita,
        name="华能集团有限公司",
        industry_id=org.industry.pk,
        region_id=org.north.pk,
        credit_code="91110000100001234X",
        address="北京西城",
    )
    contact = contact_create(org.rita, account_id=dup.pk, name="王总")
    opp = _deal(org.rita, dup, 70)
    won = _deal(org.rita, dup, 30, "won", date(2026, 5, 5))
    activity = activity_create(
        org.rita, account_id=dup.pk, opportunity_id=opp.pk, kind="call_out", subject="拜访"
    )
    child = account_create(
        org.rita, name="华能北京分公司", industry_id=org.industry.pk, region_id=org.north.pk, parent_id=dup.pk
    )
    services.member_add(org.rita, dup.pk, user_id=org.nick.pk, access="read")
    services.member_add(org.rita, dup.pk, user_id=org.tom.pk, access="write")
    services.member_add(org.rita, w.g.pk, user_id=org.tom.pk, access="read")  # the survivor's twin
    return Account.objects.get(pk=dup.pk), contact, opp, won, activity, child


def test_merge_moves_every_related_row_and_keeps_the_history(org):
    w = build(org)
    dup, contact, opp, won, activity, child = _dup(org, w)
    history = StageChange.objects.filter(opportunity=opp).count()
    before = {m: m.objects.count() for m in (Contact, Opportunity, StageChange, Activity)}
    g = Account.objects.get(pk=w.g.pk)
    preview = services.merge_preview(org.mona, g.pk, dup.pk)
    moves = {m["label"]: m["rows"] for m in preview["moves"]}
    assert moves == {
        "accounts.Account.parent": 1,
        "accounts.AccountMember.account": 2,
        "accounts.Contact.account": 1,
        "pipeline.Opportunity.account": 2,
        "activities.Activity.account": 1,
    }
    record = services.merge_accounts(
        org.mona, g.pk, dup.pk, survivor_version=g.version, merged_version=dup.version, reason="重复"
    )
    assert not Account.objects.filter(pk=dup.pk).exists()
    assert {m: m.objects.count() for m in before} == before  # nothing lost
    assert Contact.objects.get(pk=contact.pk).account_id == g.pk
    assert set(Opportunity.objects.filter(pk__in=[opp.pk, won.pk]).values_list("account_id", flat=True)) == {
        g.pk
    }
    assert StageChange.objects.filter(opportunity=opp).count() == history
    assert Activity.objects.get(pk=activity.pk).account_id == g.pk
    assert Account.objects.get(pk=child.pk).parent_id == g.pk
    members = dict(AccountMember.objects.filter(account=g).values_list("user_id", "access"))
    assert members == {org.nick.pk: "read", org.tom.pk: "read"}  # the survivor's own row stays
    assert record.kept["accounts.AccountMember"][0]["access"] == "write"
    assert (record.old_id, record.old_name, record.credit_code, record.survivor_id) == (
        dup.pk,
        "华能集团有限公司",
        "91110000100001234X",
        g.pk,
    )
    assert record.moved["pipeline.Opportunity.account"] == 2 and record.merged_by_id == org.mona.pk
    g = Account.objects.get(pk=g.pk)
    assert (
        g.version == w.g.version + 1 + 0 and g.credit_code == "91110000100001234X" and g.address == "北京西城"
    )
    into = AuditEntry.objects.get(entity="accounts.account", entity_id=dup.pk, field="merged_into")
    assert into.new_value.startswith(str(g.pk)) and into.reason == "重复"
    assert AuditEntry.objects.filter(entity="accounts.account", entity_id=g.pk, field="merged_from").exists()
    # the old audit rows stay readable
    assert (
        AuditEntry.objects.filter(entity="accounts.account", entity_id=dup.pk, field="member_added").count()
        == 2
    )


def test_merge_is_refused_when_stale_not_allowed_or_circular(org):
    w = build(org)
    dup, *_rest, child = _dup(org, w)
    g = Account.objects.get(pk=w.g.pk)
    with pytest.raises(Conflict):
        services.merge_accounts(
            org.mona, g.pk, dup.pk, survivor_version=g.version - 1 or 99, merged_version=dup.version
        )
    with pytest.raises(PermissionDenied):
        services.merge_accounts(
            org.rita, g.pk, dup.pk, survivor_version=g.version, merged_version=dup.version
        )
    with pytest.raises(NotFound):
        services.merge_accounts(org.sam, g.pk, dup.pk, survivor_version=g.version, merged_version=dup.version)
    with pytest.raises(ValidationFailed):
        services.merge_accounts(org.ada, g.pk, g.pk, survivor_version=g.version, merged_version=g.version)
    with pytest.raises(ValidationFailed) as below:  # the survivor is below the duplicate
        services.merge_accounts(org.ada, child.pk, dup.pk, survivor_version=1, merged_version=dup.version)
    assert below.value.code == "merge_cycle"
    assert Account.objects.filter(pk=dup.pk).exists() and not MergedAccount.objects.exists()


def test_a_collaborator_sees_the_account_and_its_contacts_until_removed(org):
    account = org.account
    contact = contact_create(org.rita, account_id=account.pk, name="李工")
    assert not visible_accounts(org.nick).filter(pk=account.pk).exists()
    member = services.member_add(org.rita, account.pk, user_id=org.nick.pk, access="read", role="技术支持")
    assert visible_accounts(org.nick).filter(pk=account.pk).exists()
    assert visible_contacts(org.nick).filter(pk=contact.pk).exists()
    assert not can_write_account(org.nick, access_account(org.nick, account.pk))
    with pytest.raises(PermissionDenied):
        account_update(org.nick, account.pk, version=account.version, notes="x")
    services.member_add(org.rita, account.pk, user_id=org.nick.pk, access="write")
    assert AccountMember.objects.get(pk=member.pk).access == "write"
    updated = account_update(org.nick, account.pk, version=account.version, notes="协作人写入")
    assert updated.notes == "协作人写入"
    with pytest.raises(PermissionDenied):  # a write collaborator does not manage the team
        services.member_add(org.nick, account.pk, user_id=org.tom.pk)
    services.member_remove(org.mona, account.pk, member.pk)  # a manager over the account
    assert not visible_accounts(org.nick).filter(pk=account.pk).exists()
    assert not visible_contacts(org.nick).filter(pk=contact.pk).exists()
    fields = list(
        AuditEntry.objects.filter(entity="accounts.account", entity_id=account.pk).values_list(
            "field", flat=True
        )
    )
    assert {"member_added", "member_access", "member_removed"} <= set(fields)


def test_collaborator_input_is_checked(org):
    with pytest.raises(ValidationFailed):
        services.member_add(org.rita, org.account.pk, user_id=org.rita.pk)  # the owner
    with pytest.raises(ValidationFailed):
        services.member_add(org.rita, org.account.pk, user_id=org.nick.pk, access="admin")
    with pytest.raises(ValidationFailed):
        services.member_add(org.rita, org.account.pk, user_id=999999)
    with pytest.raises(NotFound):
        services.member_add(org.nick, org.account.pk, user_id=org.tom.pk)
    with pytest.raises(NotFound):
        services.member_remove(org.rita, org.account.pk, 999999)
