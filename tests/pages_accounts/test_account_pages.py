"""Account pages: list and 360° visibility, create and edit through the forms, conflicts and field errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from kadence.accounts.models import Account, Industry
from tests.prg import refused_post

pytestmark = pytest.mark.django_db


def account_form_data(account: Account, **changes) -> dict:
    data = {
        "name": account.name,
        "industry": account.industry_id,
        "region": account.region_id,
        "address": account.address,
        "size": account.size,
        "status": account.status,
        "buying_power": str(account.buying_power),
        "currency": account.currency,
        "notes": account.notes,
        "version": account.version,
    }
    data.update(changes)
    return data


# --- visibility -----------------------------------------------------------------------------------


def test_rep_lists_only_what_she_may_see(org, login):
    response = login(org.rita).get(reverse("account_list"))
    assert response.status_code == 200
    assert "国网江苏电力" in response.text
    assert "广东移动" not in response.text


def test_rep_cannot_open_another_regions_account(org, login):
    response = login(org.rita).get(reverse("account_detail", args=[org.sara_account.pk]))
    assert response.status_code == 404
    assert "广东移动" not in response.text


def test_director_sees_his_regions_account(org, login):
    client = login(org.sven)
    assert "广东移动" in client.get(reverse("account_list")).text
    response = client.get(reverse("account_detail", args=[org.sara_account.pk]))
    assert response.status_code == 200
    assert "机房动环监控" in response.text  # sara's deal, linked
    assert reverse("opportunity_detail", args=[org.sara_opp.pk]) in response.text
    assert "国网江苏电力" not in client.get(reverse("account_list")).text


def test_account_of_a_deal_is_visible_but_not_editable_for_the_deal_team(on_deal_team, login):
    org = on_deal_team
    client = login(org.tom)
    response = client.get(reverse("account_detail", args=[org.account.pk]))
    assert response.status_code == 200
    assert reverse("account_edit", args=[org.account.pk]) not in response.text
    assert client.get(reverse("account_edit", args=[org.account.pk])).status_code == 403
    before = Account.objects.get(pk=org.account.pk)
    response = client.post(
        reverse("account_edit", args=[org.account.pk]), account_form_data(before, name="改名")
    )
    assert response.status_code == 403
    assert Account.objects.get(pk=org.account.pk).name == "国网江苏电力"


def test_edit_of_an_invisible_account_is_404(org, login):
    assert login(org.nick).get(reverse("account_edit", args=[org.account.pk])).status_code == 404
    assert login(org.nick).post(reverse("account_edit", args=[org.account.pk]), {}).status_code == 404


def test_list_requires_login(client, org):
    response = client.get(reverse("account_list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- list: filters, sort, htmx ------------------------------------------------------------------


def test_filters_sort_and_htmx_partial(org, login):
    telecom = Industry.objects.get(code="telecom")
    for i, bp in enumerate(["100", "900", "500"]):
        Account.objects.create(
            name=f"客户{i}",
            industry=telecom,
            region=org.north,
            owner=org.rita,
            team=org.n1,
            buying_power=Decimal(bp),
            status="active",
        )
    client = login(org.rita)
    response = client.get(reverse("account_list"), {"industry": telecom.pk, "sort": "-bp"})
    text = response.text
    assert "国网江苏电力" not in text
    assert text.index("客户1") < text.index("客户2") < text.index("客户0")
    assert "<html" in text and 'id="account-filters"' in text

    partial = client.get(
        reverse("account_list"), {"q": "客户2"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="account-results"
    )
    assert partial.status_code == 200
    assert "<html" not in partial.text and 'id="account-results"' in partial.text
    assert "客户2" in partial.text and "客户1" not in partial.text
    assert "HX-Request" in partial["Vary"]

    status = client.get(reverse("account_list"), {"status": "prospect"}).text
    assert "国网江苏电力" in status and "客户0" not in status


def test_bad_filter_values_mean_any(org, login):
    response = login(org.rita).get(
        reverse("account_list"),
        {"industry": "x", "owner": "999999", "region": "-1", "page": "abc", "sort": "drop"},
    )
    assert response.status_code == 200
    assert "国网江苏电力" in response.text


def test_pagination(org, login):
    power = org.industry
    Account.objects.bulk_create(
        [
            Account(name=f"分页客户{i:02d}", industry=power, region=org.north, owner=org.rita, team=org.n1)
            for i in range(30)
        ]
    )
    client = login(org.rita)
    first = client.get(reverse("account_list")).text
    second = client.get(reverse("account_list"), {"page": 2}).text
    assert "分页客户00" in first and "分页客户29" not in first
    assert "分页客户29" in second and 'rel="prev"' in second


# --- create and edit ------------------------------------------------------------------------------


def test_rep_creates_an_account(org, login):
    client = login(org.rita)
    page = client.get(reverse("account_create"))
    assert page.status_code == 200
    assert 'name="owner"' not in page.text  # reps cannot choose an owner
    response = client.post(
        reverse("account_create"),
        {
            "name": "华能集团",
            "industry": org.industry.pk,
            "region": org.north.pk,
            "size": "huge",
            "status": "active",
            "buying_power": "8000000",
            "currency": "cny",
            "address": "北京",
            "notes": "",
        },
    )
    account = Account.objects.get(name="华能集团")
    assert response.status_code == 302 and response["Location"] == reverse(
        "account_detail", args=[account.pk]
    )
    assert account.owner == org.rita and account.team == org.n1
    assert account.buying_power == Decimal("8000000.00") and account.currency == "CNY"


def test_manager_may_choose_the_owner(org, login):
    client = login(org.mona)
    page = client.get(reverse("account_create"))
    assert 'name="owner"' in page.text
    assert "Sara" not in page.text.split('name="owner"')[1].split("</select>")[0]  # only people in her scope
    client.post(
        reverse("account_create"),
        {
            "name": "大唐电力",
            "industry": org.industry.pk,
            "region": org.north.pk,
            "size": "large",
            "status": "prospect",
            "buying_power": "0",
            "currency": "CNY",
            "owner": org.tom.pk,
        },
    )
    assert Account.objects.get(name="大唐电力").owner == org.tom


def test_negative_bp_shows_a_field_error_and_creates_nothing(org, login):
    """The service refuses the value: the POST answers 303 to the form (post-redirect-get), whose GET
    shows the input and the service's message next to its field, once."""
    before = Account.objects.count()
    response = refused_post(
        login(org.rita),
        reverse("account_create"),
        {
            "name": "负数客户",
            "industry": org.industry.pk,
            "region": org.north.pk,
            "size": "medium",
            "status": "prospect",
            "buying_power": "-5",
            "currency": "CNY",
        },
        status=422,
    )
    assert Account.objects.count() == before
    assert 'class="field invalid' in response.text
    field = response.text.split('id="id_buying_power"')[1].split("</label>")[0]
    assert "errorlist" in field
    assert 'value="负数客户"' in response.text  # the input is kept


def test_negative_bp_on_edit_changes_nothing(org, login):
    account = Account.objects.get(pk=org.account.pk)
    response = refused_post(
        login(org.rita),
        reverse("account_edit", args=[account.pk]),
        account_form_data(account, buying_power="-1", name="不该保存"),
        status=422,
    )
    assert (
        'value="不该保存"' in response.text and "errorlist" in response.text.split('id="id_buying_power"')[1]
    )
    fresh = Account.objects.get(pk=account.pk)
    assert (fresh.name, fresh.buying_power, fresh.version) == (
        account.name,
        account.buying_power,
        account.version,
    )


def test_owner_edits_her_account(org, login):
    account = Account.objects.get(pk=org.account.pk)
    client = login(org.rita)
    page = client.get(reverse("account_edit", args=[account.pk]))
    assert f'name="version" value="{account.version}"' in page.text
    response = client.post(
        reverse("account_edit", args=[account.pk]),
        account_form_data(account, status="active", buying_power="6000000"),
    )
    assert response.status_code == 302
    fresh = Account.objects.get(pk=account.pk)
    assert fresh.status == "active" and fresh.buying_power == Decimal("6000000.00") and fresh.version == 2


def test_stale_edit_is_a_conflict_and_overwrites_nothing(org, login):
    from kadence.accounts.services import account_update

    stale = Account.objects.get(pk=org.account.pk)
    account_update(
        org.mona, stale.pk, version=stale.version, name="国网江苏省电力公司"
    )  # someone else saves first
    response = refused_post(
        login(org.rita),
        reverse("account_edit", args=[stale.pk]),
        account_form_data(stale, name="我的改名", address="南京"),
        status=409,
    )
    assert 'data-code="conflict"' in response.text
    assert "国网江苏省电力公司" in response.text and "我的改名" in response.text  # both sides shown
    fresh = Account.objects.get(pk=stale.pk)
    assert fresh.name == "国网江苏省电力公司" and fresh.address == "" and fresh.version == 2
    assert 'name="version" value="2"' in response.text  # saving again is a deliberate choice


def test_manager_reassigns_rep_cannot(org, login):
    account = Account.objects.get(pk=org.account.pk)
    mona = login(org.mona)
    assert 'name="owner"' in mona.get(reverse("account_edit", args=[account.pk])).text
    assert 'name="owner"' not in login(org.rita).get(reverse("account_edit", args=[account.pk])).text
    # a rep forging the field changes nothing: the form has no owner field for her
    login(org.rita).post(
        reverse("account_edit", args=[account.pk]), account_form_data(account, owner=org.tom.pk)
    )
    account.refresh_from_db()
    assert account.owner == org.rita
    response = mona.post(
        reverse("account_edit", args=[account.pk]), account_form_data(account, owner=org.tom.pk)
    )
    assert response.status_code == 302
    assert Account.objects.get(pk=account.pk).owner == org.tom


def test_get_never_changes_state_and_post_needs_csrf(org):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rita)
    account = Account.objects.get(pk=org.account.pk)
    response = client.post(reverse("account_edit", args=[account.pk]), account_form_data(account, name="x"))
    assert response.status_code == 403
    assert Account.objects.get(pk=account.pk).name == "国网江苏电力"


# --- post-redirect-get: a refused form never answers at its POST address -------------------------


def test_a_form_refused_by_its_own_validation_comes_back_filled_in_once(org, login):
    """No service is called (the name is missing): still a 303 to the form, whose GET shows what was
    typed and the field's message with 422; a reload shows the empty form."""
    client = login(org.rita)
    shown = refused_post(
        client,
        reverse("account_create"),
        {
            "name": "",
            "industry": org.industry.pk,
            "region": org.north.pk,
            "size": "large",
            "status": "prospect",
            "buying_power": "7000000",
            "address": "南京市鼓楼区",
            "currency": "CNY",
        },
        status=422,
    )
    form = shown.context["form"]
    assert list(form.errors) == ["name"] and form["address"].value() == "南京市鼓楼区"
    assert 'value="7000000"' in shown.text and 'class="field invalid' in shown.text
    assert not Account.objects.filter(address="南京市鼓楼区").exists()


def test_saving_again_after_a_conflict_is_a_deliberate_overwrite(org, login):
    from kadence.accounts.services import account_update

    stale = Account.objects.get(pk=org.account.pk)
    account_update(org.mona, stale.pk, version=stale.version, name="国网江苏省电力公司")
    client = login(org.rita)
    url = reverse("account_edit", args=[stale.pk])
    shown = refused_post(client, url, account_form_data(stale, name="我的改名"), status=409)
    form = shown.context["form"]
    again = client.post(
        url, {**form.data.dict(), "industry": stale.industry_id}
    )  # the form as shown, sent again
    assert again.status_code == 302
    assert Account.objects.get(pk=stale.pk).name == "我的改名"
