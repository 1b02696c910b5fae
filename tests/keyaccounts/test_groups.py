"""Account groups (issue 15 §1): the tree, its roll-ups (the worked example, exact), visibility of nodes
and totals, setting a parent (cycles refused, audited, version-checked), duplicate detection and the
normalised names."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kadence.accounts import services as account_services
from kadence.accounts.duplicates import find_duplicates, refresh_name_keys
from kadence.accounts.models import Account
from kadence.accounts.tree import ancestor_ids, descendants, root_of
from kadence.core.errors import Conflict, NotFound, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.domain.kam.groups import normalise_name, roll_up, similarity, subtree_of, would_cycle
from kadence.keyaccounts.groups.selectors import group_tree
from tests.keyaccounts.groups_world import YEAR, build

pytestmark = pytest.mark.django_db


def test_names_are_normalised_without_legal_forms_spaces_and_punctuation():
    assert normalise_name("华为技术有限公司") == "华为技术"
    assert normalise_name("华为技术（中国）有限公司") == "华为技术"
    assert normalise_name(" 华为 技术股份有限公司。") == "华为技术"
    assert normalise_name("Huawei Co., Ltd.") == "huawei"
    assert similarity("华为技术", "华为") == 0.8
    assert similarity("国网江苏电力", "国网江苏省电力") > 0.9
    assert similarity("华为技术", "中兴通讯") < 0.6


def test_pure_tree_rules():
    parent_of = {1: None, 2: 1, 3: 2, 4: 1}
    assert subtree_of(1, parent_of) == [1, 2, 4, 3]
    assert would_cycle(1, 3, [2, 1]) and would_cycle(1, 1, []) and not would_cycle(3, 4, [1])
    figures = {1: {"x": Decimal(1)}, 3: {"x": Decimal(2)}, 4: {"x": Decimal(4)}}
    assert roll_up(2, parent_of, figures) == {"x": Decimal(2)}
    assert roll_up(1, parent_of, figures) == {"x": Decimal(7)}


def test_the_worked_example_rolls_up_exactly_for_an_admin(org, django_assert_max_num_queries):
    w = build(org)
    with django_assert_max_num_queries(12):
        tree = group_tree(org.ada, w.b1.pk, year=YEAR)
    assert tree.top.id == w.g.pk and [pk for pk, _ in tree.ancestors] == [w.g.pk, w.s1.pk]
    assert [(n.id, n.depth) for n in tree.nodes] == [  # depth first, siblings by name (广 before 江)
        (w.g.pk, 0),
        (w.s2.pk, 1),
        (w.b2.pk, 2),
        (w.s1.pk, 1),
        (w.b1.pk, 2),
    ]
    total = tree.top.total
    assert (total.accounts, total.open_count, total.open_amount) == (5, 4, Decimal(750))
    assert (total.won_count, total.won_amount, total.buying_power) == (3, Decimal(1800), Decimal(1950))
    s1 = next(n for n in tree.nodes if n.id == w.s1.pk).total
    assert (s1.open_amount, s1.won_amount, s1.won_count, s1.buying_power) == (200, 1500, 2, 600)
    s2 = next(n for n in tree.nodes if n.id == w.s2.pk).total
    assert (s2.open_amount, s2.open_count, s2.won_amount, s2.buying_power) == (450, 2, 300, 350)
    assert tree.hidden == 0
    last_year = group_tree(org.ada, w.g.pk, year=YEAR - 1).top.total
    assert (last_year.won_amount, last_year.won_count) == (Decimal(999), 1)


def test_a_rep_sees_only_their_nodes_and_totals_say_so(org):
    w = build(org)
    tree = group_tree(org.rita, w.s1.pk, year=YEAR)
    assert [n.id for n in tree.nodes] == [w.g.pk, w.b2.pk, w.s1.pk]  # B2 hangs under G: S2 is hidden
    assert next(n for n in tree.nodes if n.id == w.b2.pk).parent_id == w.g.pk
    total = tree.top.total
    assert (total.accounts, total.open_count, total.open_amount, total.won_amount, total.buying_power) == (
        3,
        3,
        Decimal(350),
        Decimal(1000),
        Decimal(1550),
    )
    assert tree.hidden == 2
    mona = group_tree(org.mona, w.g.pk, year=YEAR)
    assert (mona.top.total.won_amount, mona.top.total.buying_power, mona.hidden) == (1500, 1650, 1)
    with pytest.raises(NotFound):
        group_tree(org.nick, w.g.pk)


def test_tree_queries_are_recursive_and_any_depth(org):
    w = build(org)
    assert [r[0] for r in descendants([w.s1.pk])] == [w.s1.pk, w.b1.pk]
    assert ancestor_ids(w.b2.pk) == [w.s2.pk, w.g.pk] and root_of(w.b2.pk) == w.g.pk
    chain = [w.b2]
    for i in range(8):
        chain.append(
            account_services.account_create(
                org.rita,
                name=f"深{i}",
                industry_id=org.industry.pk,
                region_id=org.north.pk,
                parent_id=chain[-1].pk,
            )
        )
    assert root_of(chain[-1].pk) == w.g.pk and len(descendants([w.g.pk])) == 13


def test_setting_a_parent_is_validated_audited_and_version_checked(org):
    w = build(org)
    a = account_services.account_update(org.rita, w.b2.pk, version=w.b2.version, parent_id=w.s1.pk)
    assert a.parent_id == w.s1.pk
    entry = AuditEntry.objects.get(entity="accounts.account", entity_id=w.b2.pk, field="parent_id")
    assert (entry.old_value, entry.new_value) == (str(w.s2.pk), str(w.s1.pk))
    with pytest.raises(Conflict):
        account_services.account_update(org.rita, w.b2.pk, version=w.b2.version, parent_id=None)
    g = Account.objects.get(pk=w.g.pk)
    with pytest.raises(ValidationFailed) as cycle:
        account_services.account_update(org.rita, g.pk, version=g.version, parent_id=w.s1.pk)
    assert cycle.value.code == "parent_cycle" and "parent_id" in cycle.value.errors
    with pytest.raises(ValidationFailed):
        account_services.account_update(org.rita, g.pk, version=g.version, parent_id=g.pk)
    with pytest.raises(ValidationFailed):  # a parent the user may not see
        account_services.account_update(org.rita, g.pk, version=g.version, parent_id=org.sara_account.pk)
    a = Account.objects.get(pk=w.b2.pk)
    a = account_services.account_update(org.rita, a.pk, version=a.version, parent_id=None)
    assert a.parent_id is None


def test_same_credit_code_blocks_unless_confirmed_and_similar_names_warn(org):
    code = "91320000134765872K"
    first = account_services.account_create(
        org.rita,
        name="江苏华电有限公司",
        industry_id=org.industry.pk,
        region_id=org.north.pk,
        credit_code=code,
    )
    with pytest.raises(Conflict) as dup:
        account_services.account_create(
            org.tom,
            name="华电江苏",
            industry_id=org.industry.pk,
            region_id=org.north.pk,
            credit_code=code.lower(),
        )
    assert dup.value.code == "duplicate_account" and dup.value.extra["duplicates"][0]["id"] == first.pk
    second = account_services.account_create(
        org.tom,
        name="华电江苏",
        industry_id=org.industry.pk,
        region_id=org.north.pk,
        credit_code=code,
        confirm_duplicate=True,
    )
    assert second.credit_code == code
    with pytest.raises(ValidationFailed):
        account_services.account_create(
            org.tom, name="x", industry_id=org.industry.pk, region_id=org.north.pk, credit_code="123"
        )
    found = find_duplicates("江苏华电股份有限公司")
    assert [d.id for d in found][:1] == [first.pk] and found[0].reason == "name" and found[0].score == 1.0
    assert [d.id for d in find_duplicates("江苏华电集团（中国）")][:1] == [first.pk]
    assert first.pk in [d.id for d in find_duplicates("江苏华")]  # a longer name starting with it
    assert first.pk in [d.id for d in find_duplicates("江苏华电南京分公司")]  # a shorter name it starts with
    by_code = find_duplicates("", code)
    assert {d.id for d in by_code} == {first.pk, second.pk} and by_code[0].reason == "credit_code"
    assert find_duplicates("完全不同的名字") == []


def test_name_keys_follow_renames_and_bulk_writes(org):
    a = account_services.account_create(
        org.rita, name="甲乙科技有限公司", industry_id=org.industry.pk, region_id=org.north.pk
    )
    assert (a.name_key, a.name_prefix) == ("甲乙科技", "甲乙")
    a = account_services.account_update(org.rita, a.pk, version=a.version, name="丙丁 科技（中国）")
    assert Account.objects.get(pk=a.pk).name_key == "丙丁科技"
    Account.objects.filter(pk=a.pk).update(name_key="", name_prefix="")
    assert refresh_name_keys() >= 1 and Account.objects.get(pk=a.pk).name_key == "丙丁科技"


def test_duplicate_lookup_reads_few_rows(org, django_assert_max_num_queries):
    for i in range(30):
        account_services.account_create(
            org.rita, name=f"北方{i:02d}号公司", industry_id=org.industry.pk, region_id=org.north.pk
        )
    with django_assert_max_num_queries(2):
        found = find_duplicates("北方07号有限公司", "")
    assert found[0].name == "北方07号公司"
