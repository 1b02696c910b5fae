"""Contact pages: add and edit a contact with buying roles, attitude, influence and profile."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kadence.accounts.models import Contact
from kadence.accounts.services import contact_create, contact_update
from tests.prg import refused_post

pytestmark = pytest.mark.django_db


def contact_data(**changes) -> dict:
    data = {
        "name": "王总",
        "title": "副总经理",
        "phone": "13800000000",
        "email": "wang@example.cn",
        "buying_roles": ["economic", "decision_maker"],
        "attitude": "support",
        "influence": "high",
        "ambitions": "升任总经理",
        "character": "果断",
        "preferences": "喝茶",
        "strengths": "技术出身",
        "notes": "",
    }
    data.update(changes)
    return data


def test_owner_adds_a_contact_and_the_360_shows_the_profile(org, login):
    client = login(org.rita, "en")
    form = client.get(reverse("contact_create", args=[org.account.pk]))
    assert form.status_code == 200 and 'type="checkbox" name="buying_roles"' in form.text
    response = client.post(reverse("contact_create", args=[org.account.pk]), contact_data())
    assert response.status_code == 302
    contact = Contact.objects.get(account=org.account, name="王总")
    assert contact.buying_roles == ["economic", "decision_maker"]
    assert (contact.attitude, contact.influence, contact.ambitions) == ("support", "high", "升任总经理")

    page = client.get(reverse("account_detail", args=[org.account.pk])).text
    for text in ("王总", "升任总经理", "果断", "喝茶", "技术出身", "ac-att-support", "Economic buyer"):
        assert text in page
    assert reverse("contact_edit", args=[contact.pk]) in page


def test_invalid_email_shows_a_field_error_and_saves_nothing(org, login):
    response = refused_post(
        login(org.rita),
        reverse("contact_create", args=[org.account.pk]),
        contact_data(email="not-an-email"),
        status=422,
    )
    assert 'value="not-an-email"' in response.text and 'value="王总"' in response.text  # the input is kept
    assert not Contact.objects.filter(name="王总").exists()
    field = response.text.split('id="id_email"')[1].split("</div>")[0]
    assert "errorlist" in field


def test_unknown_buying_role_is_refused(org, login):
    response = refused_post(
        login(org.rita),
        reverse("contact_create", args=[org.account.pk]),
        contact_data(buying_roles=["economic", "astrologer"]),
        status=422,
    )
    assert response.context["form"].errors["buying_roles"]
    assert not Contact.objects.exists()


def test_edit_and_stale_edit(org, login):
    contact = contact_create(org.rita, account_id=org.account.pk, name="李工", attitude="neutral")
    client = login(org.rita)
    page = client.get(reverse("contact_edit", args=[contact.pk]))
    assert page.status_code == 200 and 'name="version" value="1"' in page.text
    response = client.post(
        reverse("contact_edit", args=[contact.pk]),
        contact_data(name="李工", attitude="oppose", influence="low", buying_roles=["technical"], version=1),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.attitude, contact.buying_roles, contact.version) == ("oppose", ["technical"], 2)

    contact_update(org.mona, contact.pk, version=2, attitude="support")  # a colleague saves first
    stale = refused_post(
        client,
        reverse("contact_edit", args=[contact.pk]),
        contact_data(name="李工", attitude="neutral", notes="覆盖", version=2),
        status=409,
    )
    assert 'data-code="conflict"' in stale.text and "覆盖" in stale.text
    assert (
        'name="version" value="3"' in stale.text
    )  # rebased: saving again is a choice made with the table shown
    contact.refresh_from_db()
    assert (contact.attitude, contact.version, contact.notes) == ("support", 3, "")


def test_who_may_edit_contacts(on_deal_team, login):
    org = on_deal_team
    contact = contact_create(org.rita, account_id=org.account.pk, name="赵处")
    tom = login(org.tom)  # sees the account through the deal team, may not change its contacts
    page = tom.get(reverse("account_detail", args=[org.account.pk])).text
    assert "赵处" in page and reverse("contact_edit", args=[contact.pk]) not in page
    assert reverse("contact_create", args=[org.account.pk]) not in page
    assert tom.get(reverse("contact_edit", args=[contact.pk])).status_code == 403
    assert tom.post(reverse("contact_create", args=[org.account.pk]), contact_data()).status_code == 403
    assert login(org.nick).get(reverse("contact_edit", args=[contact.pk])).status_code == 404
    assert login(org.sara).get(reverse("contact_create", args=[org.account.pk])).status_code == 404
    assert Contact.objects.count() == 1


def test_a_refused_contact_keeps_where_to_go_next(org, login):
    """The form's page keeps its ?next=: sent again and saved, the contact goes where it was asked to."""
    client = login(org.rita)
    url = reverse("contact_create", args=[org.account.pk]) + "?next=/activities/"
    shown = refused_post(client, url, contact_data(name=""), status=422)
    assert shown.context["form"].errors["name"] and 'value="wang@example.cn"' in shown.text
    saved = client.post(url, contact_data())
    assert saved.status_code == 302 and saved["Location"] == "/activities/"
