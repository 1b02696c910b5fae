"""The owner filter of the lists offers one's own people (kadence.core.visibility.list_owners): a
seller themselves, a manager or director the people of their units and themselves, an admin everyone;
so a seller's pages do not grow with the size of the company."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from kadence.core.models import User
from kadence.core.visibility import list_owners, scope_unit_ids


@pytest.mark.django_db
def test_list_owners_by_role(org):
    assert list(list_owners(org.rita)) == [org.rita]
    for lead in (org.mona, org.dora):
        units = scope_unit_ids(lead)
        expected = {u.pk for u in User.objects.filter(is_active=True, org_unit_id__in=units)} | {lead.pk}
        assert {u.pk for u in list_owners(lead)} == expected
        assert org.sara.pk not in expected  # another region's seller
    assert list_owners(org.ada).count() == User.objects.filter(is_active=True).count()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account_list", "activity_list", "opportunity_list", "pipeline_board"])
def test_a_sellers_owner_filter_offers_only_themselves(org, name):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.rita)
    page = client.get(reverse(name)).content.decode()
    select = re.search(r'<select name="owner".*?</select>', page, re.S)
    assert select is not None, name
    offered = set(re.findall(r'<option value="(\d+)"', select.group(0)))
    assert offered == {str(org.rita.pk)}
