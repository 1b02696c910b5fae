"""Creating and editing opportunities: preselected account, service errors next to the fields,
optimistic concurrency (a stale edit is refused and changes nothing)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse

from kadence.core.models import AuditEntry
from kadence.pipeline import services
from kadence.pipeline.models import Competitor, Opportunity, ProductLine
from tests.prg import refused_post

CREATE = "/opportunities/new/"


def edit_url(opp) -> str:
    return reverse("opportunity_edit", args=[opp.pk])


def form_data(**overrides):
    data = {
        "name": "配网自动化二期",
        "amount": "2,500,000",
        "currency": "CNY",
        "expected_close_date": (date.today() + timedelta(days=120)).isoformat(),
        "forecast_category": "",
    }
    data.update(overrides)
    return data


def test_url_names():
    assert reverse("opportunity_create") == CREATE
    assert edit_url(Opportunity(pk=5)) == "/opportunities/5/edit/"


def test_create_with_preselected_account(org, login):
    client = login(org.rita)
    page = client.get(CREATE, {"account": org.account.pk})
    assert page.status_code == 200
    assert page.context["form"]["account"].value() == org.account.pk
    assert org.sara_account.name not in page.content.decode()  # only visible accounts are offered
    line = ProductLine.objects.create(code="dms", name_zh="配网", name_en="Distribution")
    rival = Competitor.objects.create(name="南瑞")
    response = client.post(
        CREATE, form_data(account=org.account.pk, product_lines=[line.pk], competitors=[rival.pk])
    )
    assert response.status_code == 302
    opp = Opportunity.objects.get(name="配网自动化二期")
    assert response.url == reverse("opportunity_detail", args=[opp.pk])
    assert opp.amount == Decimal("2500000.00") and opp.owner == org.rita and opp.account == org.account
    assert list(opp.product_lines.all()) == [line] and list(opp.competitors.all()) == [rival]


def test_account_search_narrows_the_menu(org, login):
    page = login(org.ada).get(CREATE, {"account_q": "广东"})
    choices = [label for value, label in page.context["form"].fields["account"].choices if value]
    assert choices == [org.sara_account.name]


def test_invisible_account_cannot_be_used(org, login):
    response = refused_post(login(org.rita), CREATE, form_data(account=org.sara_account.pk), status=422)
    assert response.context["form"].errors.get("account")
    assert response.context["form"]["name"].value() == "配网自动化二期"  # the input is kept
    assert not Opportunity.objects.filter(name="配网自动化二期").exists()


def test_service_errors_appear_next_to_fields(org, login):
    """The service refuses the amount: 303 back to the form (its address kept), whose GET shows the
    service's message next to the field, once."""
    url = f"{CREATE}?account={org.account.pk}"
    response = refused_post(login(org.rita), url, form_data(account=org.account.pk, amount="-5"), status=422)
    errors = response.context["form"].errors
    assert errors["amount"] == ["Enter zero or more."]  # the service's rule, next to its field
    assert 'class="field invalid' in response.content.decode()


def test_manager_opens_a_deal_for_a_rep(org, login):
    client = login(org.mona)
    page = client.get(CREATE)
    owners = dict(page.context["form"].fields["owner"].choices)
    assert org.rita.pk in owners and org.sara.pk not in owners
    response = client.post(CREATE, form_data(account=org.account.pk, owner=org.tom.pk))
    assert response.status_code == 302
    assert Opportunity.objects.get(name="配网自动化二期").owner == org.tom


def test_edit_saves_and_audits(org, login):
    client = login(org.rita)
    page = client.get(edit_url(org.opp))
    assert page.status_code == 200 and 'name="version" value="1"' in page.content.decode()
    data = form_data(
        name=org.opp.name, amount="1,350,000", forecast_category="best_case", version=1, reason="客户扩容"
    )
    response = client.post(edit_url(org.opp), data)
    assert response.status_code == 302
    opp = Opportunity.objects.get(pk=org.opp.pk)
    assert (opp.amount, opp.forecast_category, opp.version) == (Decimal("1350000.00"), "best_case", 2)
    entry = AuditEntry.objects.get(entity_id=opp.pk, field="amount")
    assert (entry.old_value, entry.new_value, entry.reason) == ("1200000", "1350000", "客户扩容")


def test_stale_edit_is_a_conflict_and_changes_nothing(org, login):
    services.opportunity_update(org.mona, org.opp.pk, version=1, amount="1400000")
    client = login(org.rita)
    data = form_data(name="被覆盖的名字", amount="999", forecast_category="commit", version=1)
    response = client.post(edit_url(org.opp), data, follow=True)
    assert response.redirect_chain == [
        (edit_url(org.opp), 303)
    ]  # post-redirect-get: a reload resends nothing
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-testid="conflict"' in body and "1,400,000" in body
    opp = Opportunity.objects.get(pk=org.opp.pk)
    assert (opp.name, opp.amount, opp.version) == ("变电站自动化改造", Decimal("1400000.00"), 2)
    assert response.context["form"]["name"].value() == "被覆盖的名字"  # the user's input is kept to copy from
    assert (
        response.context["form"]["version"].value() == "2"
    )  # saving again is a choice made with the conflict shown
    assert client.get(edit_url(org.opp)).context["conflict"] is None  # shown once


def test_edit_validation_error(org, login):
    response = login(org.rita).post(
        edit_url(org.opp), form_data(name="  ", version=1, forecast_category="commit"), follow=True
    )
    assert response.status_code == 422 and response.context["form"].errors.get("name")
    assert Opportunity.objects.get(pk=org.opp.pk).version == 1


def test_read_only_member_cannot_edit(org, login):
    from kadence.pipeline.models import DealRole

    services.opportunity_team_add(
        org.rita, org.opp.pk, user_id=org.tom.pk, role_id=DealRole.objects.first().pk
    )
    client = login(org.tom)
    assert client.get(edit_url(org.opp)).status_code == 403
    assert client.post(edit_url(org.opp), form_data(version=1, forecast_category="commit")).status_code == 403
    assert Opportunity.objects.get(pk=org.opp.pk).version == 1
