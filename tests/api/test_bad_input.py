"""Bad input never answers 500: every POST/PATCH endpoint, fed malformed payloads (wrong types,
unknown ids, negative and huge numbers, invalid enum values, missing fields, bad dates, junk in lists,
bodies that are not JSON), answers 4xx with a JSON body carrying "detail" and "code", and changes
nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from kadence.accounts.models import Contact
from kadence.activities.services import activity_create
from kadence.pipeline.models import DealRole, LossReason, ProcessTemplate, Stage

BIG = 10**30
NOT_JSON = object()


@pytest.fixture
def ctx(world) -> SimpleNamespace:
    """Ids the cases refer to, by name."""
    s = list(Stage.objects.filter(template=world.opp.template).order_by("order"))
    other = ProcessTemplate.objects.exclude(pk=world.opp.template_id).first()
    world.ids = {
        "account": world.account.pk,
        "sara_account": world.sara_account.pk,
        "opp": world.opp.pk,
        "sara_opp": world.sara_opp.pk,
        "industry": world.industry.pk,
        "north": world.north.pk,
        "n1": world.n1.pk,
        "stage1": s[0].pk,
        "stage2": s[1].pk,
        "won_stage": s[-1].pk,
        "other_stage": other.stages.first().pk,
        "other_template": other.pk,
        "tom": world.tom.pk,
        "sara": world.sara.pk,
        "rita": world.rita.pk,
        "presales": DealRole.objects.get(code="presales").pk,
        "pl": world.product_line.pk,
        "loss": LossReason.objects.get(code="price").pk,
        "tom_opp": world.tom_opp.pk,
        "BIG": BIG,
    }
    world.contact = Contact.objects.create(account=world.account, name="李工")
    world.sara_contact = Contact.objects.create(account=world.sara_account, name="王经理")
    world.activity = activity_create(world.rita, account_id=world.account.pk, kind="visit", subject="拜访")
    world.ids.update(contact=world.contact.pk, sara_contact=world.sara_contact.pk, activity=world.activity.pk)
    return world


def fill(value: Any, ids: dict[str, int]) -> Any:
    """Replace "{name}" strings (also inside lists and dicts) by the id of that name."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    return value


ACCOUNT = {"name": "客户", "industry_id": "{industry}", "region_id": "{north}"}
CONTACT = {"account_id": "{account}", "name": "张三"}
OPP = {"account_id": "{account}", "name": "项目", "amount": "1000", "expected_close_date": "2031-01-31"}
ACTIVITY = {"account_id": "{account}", "kind": "visit", "subject": "拜访"}


def acc(**changes: Any) -> dict[str, Any]:
    return {**ACCOUNT, **changes}


def con(**changes: Any) -> dict[str, Any]:
    return {**CONTACT, **changes}


def opp(**changes: Any) -> dict[str, Any]:
    return {**OPP, **changes}


def act(**changes: Any) -> dict[str, Any]:
    return {**ACTIVITY, **changes}


def member(**changes: Any) -> dict[str, Any]:
    return {"user_id": "{tom}", "role_id": "{presales}", **changes}


def v1(**changes: Any) -> dict[str, Any]:
    """A PATCH body based on version 1."""
    return {"version": 1, **changes}


# (case id, persona, "METHOD path under /api/", body, expected status)
# fmt: off
CASES: list[tuple[str, str, str, Any, int]] = [
    # accounts
    ("acc-empty", "rita", "POST accounts", {}, 422),
    ("acc-not-json", "rita", "POST accounts", NOT_JSON, 422),
    ("acc-list-body", "rita", "POST accounts", [acc()], 422),
    ("acc-name-type", "rita", "POST accounts", acc(name=5), 422),
    ("acc-name-blank", "rita", "POST accounts", acc(name="   "), 422),
    ("acc-name-long", "rita", "POST accounts", acc(name="x" * 500), 422),
    ("acc-industry-unknown", "rita", "POST accounts", acc(industry_id=99999999), 422),
    ("acc-industry-huge", "rita", "POST accounts", acc(industry_id=BIG), 422),
    ("acc-industry-str", "rita", "POST accounts", acc(industry_id="power"), 422),
    ("acc-region-is-team", "rita", "POST accounts", acc(region_id="{n1}"), 422),
    ("acc-bp-negative", "rita", "POST accounts", acc(buying_power=-1), 422),
    ("acc-bp-huge", "rita", "POST accounts", acc(buying_power="1e20"), 422),
    ("acc-bp-nan", "rita", "POST accounts", acc(buying_power="NaN"), 422),
    ("acc-bp-inf", "rita", "POST accounts", acc(buying_power="Infinity"), 422),
    ("acc-bp-text", "rita", "POST accounts", acc(buying_power="lots"), 422),
    ("acc-status", "rita", "POST accounts", acc(status="vip"), 422),
    ("acc-size", "rita", "POST accounts", acc(size=3), 422),
    ("acc-currency", "rita", "POST accounts", acc(currency="Y1"), 422),
    ("acc-currency-chinese", "rita", "POST accounts", acc(currency="人民币"), 422),
    ("acc-owner-unknown", "mona", "POST accounts", acc(owner_id=99999999), 422),
    ("acc-owner-out-of-scope", "mona", "POST accounts", acc(owner_id="{sara}"), 403),
    ("acc-name-nul", "rita", "POST accounts", acc(name="国网\x00电力"), 422),
    ("acc-extra-field", "rita", "POST accounts", acc(team_id="{n1}"), 422),
    ("acc-patch-no-version", "rita", "PATCH accounts/{account}", {"name": "x"}, 422),
    ("acc-patch-version-text", "rita", "PATCH accounts/{account}", {"version": "one"}, 422),
    ("acc-patch-version-zero", "rita", "PATCH accounts/{account}", {"version": 0}, 422),
    ("acc-patch-version-huge", "rita", "PATCH accounts/{account}", {"version": BIG}, 422),
    ("acc-patch-stale", "rita", "PATCH accounts/{account}", {"version": 7, "name": "x"}, 409),
    ("acc-patch-null-name", "rita", "PATCH accounts/{account}", v1(name=None), 422),
    ("acc-patch-null-bp", "rita", "PATCH accounts/{account}", v1(buying_power=None), 422),
    ("acc-patch-bp-negative", "rita", "PATCH accounts/{account}", v1(buying_power="-5"), 422),
    ("acc-patch-status", "rita", "PATCH accounts/{account}", v1(status="gone"), 422),
    ("acc-patch-reassign-by-rep", "rita", "PATCH accounts/{account}", v1(owner_id="{tom}"), 403),
    ("acc-patch-invisible", "rita", "PATCH accounts/{sara_account}", v1(name="x"), 404),
    ("acc-patch-missing", "rita", "PATCH accounts/99999999", v1(name="x"), 404),
    ("acc-patch-id-huge", "rita", "PATCH accounts/{BIG}", v1(), 422),
    ("acc-patch-id-text", "rita", "PATCH accounts/abc", v1(), 422),
    # contacts
    ("con-missing-account", "rita", "POST contacts", {"name": "张三"}, 422),
    ("con-missing-name", "rita", "POST contacts", {"account_id": "{account}"}, 422),
    ("con-account-unknown", "rita", "POST contacts", con(account_id=99999999), 404),
    ("con-account-invisible", "rita", "POST contacts", con(account_id="{sara_account}"), 404),
    ("con-email", "rita", "POST contacts", con(email="not-an-email"), 422),
    ("con-email-long", "rita", "POST contacts", con(email="a" * 300 + "@x.cn"), 422),
    ("con-roles-not-list", "rita", "POST contacts", con(buying_roles="coach"), 422),
    ("con-roles-unknown", "rita", "POST contacts", con(buying_roles=["boss"]), 422),
    ("con-roles-types", "rita", "POST contacts", con(buying_roles=[1, None]), 422),
    ("con-attitude", "rita", "POST contacts", con(attitude="love"), 422),
    ("con-roles-nul", "rita", "POST contacts", con(buying_roles=["coach\x00"]), 422),
    ("con-influence", "rita", "POST contacts", con(influence=None), 422),
    ("con-patch-null-email", "rita", "PATCH contacts/{contact}", v1(email=None), 422),
    ("con-patch-bad-email", "rita", "PATCH contacts/{contact}", v1(email="@@"), 422),
    ("con-patch-stale", "rita", "PATCH contacts/{contact}", {"version": 3, "title": "总工"}, 409),
    ("con-patch-invisible", "rita", "PATCH contacts/{sara_contact}", v1(title="x"), 404),
    ("con-patch-account", "rita", "PATCH contacts/{contact}", {"version": 1, "account_id": "{account}"}, 422),
    # opportunities
    ("opp-empty", "rita", "POST opportunities", {}, 422),
    ("opp-not-json", "rita", "POST opportunities", NOT_JSON, 422),
    ("opp-amount-negative", "rita", "POST opportunities", opp(amount=-1), 422),
    ("opp-amount-huge", "rita", "POST opportunities", opp(amount=BIG), 422),
    ("opp-amount-exp", "rita", "POST opportunities", opp(amount="1e999999999"), 422),
    ("opp-amount-float-inf", "rita", "POST opportunities", opp(amount=1e308 * 10), 422),
    ("opp-amount-nan", "rita", "POST opportunities", opp(amount="NaN"), 422),
    ("opp-amount-text", "rita", "POST opportunities", opp(amount="a lot"), 422),
    ("opp-amount-list", "rita", "POST opportunities", opp(amount=[1]), 422),
    ("opp-amount-null", "rita", "POST opportunities", opp(amount=None), 422),
    ("opp-amount-missing", "rita", "POST opportunities", {k: v for k, v in OPP.items() if k != "amount"},
     422),
    ("opp-date-invalid", "rita", "POST opportunities", opp(expected_close_date="2024-13-45"), 422),
    ("opp-date-text", "rita", "POST opportunities", opp(expected_close_date="next spring"), 422),
    ("opp-date-null", "rita", "POST opportunities", opp(expected_close_date=None), 422),
    ("opp-date-year", "rita", "POST opportunities", opp(expected_close_date="99999-01-01"), 422),
    ("opp-name-blank", "rita", "POST opportunities", opp(name=" "), 422),
    ("opp-account-invisible", "rita", "POST opportunities", opp(account_id="{sara_account}"), 404),
    ("opp-account-zero", "rita", "POST opportunities", opp(account_id=0), 422),
    ("opp-template-unknown", "rita", "POST opportunities", opp(template_id=99999999), 422),
    ("opp-stage-other-template", "rita", "POST opportunities", opp(stage_id="{other_stage}"), 422),
    ("opp-stage-won", "rita", "POST opportunities", opp(stage_id="{won_stage}"), 422),
    ("opp-category", "rita", "POST opportunities", opp(forecast_category="maybe"), 422),
    ("opp-currency", "rita", "POST opportunities", opp(currency="RMB1"), 422),
    ("opp-currency-empty", "rita", "POST opportunities", opp(currency=""), 422),
    ("opp-currency-chinese", "rita", "POST opportunities", opp(currency="人民币"), 422),  # letters, not ISO
    ("opp-currency-accented", "rita", "POST opportunities", opp(currency="ÉUR"), 422),
    ("opp-owner-unknown", "mona", "POST opportunities", opp(owner_id=99999999), 422),
    ("opp-owner-out-of-scope", "rita", "POST opportunities", opp(owner_id="{sara}"), 403),
    ("opp-pl-unknown", "rita", "POST opportunities", opp(product_line_ids=[99999999]), 422),
    ("opp-pl-text", "rita", "POST opportunities", opp(product_line_ids=["scada"]), 422),
    ("opp-pl-not-list", "rita", "POST opportunities", opp(product_line_ids="{pl}"), 422),
    ("opp-pl-negative", "rita", "POST opportunities", opp(product_line_ids=[-1]), 422),
    ("opp-pl-huge", "rita", "POST opportunities", opp(product_line_ids=[BIG]), 422),
    ("opp-competitor-unknown", "rita", "POST opportunities", opp(competitor_ids=[99999999]), 422),
    ("opp-next-step-long", "rita", "POST opportunities", opp(next_step="x" * 301), 422),
    ("opp-patch-no-version", "rita", "PATCH opportunities/{opp}", {"amount": "1"}, 422),
    ("opp-patch-stale", "rita", "PATCH opportunities/{opp}", {"version": 2, "amount": "1"}, 409),
    ("opp-patch-amount-negative", "rita", "PATCH opportunities/{opp}", v1(amount="-0.01"), 422),
    ("opp-patch-amount-null", "rita", "PATCH opportunities/{opp}", v1(amount=None), 422),
    ("opp-patch-date-null", "rita", "PATCH opportunities/{opp}", v1(expected_close_date=None), 422),
    ("opp-patch-stage", "rita", "PATCH opportunities/{opp}", {"version": 1, "stage_id": "{stage2}"}, 422),
    ("opp-patch-status", "rita", "PATCH opportunities/{opp}", v1(status="won"), 422),
    ("opp-patch-probability", "rita", "PATCH opportunities/{opp}", v1(probability=90), 422),
    ("opp-patch-pl-unknown", "rita", "PATCH opportunities/{opp}", v1(product_line_ids=[99999999]), 422),
    ("opp-patch-pl-null", "rita", "PATCH opportunities/{opp}", v1(product_line_ids=None), 422),
    ("opp-patch-name-blank", "rita", "PATCH opportunities/{opp}", v1(name=""), 422),
    ("opp-patch-category", "rita", "PATCH opportunities/{opp}", v1(forecast_category=1), 422),
    ("opp-patch-id-zero", "rita", "PATCH opportunities/0", v1(), 422),
    # opportunity actions
    ("move-missing-stage", "rita", "POST opportunities/{opp}/move", {}, 422),
    ("move-unknown-stage", "rita", "POST opportunities/{opp}/move", {"version": 1, "stage_id": 99999999}, 422),
    ("move-other-template", "rita", "POST opportunities/{opp}/move", {"version": 1, "stage_id": "{other_stage}"}, 422),
    ("move-same-stage", "rita", "POST opportunities/{opp}/move", {"version": 1, "stage_id": "{stage1}"}, 422),
    ("move-stage-text", "rita", "POST opportunities/{opp}/move", {"version": 1, "stage_id": "next"}, 422),
    ("move-version-text", "rita", "POST opportunities/{opp}/move", {"stage_id": 1, "version": "x"}, 422),
    ("move-stale", "rita", "POST opportunities/{opp}/move", {"stage_id": "{stage2}", "version": 5}, 409),
    ("move-invisible", "rita", "POST opportunities/{sara_opp}/move", {"version": 1, "stage_id": "{stage2}"}, 404),
    ("won-stale", "rita", "POST opportunities/{opp}/close-won", {"version": 9}, 409),
    ("won-date", "rita", "POST opportunities/{opp}/close-won", {"version": 1, "closed_on": "yesterday"}, 422),
    ("won-not-json", "rita", "POST opportunities/{opp}/close-won", NOT_JSON, 422),
    ("lost-no-reason", "rita", "POST opportunities/{opp}/close-lost", {}, 422),
    ("lost-unknown-reason", "rita", "POST opportunities/{opp}/close-lost", {"version": 1, "loss_reason_id": 99999999}, 422),
    ("lost-reason-text", "rita", "POST opportunities/{opp}/close-lost", {"version": 1, "loss_reason_id": "price"}, 422),
    ("lost-unknown-competitor", "rita", "POST opportunities/{opp}/close-lost",
     {"version": 1, "loss_reason_id": "{loss}", "winning_competitor_id": 99999999}, 422),
    ("reopen-open", "rita", "POST opportunities/{opp}/reopen", {"version": 1, "reason": "why"}, 422),
    ("reopen-no-reason", "rita", "POST opportunities/{opp}/reopen", {}, 422),
    ("reassign-by-rep", "rita", "POST opportunities/{opp}/reassign", {"version": 1, "owner_id": "{tom}"}, 403),
    ("reassign-unknown", "mona", "POST opportunities/{opp}/reassign", {"version": 1, "owner_id": 99999999}, 422),
    ("reassign-same", "mona", "POST opportunities/{opp}/reassign", {"version": 1, "owner_id": "{rita}"}, 422),
    ("reassign-out-of-scope", "mona", "POST opportunities/{opp}/reassign", {"version": 1, "owner_id": "{sara}"}, 403),
    ("reassign-missing", "mona", "POST opportunities/{opp}/reassign", {"reason": "x", "version": 1}, 422),
    # every change of a deal names the version it was based on (422 without it, and nothing changes)
    ("move-no-version", "rita", "POST opportunities/{opp}/move", {"stage_id": "{stage2}"}, 422),
    ("won-no-version", "rita", "POST opportunities/{opp}/close-won", {}, 422),
    ("lost-no-version", "rita", "POST opportunities/{opp}/close-lost", {"loss_reason_id": "{loss}"}, 422),
    ("reopen-no-version", "rita", "POST opportunities/{opp}/reopen", {"reason": "why"}, 422),
    ("reassign-no-version", "mona", "POST opportunities/{opp}/reassign", {"owner_id": "{tom}"}, 422),
    ("patch-no-version", "rita", "PATCH opportunities/{opp}", {"amount": "1"}, 422),
    ("move-version-null", "rita", "POST opportunities/{opp}/move", {"stage_id": "{stage2}", "version": None}, 422),
    ("lost-stale", "rita", "POST opportunities/{opp}/close-lost", {"version": 9, "loss_reason_id": "{loss}"}, 409),
    ("reassign-stale", "mona", "POST opportunities/{opp}/reassign", {"version": 9, "owner_id": "{tom}"}, 409),
    ("team-unknown-user", "rita", "POST opportunities/{opp}/team", member(user_id=99999999), 422),
    ("team-unknown-role", "rita", "POST opportunities/{opp}/team", member(role_id=99999999), 422),
    ("team-missing-role", "rita", "POST opportunities/{opp}/team", {"user_id": "{tom}"}, 422),
    ("team-by-teammate", "tom", "POST opportunities/{opp}/team", member(), 404),
    ("team-remove-nonmember", "rita", "DELETE opportunities/{opp}/team/{tom}", None, 404),
    ("team-remove-huge", "rita", "DELETE opportunities/{opp}/team/{BIG}", None, 422),
    # activities
    ("act-empty", "rita", "POST activities", {}, 422),
    ("act-kind", "rita", "POST activities", act(kind="party"), 422),
    ("act-subject-missing", "rita", "POST activities", {"account_id": "{account}", "kind": "visit"}, 422),
    ("act-no-account-no-opp", "rita", "POST activities", {"kind": "visit", "subject": "x"}, 422),
    ("act-account-unknown", "rita", "POST activities", act(account_id=99999999), 404),
    ("act-opp-invisible", "rita", "POST activities", act(opportunity_id="{sara_opp}"), 404),
    ("act-opp-other-account", "mona", "POST activities", act(opportunity_id="{tom_opp}"), 422),
    ("act-contact-other-account", "rita", "POST activities", act(contact_ids=["{sara_contact}"]), 422),
    ("act-contacts-junk", "rita", "POST activities", act(contact_ids=[{"id": 1}]), 422),
    ("act-date", "rita", "POST activities", act(date="31/12/2030"), 422),
    ("act-next-before", "rita", "POST activities",
     act(date="2030-05-10", next_step_date="2030-05-01"), 422),
    ("act-done-junk", "rita", "POST activities", act(done="maybe"), 422),
    ("act-subject-long", "rita", "POST activities", act(subject="x" * 201), 422),
    ("act-patch-stale", "rita", "PATCH activities/{activity}", {"version": 4, "done": False}, 409),
    ("act-patch-date-null", "rita", "PATCH activities/{activity}", v1(date=None), 422),
    ("act-patch-kind-null", "rita", "PATCH activities/{activity}", v1(kind=None), 422),
    ("act-patch-next-before", "rita", "PATCH activities/{activity}", v1(next_step_date="2000-01-01"), 422),
    ("act-patch-by-other", "tom", "PATCH activities/{activity}", v1(done=False), 404),
    ("act-patch-owner", "rita", "PATCH activities/{activity}", v1(owner_id="{tom}"), 422),
]


@pytest.mark.parametrize(("persona", "request_line", "body", "status"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_a_4xx_with_detail_and_code(api, ctx, persona, request_line, body, status):
    user = getattr(ctx, persona)
    method, path = request_line.split(" ", 1)
    method, path = method.lower(), "/api/" + fill(path, ctx.ids)
    before = _snapshot(ctx)
    if body is NOT_JSON:
        response = api.call(method, path, user, raw="{not json")
    else:
        response = api.call(method, path, user, fill(body, ctx.ids))
    code = api.last.status_code
    assert code == status, (code, response)
    assert isinstance(response, dict) and response["detail"] and response["code"], response
    if code == 422:
        assert response["code"] in {"validation_failed", "same_stage", "closed", "already_open"}
    assert _snapshot(ctx) == before


def _snapshot(ctx) -> tuple:
    """What a refused write must not have changed."""
    from kadence.accounts.models import Account
    from kadence.activities.models import Activity
    from kadence.core.models import AuditEntry
    from kadence.pipeline.models import Opportunity, OpportunityTeamMember, StageChange

    return (
        list(Account.objects.order_by("id").values_list("id", "version", "name", "owner_id")),
        list(Contact.objects.order_by("id").values_list("id", "version", "email")),
        list(Opportunity.objects.order_by("id").values_list("id", "version", "amount", "stage_id", "status",
                                                            "owner_id")),
        list(Activity.objects.order_by("id").values_list("id", "version")),
        StageChange.objects.count(), AuditEntry.objects.count(), OpportunityTeamMember.objects.count(),
    )


@pytest.mark.parametrize("params", [
    {"page": 0}, {"page_size": 100000}, {"page": "x"}, {"owner_id": BIG}, {"owner_id": "rita"},
    {"status": "maybe"}, {"sort": "random()"}, {"close_from": "2024-02-30"}, {"mine": "perhaps"},
    {"forecast_category": "x"}, {"q": "x" * 1000}, {"q": "a\x00b"},
])
def test_bad_list_parameters_are_a_422(api, world, params):
    body = api.get("/api/opportunities", world.rita, expect=422, **params)
    assert body["code"] == "validation_failed" and body["errors"] and body["detail"]
    assert all({"loc", "msg", "type"} <= set(e) for e in body["errors"])


@pytest.mark.parametrize("path", ["/api/opportunities/abc", f"/api/opportunities/{BIG}", "/api/accounts/-3",
                                  "/api/contacts/1.5", "/api/activities/0",
                                  f"/api/opportunities/{BIG}/history"])
def test_bad_ids_in_the_path_are_4xx(api, world, path):
    body = api.get(path, world.rita, expect=None)
    assert api.last.status_code in (404, 422) and body["code"] in ("not_found", "validation_failed")


def test_missing_ids_in_the_path_are_404(api, world):
    for path in ("/api/opportunities/99999999", "/api/accounts/99999999", "/api/contacts/99999999",
                 "/api/activities/99999999", "/api/opportunities/99999999/history"):
        assert api.get(path, world.rita, expect=404)["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/accounts", "/api/contacts", "/api/users", "/api/opportunities"])
def test_nul_in_a_search_is_a_422_on_every_list(api, world, path):
    body = api.get(path, world.rita, expect=422, q="国网\x00")
    assert body["code"] == "validation_failed" and body["errors"][0]["type"] == "nul_character"


def test_a_huge_body_is_a_413(api, world):
    body = api.post("/api/accounts", world.rita, raw='{"name": "' + "x" * 3_000_000 + '"}', expect=413)
    assert body["code"] == "too_large"
