"""Every page renders in both languages, and lists and the 360° page cost a fixed number of queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kadence.accounts.models import Account, Contact
from kadence.accounts.services import contact_create
from kadence.activities.models import Activity
from kadence.activities.services import activity_create
from kadence.pipeline.services import opportunity_create

pytestmark = pytest.mark.django_db


def page_urls(org) -> list[str]:
    contact = contact_create(org.rita, account_id=org.account.pk, name="钱经理", buying_roles=["coach"])
    activity = activity_create(org.rita, opportunity_id=org.opp.pk, kind="visit", subject="拜访", done=False)
    return [
        reverse("account_list"),
        reverse("account_detail", args=[org.account.pk]),
        reverse("account_create"),
        reverse("account_edit", args=[org.account.pk]),
        reverse("contact_create", args=[org.account.pk]),
        reverse("contact_edit", args=[contact.pk]),
        reverse("activity_list"),
        reverse("activity_create"),
        reverse("activity_create") + f"?opportunity={org.opp.pk}",
        reverse("activity_edit", args=[activity.pk]),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_render_in_both_languages(org, login, language):
    client = login(org.rita, language=language)
    for url in page_urls(org):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.text, url


def test_users_language_preference_wins_over_the_browser(org, login):
    org.rita.language = "en"
    org.rita.save(update_fields=["language"])
    response = login(org.rita, language="zh-hans").get(reverse("account_list"))
    assert '<html lang="en">' in response.text


def add_accounts(org, n: int) -> None:
    Account.objects.bulk_create(
        [
            Account(
                name=f"批量客户{i:03d}",
                industry=org.industry,
                region=org.north,
                owner=org.rita,
                team=org.n1,
                address="南京",
            )
            for i in range(n)
        ]
    )


def count_queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **extra).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("user", ["rita", "mona", "ada"])
def test_account_list_queries_do_not_grow_with_rows(org, login, user, django_assert_max_num_queries):
    client = login(getattr(org, user))
    add_accounts(org, 2)
    few = count_queries(client, reverse("account_list"))
    add_accounts(org, 40)
    with django_assert_max_num_queries(few):
        client.get(reverse("account_list"))
    with django_assert_max_num_queries(few):
        client.get(
            reverse("account_list"),
            {"q": "批量", "sort": "-bp"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="account-results",
        )
    assert few <= 14


def grow_account(org, n: int) -> None:
    for i in range(n):
        contact = contact_create(
            org.rita,
            account_id=org.account.pk,
            name=f"联系人{i}",
            buying_roles=["user", "influencer"],
            attitude="oppose",
            ambitions="晋升",
        )
        opp = opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"项目{i}",
            amount="1000",
            expected_close_date=date.today() + timedelta(days=30 + i),
        )
        activity_create(
            org.rita,
            opportunity_id=opp.pk,
            kind="meeting",
            subject=f"会议{i}",
            contact_ids=[contact.pk],
            done=bool(i % 2),
        )


@pytest.mark.parametrize("user", ["rita", "dora"])
def test_account_360_queries_do_not_grow_with_rows(org, login, user, django_assert_max_num_queries):
    client = login(getattr(org, user))
    url = reverse("account_detail", args=[org.account.pk])
    grow_account(org, 1)
    few = count_queries(client, url)
    grow_account(org, 15)
    assert Contact.objects.filter(account=org.account).count() == 16
    with django_assert_max_num_queries(few):
        page = client.get(url)
    assert "项目14" in page.text and "会议14" in page.text and "联系人14" in page.text
    assert few <= 16


def test_activity_list_queries_do_not_grow_with_rows(org, login, django_assert_max_num_queries):
    client = login(org.rita)
    grow_account(org, 1)
    few = count_queries(client, reverse("activity_list"))
    grow_account(org, 20)
    assert Activity.objects.count() == 21
    with django_assert_max_num_queries(few):
        client.get(reverse("activity_list"))
    assert few <= 16
