"""Targets (issue 4 item 3): who may set and see which target, period normalisation, optimistic
concurrency, the audit trail, the target of a report scope, and the API and pages, for named personas."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.core.visibility import Scope, resolve_scope
from kadence.planning.models import Target
from kadence.planning.selectors.targets import target_for, target_list
from kadence.planning.services.targets import target_create, target_delete, target_update
from tests.prg import refused_post

Q2 = date(2025, 4, 1)


def make(org, actor="ada", **kwargs):
    values = {"period_kind": "quarter", "period_start": date(2025, 5, 17), "amount": "1000000"}
    values.update(kwargs)
    return target_create(getattr(org, actor), **values)


# --- service: rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, day, start",
    [
        ("month", date(2025, 2, 28), date(2025, 2, 1)),
        ("quarter", date(2025, 5, 17), date(2025, 4, 1)),
        ("quarter", date(2025, 12, 31), date(2025, 10, 1)),
        ("year", date(2025, 7, 4), date(2025, 1, 1)),
    ],
)
def test_period_start_is_normalised(org, kind, day, start):
    target = make(org, unit_id=org.company.pk, period_kind=kind, period_start=day)
    assert (target.period_kind, target.period_start) == (kind, start)


@pytest.mark.parametrize(
    "actor, scope, allowed",
    [
        ("rita", ("user_id", "rita"), False),  # nobody sets their own target; a rep sets none
        ("rita", ("unit_id", "n1"), False),
        ("tom", ("user_id", "rita"), False),
        ("mona", ("unit_id", "n1"), True),
        ("mona", ("user_id", "rita"), True),
        ("mona", ("user_id", "tom"), True),
        ("mona", ("unit_id", "n2"), False),
        ("mona", ("user_id", "nick"), False),
        ("mona", ("unit_id", "north"), False),
        ("mona", ("user_id", "sara"), False),
        ("dora", ("unit_id", "north"), True),
        ("dora", ("unit_id", "n2"), True),
        ("dora", ("user_id", "nick"), True),
        ("dora", ("unit_id", "south"), False),
        ("dora", ("unit_id", "company"), False),
        ("dora", ("user_id", "sara"), False),
        ("sven", ("unit_id", "n1"), False),
        ("ada", ("unit_id", "company"), True),
        ("ada", ("user_id", "sara"), True),
    ],
)
def test_who_may_set_a_target(org, actor, scope, allowed):
    field, name = scope
    kwargs = {field: getattr(org, name).pk}
    if allowed:
        assert make(org, actor, **kwargs).amount == D(1000000)
    else:
        with pytest.raises(PermissionDenied):
            make(org, actor, **kwargs)
        assert not Target.objects.exists()


def test_input_rules(org):
    with pytest.raises(ValidationFailed):
        make(org, unit_id=org.n1.pk, amount="-1")
    with pytest.raises(ValidationFailed):
        make(org, unit_id=org.n1.pk, user_id=org.rita.pk)
    with pytest.raises(ValidationFailed):
        make(org)
    with pytest.raises(ValidationFailed):
        make(org, unit_id=org.n1.pk, period_kind="week")
    with pytest.raises(ValidationFailed):
        make(org, unit_id=org.n1.pk, currency="C1Y")
    with pytest.raises(ValidationFailed):
        make(org, user_id=org.mona.pk)  # personal targets are for sellers
    with pytest.raises(ValidationFailed):
        make(org, unit_id=999999)
    assert make(org, unit_id=org.n1.pk, amount="0").amount == 0


def test_one_target_per_scope_and_period(org):
    first = make(org, unit_id=org.n1.pk)
    with pytest.raises(Conflict) as caught:
        make(org, unit_id=org.n1.pk, period_start=date(2025, 6, 30))
    assert caught.value.code == "duplicate" and caught.value.extra["existing_id"] == first.pk
    make(org, unit_id=org.n1.pk, period_kind="month", period_start=date(2025, 5, 1))  # another period kind
    make(org, user_id=org.rita.pk)  # another scope


def test_update_with_version_stale_edit_is_a_conflict_and_audited(org):
    target = make(org, "mona", user_id=org.rita.pk)
    updated = target_update(org.mona, target.pk, version=1, amount="1200000", period_start=date(2025, 8, 2))
    assert (updated.amount, updated.version, updated.period_start) == (D(1200000), 2, date(2025, 7, 1))
    with pytest.raises(Conflict) as caught:
        target_update(org.mona, target.pk, version=1, amount="5")
    assert caught.value.extra["current_version"] == 2
    assert Target.objects.get(pk=target.pk).amount == D(1200000)
    entries = AuditEntry.objects.filter(entity="planning.target", entity_id=target.pk)
    assert {(e.field, e.old_value, e.new_value) for e in entries if e.old_value} == {
        ("amount", "1000000", "1200000"),
        ("period_start", "2025-04-01", "2025-07-01"),
    }
    assert entries.filter(field="user", new_value=str(org.rita.pk), actor=org.mona).exists()
    with pytest.raises(PermissionDenied):
        target_update(org.rita, target.pk, version=2, amount="1")  # rita sees her target but may not set it
    with pytest.raises(NotFound):
        target_update(org.sven, target.pk, version=2, amount="1")
    with pytest.raises(ValidationFailed):
        target_update(org.mona, target.pk, version=2, user_id=org.tom.pk)


def test_moving_onto_an_existing_period_is_a_duplicate(org):
    make(org, unit_id=org.n1.pk)
    other = make(org, unit_id=org.n1.pk, period_start=date(2025, 8, 1))
    with pytest.raises(Conflict) as caught:
        target_update(org.ada, other.pk, version=1, period_start=date(2025, 4, 9))
    assert caught.value.code == "duplicate"


def test_delete_checks_version_and_audits(org):
    target = make(org, "dora", user_id=org.nick.pk)
    with pytest.raises(Conflict):
        target_delete(org.dora, target.pk, version=7)
    with pytest.raises(PermissionDenied):
        target_delete(org.nick, target.pk, version=1)  # nick sees his target but may not remove it
    with pytest.raises(NotFound):
        target_delete(org.mona, target.pk, version=1)  # north-2 is not mona's
    with pytest.raises(ValidationFailed) as missing:
        target_delete(org.dora, target.pk, version=None)  # a delete names the version it was based on
    assert missing.value.code == "version_required"
    target_delete(org.dora, target.pk, version=1)
    assert not Target.objects.exists()
    assert AuditEntry.objects.filter(
        entity="planning.target", entity_id=target.pk, field="amount", old_value="1000000", new_value=""
    ).exists()


# --- selectors ---------------------------------------------------------------------------------------------


def test_who_sees_which_targets(org, django_assert_max_num_queries):
    ids = {
        "company": make(org, unit_id=org.company.pk).pk,
        "north": make(org, unit_id=org.north.pk).pk,
        "n1": make(org, unit_id=org.n1.pk).pk,
        "n2": make(org, unit_id=org.n2.pk).pk,
        "south": make(org, unit_id=org.south.pk).pk,
        "rita": make(org, user_id=org.rita.pk).pk,
        "tom": make(org, user_id=org.tom.pk).pk,
        "nick": make(org, user_id=org.nick.pk).pk,
        "sara": make(org, user_id=org.sara.pk).pk,
    }

    def seen(user):
        with django_assert_max_num_queries(4):
            page = target_list(user, period_kind="quarter", period_start=date(2025, 6, 1))
            names = {k for k, v in ids.items() if v in {t.pk for t in page.items}}
            [str(t.unit or t.user) for t in page.items]
        return names

    assert seen(org.rita) == {"rita"}
    assert seen(org.mona) == {"n1", "rita", "tom"}
    assert seen(org.dora) == {"north", "n1", "n2", "rita", "tom", "nick"}
    assert seen(org.sven) == {"south", "sara"}
    assert seen(org.ada) == set(ids)
    assert target_list(org.ada, period_kind="quarter", period_start=date(2025, 7, 1)).count == 0
    assert target_list(org.ada, period_kind="month").count == 0


def test_target_for_a_scope(org):
    assert target_for(resolve_scope(org.rita), "quarter", Q2) is None
    make(org, user_id=org.rita.pk, amount="100")
    make(org, unit_id=org.n1.pk, amount="1000")
    assert target_for(resolve_scope(org.rita), "quarter", date(2025, 6, 30)) == D(100)
    assert target_for(resolve_scope(org.mona, owner_id=org.rita.pk), "quarter", Q2) == D(100)
    assert target_for(resolve_scope(org.mona), "quarter", Q2) == D(1000)  # mona manages north-1
    assert target_for(resolve_scope(org.dora, unit_id=org.n1.pk), "quarter", Q2) == D(1000)
    assert (
        target_for(resolve_scope(org.dora), "quarter", Q2) is None
    )  # north has none (not made up from teams)
    make(org, unit_id=org.north.pk, amount="5000")
    assert target_for(resolve_scope(org.dora), "quarter", Q2) == D(5000)
    assert target_for(resolve_scope(org.ada), "quarter", Q2) is None
    make(org, unit_id=org.company.pk, amount="9000")
    assert target_for(resolve_scope(org.ada), "quarter", Q2) == D(9000)
    assert target_for(resolve_scope(org.ada), "year", Q2) is None
    # a manager of two teams: the sum when each has a target, None while one is missing
    org.mona.managed_units.add(org.n2)
    two = Scope(unit_ids=frozenset({org.n1.pk, org.n2.pk}))
    assert target_for(two, "quarter", Q2) is None
    make(org, unit_id=org.n2.pk, amount="500")
    assert target_for(two, "quarter", Q2) == D(1500)


# --- API ---------------------------------------------------------------------------------------------------


def test_api_crud_shapes_and_errors(client, org, token_for):
    mona, rita = token_for(org.mona), token_for(org.rita)
    payload = {
        "user_id": org.rita.pk,
        "period_kind": "quarter",
        "period_start": "2025-05-17",
        "amount": "800000",
    }
    assert client.post("/api/targets", payload, content_type="application/json", **rita).status_code == 403
    response = client.post("/api/targets", payload, content_type="application/json", **mona)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["period_start"] == "2025-04-01" and body["period_end"] == "2025-06-30"
    assert body["period_label"] == "2025-Q2" and body["amount"] == "800000.00" and body["version"] == 1
    assert (
        body["user"] == {"id": org.rita.pk, "name": "Rita"}
        and body["unit"] is None
        and body["can_edit"] is True
    )
    tid = body["id"]
    duplicate = client.post("/api/targets", payload, content_type="application/json", **mona)
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate"
    assert duplicate.json()["existing_id"] == tid
    bad = client.post("/api/targets", {**payload, "amount": "-1"}, content_type="application/json", **mona)
    assert bad.status_code == 422
    listed = client.get(
        "/api/targets", {"period_kind": "quarter", "period_start": "2025-06-01"}, **rita
    ).json()
    assert [t["id"] for t in listed["items"]] == [tid] and listed["items"][0]["can_edit"] is False
    patched = client.patch(
        f"/api/targets/{tid}", {"version": 1, "amount": "900000"}, content_type="application/json", **mona
    )
    assert (
        patched.status_code == 200
        and patched.json()["version"] == 2
        and patched.json()["amount"] == "900000.00"
    )
    stale = client.patch(
        f"/api/targets/{tid}", {"version": 1, "amount": "1"}, content_type="application/json", **mona
    )
    assert (
        stale.status_code == 409
        and stale.json()["code"] == "conflict"
        and stale.json()["current_version"] == 2
    )
    assert (
        client.patch(
            f"/api/targets/{tid}", {"version": 2, "amount": None}, content_type="application/json", **mona
        ).status_code
        == 422
    )
    assert (
        client.patch(
            f"/api/targets/{tid}", {"version": 2, "amount": "1"}, content_type="application/json", **rita
        ).status_code
        == 403
    )
    sven = token_for(org.sven)
    assert client.get(f"/api/targets/{tid}", **sven).status_code == 404
    assert client.delete(f"/api/targets/{tid}?version=2", **sven).status_code == 404
    assert client.delete(f"/api/targets/{tid}", **mona).status_code == 422  # the version is required
    assert client.delete(f"/api/targets/{tid}?version=1", **mona).status_code == 409
    assert client.delete(f"/api/targets/{tid}?version=2", **mona).status_code == 204
    assert client.get(f"/api/targets/{tid}", **mona).status_code == 404


# --- pages -------------------------------------------------------------------------------------------------


def test_pages_list_set_edit_delete(client, org, django_assert_max_num_queries):
    make(org, "sven", unit_id=org.s1.pk)
    client.force_login(org.mona)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("targets"))
    assert page.status_code == 200 and 'data-testid="target-form"' in page.content.decode()
    choices = dict(page.context["form"].fields["scope"].choices)
    assert {v for group in choices.values() for v, _label in group} == {
        f"unit:{org.n1.pk}",
        f"user:{org.rita.pk}",
        f"user:{org.tom.pk}",
    }
    response = client.post(
        reverse("targets"),
        {
            "scope": f"user:{org.rita.pk}",
            "period_kind": "month",
            "period_start": "2025-03-15",
            "amount": "50000",
            "currency": "CNY",
        },
    )
    assert response.status_code == 302
    target = Target.objects.get(user=org.rita)
    assert target.period_start == date(2025, 3, 1)
    refused = refused_post(
        client,
        reverse("targets"),
        {
            "scope": f"user:{org.nick.pk}",
            "period_kind": "month",
            "period_start": "2025-03-15",
            "amount": "1",
            "currency": "CNY",
            "note": "多写的",
        },
        status=422,
    )
    form = refused.context["form"]  # not a choice the form offers: shown again by post-redirect-get
    assert form.errors["scope"] and form["note"].value() == "多写的"
    edit = reverse("target_edit", args=[target.pk])
    assert client.get(edit).status_code == 200
    stale = refused_post(
        client,
        edit,
        {
            "period_kind": "month",
            "period_start": "2025-03-01",
            "amount": "1",
            "currency": "CNY",
            "version": "5",
        },
        status=409,
    )
    assert 'data-code="conflict"' in stale.content.decode() and stale.context["form"]["amount"].value() == "1"
    assert (
        client.post(
            edit,
            {
                "period_kind": "month",
                "period_start": "2025-03-01",
                "amount": "60000",
                "currency": "CNY",
                "version": "1",
            },
        ).status_code
        == 302
    )
    assert Target.objects.get(pk=target.pk).amount == D(60000)
    assert client.post(reverse("target_delete", args=[target.pk]), {"version": "2"}).status_code == 302
    assert not Target.objects.filter(pk=target.pk).exists()


def test_a_target_the_service_refuses_comes_back_on_the_page(client, org):
    """A second target for the same scope and period (a 409 from the service, not the form): 303 to the
    targets page, whose GET shows the message and the form as it was typed, once."""
    make(org, "mona", user_id=org.rita.pk, period_kind="month", period_start=date(2025, 3, 1))
    client.force_login(org.mona)
    shown = refused_post(
        client,
        reverse("targets"),
        {
            "scope": f"user:{org.rita.pk}",
            "period_kind": "month",
            "period_start": "2025-03-20",
            "amount": "77777",
            "currency": "CNY",
        },
        status=409,
    )
    assert 'data-code="duplicate"' in shown.content.decode()
    assert shown.context["form"]["amount"].value() == "77777"
    assert Target.objects.filter(user=org.rita).count() == 1


def test_pages_for_a_rep_and_another_region(client, org):
    theirs = make(org, "sven", unit_id=org.s1.pk)
    mine = make(org, "mona", user_id=org.rita.pk)
    client.force_login(org.rita)
    page = client.get(reverse("targets"))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="target-form"' not in html
    assert f'data-testid="target-{mine.pk}"' in html and f'data-testid="target-{theirs.pk}"' not in html
    assert f'data-testid="target-edit-{mine.pk}"' not in html
    assert client.get(reverse("target_edit", args=[mine.pk])).status_code == 403
    assert client.get(reverse("target_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("target_delete", args=[mine.pk]), {"version": mine.version}).status_code == 403
    client.force_login(org.dora)
    assert client.get(reverse("target_edit", args=[theirs.pk])).status_code == 404
    refused_post(
        client,
        reverse("targets"),
        {
            "scope": f"unit:{org.s1.pk}",
            "period_kind": "year",
            "period_start": "2025-01-01",
            "amount": "1",
            "currency": "CNY",
        },
        status=422,
    )


def test_admin_keeps_one_forecast_policy_and_lists_targets(client, org):
    from kadence.planning.models import ForecastPolicy

    make(org, unit_id=org.n1.pk)
    client.force_login(org.ada)
    assert client.get("/admin/planning/forecastpolicy/add/").status_code == 200
    ForecastPolicy.current()
    assert client.get("/admin/planning/forecastpolicy/add/").status_code == 403
    assert client.get("/admin/planning/forecastpolicy/1/change/").status_code == 200
    assert client.get("/admin/planning/forecastpolicy/1/delete/").status_code == 403
    assert client.get("/admin/planning/target/").status_code == 200
    target = Target.objects.get()
    response = client.post(
        f"/admin/planning/target/{target.pk}/change/",
        {
            "unit": org.n1.pk,
            "user": "",
            "period_kind": "year",
            "period_start": "2025-05-17",
            "amount": "7",
            "currency": "CNY",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert (target.period_start, target.amount, target.version) == (date(2025, 1, 1), D(7), 2)
    assert AuditEntry.objects.filter(
        entity="planning.target", entity_id=target.pk, field="amount", new_value="7", reason="admin"
    ).exists()
