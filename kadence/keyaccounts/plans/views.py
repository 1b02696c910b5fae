"""Pages of the account plans (issue 15 §8).

- /key-accounts/plans/ — the plans of the accounts you see (?status=, ?mine=1, ?account_id=), paginated;
  ?format=xlsx|csv;
- /key-accounts/plans/new/?account_id= — write a plan for an account you may write;
- /key-accounts/plans/<id>/ — the plan's five steps; ?format=xlsx|csv exports the whole plan;
- /key-accounts/plans/<id>/print/ — the whole plan for printing (no navigation);
- POSTs: …/edit/ (steps 2 and 3), …/status/, …/quarters/<qid>/, …/actions/ (htmx), …/actions/<aid>/
  (htmx), …/actions/<aid>/activities/ (htmx). An htmx POST answers the actions' fragment (with the
  refusal and its 4xx); a plain POST redirects to the plan with a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kadence.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from kadence.core.export import Column, export_response, report_format, report_response
from kadence.core.htmx import is_htmx
from kadence.core.models import User
from kadence.core.pagination import paginate
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_date_param
from kadence.core.visibility import (
    access_account,
    access_account_plan,
    can_configure_account_plans,
    can_update_plan_action,
    can_write_account_plan,
)
from kadence.domain.kam import plans as rules
from kadence.keyaccounts.plans import selectors, services
from kadence.keyaccounts.plans.models import AccountPlan, PlanAction, PlanPolicy

ERROR_PAGES = (NotFound, PermissionDenied)


# an action's state in the export, in the reader's language (an open action not due soon: its status)
STATE_LABELS = {
    rules.OVERDUE: gettext_lazy("Overdue"),
    rules.DUE_SOON: gettext_lazy("Due soon"),
}


def _statuses() -> list[tuple[str, str]]:
    return [(str(k), str(label)) for k, label in AccountPlan.Status.choices]


# --- the list ---------------------------------------------------------------------------------------


@login_required
@require_GET
def plan_list(request: PageRequest) -> HttpResponseBase:
    status = request.GET.get("status") or ""
    if status not in ("", *AccountPlan.Status.values):
        raise ValidationFailed(_("Unknown status."), {"status": [_("Choose draft, active or closed.")]})
    mine = request.GET.get("mine") == "1"
    account_id = id_param(request.GET.get("account_id"))
    qs = selectors.plan_list(request.user, status=status, account_id=account_id, mine=mine)
    fmt = report_format(request)
    if fmt:
        columns = [
            Column(_("Plan"), "title"),
            Column(_("Account"), "account__name"),
            Column(_("Owner"), "owner__display_name"),
            Column(pgettext("date range", "From"), "period_start", "date"),
            Column(pgettext("date range", "To"), "period_end", "date"),
            Column(_("Status"), lambda r: str(AccountPlan.Status(r["status"]).label)),
            Column(_("Target revenue"), "target_revenue", "money"),
            Column(_("Actions"), "n_actions", "int"),
            Column(_("Done"), "n_done", "int"),
        ]
        rows = qs.values(
            "title",
            "account__name",
            "owner__display_name",
            "period_start",
            "period_end",
            "status",
            "target_revenue",
            "n_actions",
            "n_done",
        ).iterator()
        return export_response(fmt, "account-plans", _("Account plans"), columns, rows)
    page = paginate(qs, request.GET.get("page"), request.GET.get("page_size") or 25)
    context = {
        "section": "keyaccounts",
        "page": page,
        "plans": page.items,
        "status": status,
        "mine": mine,
        "statuses": _statuses(),
        "settings": PlanPolicy.current() if can_configure_account_plans(request.user) else None,
        "limits": services.POLICY_LIMITS,
    }
    return render(request, "keyaccounts/plans/list.html", context)


@login_required
@require_POST
def plan_settings(request: PageRequest) -> HttpResponse:
    """An admin changes the account plans' settings (the card under the plan list)."""
    values: dict[str, Any] = {k: request.POST.get(k) for k in services.POLICY_LIMITS if k in request.POST}
    try:
        services.policy_update(request.user, version=_version(request), **values)
    except ERROR_PAGES:
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Account plan settings saved."))
    return redirect("kam_plan_list")


# --- a new plan -------------------------------------------------------------------------------------


def _owner_choices(plan_or_account: Any, user: User) -> list[User]:
    """Who the owner selects offer: the account's owner, the signed-in user, the people of the
    account's team (the service checks that the one chosen sees the account)."""
    account = getattr(plan_or_account, "account", plan_or_account)
    people = (
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=[account.owner_id, user.pk]) | Q(org_unit_id=account.team_id))
        .order_by("display_name", "username")
    )
    return list(people[:200])


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: PageRequest) -> HttpResponse:
    account_id = id_param(request.GET.get("account_id") or request.POST.get("account_id"))
    if account_id is None:
        raise NotFound(_("Account not found."))
    account = access_account(request.user, account_id, for_write=True)
    year = timezone.localdate().year
    posted: dict[str, Any] = {"period_start": f"{year}-01-01", "period_end": f"{year}-12-31", "title": ""}
    error = None
    status = 200
    if request.method == "POST":
        posted = request.POST
        try:
            plan = services.plan_create(
                request.user,
                account_id=account.pk,
                title=posted.get("title", ""),
                period_start=parse_date_param(posted.get("period_start"), "period_start"),
                period_end=parse_date_param(posted.get("period_end"), "period_end"),
                owner_id=id_param(posted.get("owner_id")),
                objectives=posted.get("objectives", ""),
            )
        except ERROR_PAGES:
            raise
        except DomainError as exc:
            error, status = exc, exc.status
        else:
            messages.success(request, _("Account plan created."))
            return redirect("kam_plan_detail", plan.pk)
    context = {
        "section": "keyaccounts",
        "account": account,
        "posted": posted,
        "error": error,
        "owners": _owner_choices(account, request.user),
    }
    return render(request, "keyaccounts/plans/new.html", context, status=status)


# --- a plan -----------------------------------------------------------------------------------------


def _plan_context(request: PageRequest, plan_id: int, **extra: Any) -> dict[str, Any]:
    plan = access_account_plan(request.user, plan_id, related=("owner", "account__owner"))
    today = timezone.localdate()
    policy = PlanPolicy.current()
    facts, from_snapshot = selectors.plan_facts(plan, today)
    review = selectors.plan_review(plan, today)
    stored = {q.key: q for q in plan.quarters.all()}
    quarters = [(r, stored[r.quarter.key]) for r in review.quarters]
    rows = selectors.action_rows(plan, today, policy.due_soon_days)
    writable = can_write_account_plan(request.user, plan)
    return {
        "section": "keyaccounts",
        "plan": plan,
        "facts": facts,
        "from_snapshot": from_snapshot,
        "review": review,
        "quarters": quarters,
        "rows": rows,
        "updatable": {r.action.pk for r in rows if can_update_plan_action(request.user, plan, r.action)},
        "can_write": writable,
        "open": plan.status != AccountPlan.Status.CLOSED,
        "owners": _owner_choices(plan, request.user) if writable else [],
        "deals": list(selectors.account_deals(request.user, plan).only("pk", "name")[:100]),
        "activities": list(
            selectors.attachable_activities(request.user, plan).only("pk", "date", "subject")[:50]
        ),
        "action_statuses": [(str(k), str(label)) for k, label in PlanAction.Status.choices],
        "figure": selectors.review_figure(
            review, {"expected": _("Expected revenue"), "actual": _("Won revenue")}
        ),
        "policy": policy,
        "today": today,
        **extra,
    }


def plan_export(context: dict[str, Any], fmt: str) -> HttpResponse:
    plan: AccountPlan = context["plan"]
    facts = context["facts"]
    summary = [
        [_("Account"), plan.account.name],
        [_("Plan"), plan.title],
        [_("Period"), f"{plan.period_start.isoformat()} – {plan.period_end.isoformat()}"],
        [_("Owner"), plan.owner.label],
        [_("Status"), plan.get_status_display()],
        [_("Annual buying power (BP)"), facts.get("buying_power")],
        [_("Our revenue this period"), facts.get("revenue")],
        [_("Our revenue last period"), facts.get("revenue_last")],
        [_("Share of wallet (SOW)"), facts.get("sow")],
        [_("RAD"), facts.get("rad") or ""],
        [_("Target revenue"), plan.target_revenue],
        *[
            [str(getattr(AccountPlan._meta.get_field(f), "verbose_name", f)), getattr(plan, f)]
            for f in services.LONG_TEXT
        ],
    ]
    quarters = [
        [r.quarter.label, r.expected, r.actual, r.attainment, r.actions_due, r.actions_done, q.review_note]
        for r, q in context["quarters"]
    ]
    actions = [
        [
            row.action.title,
            row.action.owner.label,
            row.action.due_on,
            row.action.get_status_display(),
            str(STATE_LABELS.get(row.state, row.action.get_status_display())),
            row.action.opportunity.name if row.action.opportunity else "",
            len(row.action.activities.all()),
        ]
        for row in context["rows"]
    ]
    deals = [
        [d["name"], d["stage"], d["level"], d["amount"], d["close"], d["owner"]]
        for d in facts.get("open_deals", [])
    ]
    return report_response(
        fmt,
        f"account-plan-{plan.pk}",
        [
            (_("Plan"), [_("Item"), _("Value")], summary),
            (
                _("Plan vs actual"),
                [
                    _("Quarter"),
                    Column(_("Expected revenue"), kind="money"),
                    Column(_("Won revenue"), kind="money"),
                    Column(_("Attainment"), kind="rate"),
                    Column(_("Actions due"), kind="int"),
                    Column(_("Actions done"), kind="int"),
                    _("Review note"),
                ],
                quarters,
            ),
            (
                _("Actions"),
                [
                    _("Action"),
                    _("Owner"),
                    Column(_("Due"), kind="date"),
                    _("Status"),
                    _("State"),
                    _("Deal"),
                    Column(_("Activities"), kind="int"),
                ],
                actions,
            ),
            (
                _("Open deals"),
                [
                    _("Deal"),
                    _("Stage"),
                    _("Level"),
                    Column(_("Amount"), kind="money"),
                    _("Expected close"),
                    _("Owner"),
                ],
                deals,
            ),
        ],
    )


@login_required
@require_GET
def plan_detail(request: PageRequest, plan_id: int) -> HttpResponse:
    context = _plan_context(request, plan_id)
    fmt = report_format(request)
    if fmt:
        return plan_export(context, fmt)
    return render(request, "keyaccounts/plans/detail.html", context)


@login_required
@require_GET
def plan_print(request: PageRequest, plan_id: int) -> HttpResponse:
    return render(request, "keyaccounts/plans/print.html", _plan_context(request, plan_id))


def _run(request: PageRequest, plan_id: int, run: Callable[[], Any], done: str) -> HttpResponse:
    """Run a write: for htmx the actions' fragment again (with the refusal and its 4xx), else back to
    the plan's page with a message."""
    try:
        run()
    except ERROR_PAGES:
        raise
    except DomainError as exc:
        if not is_htmx(request):
            messages.error(request, exc.detail)
            return redirect("kam_plan_detail", plan_id)
        context = _plan_context(request, plan_id, error=exc.detail, field_errors=getattr(exc, "errors", {}))
        return render(request, "keyaccounts/plans/_actions.html", context, status=exc.status)
    if not is_htmx(request):
        messages.success(request, done)
        return redirect("kam_plan_detail", plan_id)
    return render(request, "keyaccounts/plans/_actions.html", _plan_context(request, plan_id, notice=done))


def _version(request: PageRequest) -> Any:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _long_fields(request: PageRequest) -> dict[str, Any]:
    return {f: request.POST[f] for f in (*services.LONG_TEXT, "title") if f in request.POST}


@login_required
@require_POST
def plan_edit(request: PageRequest, plan_id: int) -> HttpResponse:
    values: dict[str, Any] = _long_fields(request)
    if "target_revenue" in request.POST:
        values["target_revenue"] = request.POST["target_revenue"].strip() or None
    if "owner_id" in request.POST:
        values["owner_id"] = id_param(request.POST["owner_id"])
    for key in ("period_start", "period_end"):
        if request.POST.get(key):
            values[key] = parse_date_param(request.POST[key], key)
    return _run(
        request,
        plan_id,
        lambda: services.plan_update(request.user, plan_id, version=_version(request), **values),
        _("Plan saved."),
    )


@login_required
@require_POST
def plan_status(request: PageRequest, plan_id: int) -> HttpResponse:
    status = request.POST.get("status", "")
    return _run(
        request,
        plan_id,
        lambda: services.plan_set_status(request.user, plan_id, version=_version(request), status=status),
        _("Plan status changed."),
    )


@login_required
@require_POST
def quarter_save(request: PageRequest, plan_id: int, quarter_id: int) -> HttpResponse:
    expected = request.POST.get("expected_revenue")
    note = request.POST.get("review_note")
    return _run(
        request,
        plan_id,
        lambda: services.quarter_update(
            request.user,
            plan_id,
            quarter_id,
            version=_version(request),
            expected_revenue=expected.strip() if expected is not None else None,
            review_note=note,
        ),
        _("Quarter saved."),
    )


@login_required
@require_POST
def action_add(request: PageRequest, plan_id: int) -> HttpResponse:
    post = request.POST
    return _run(
        request,
        plan_id,
        lambda: services.action_create(
            request.user,
            plan_id,
            title=post.get("title", ""),
            owner_id=id_param(post.get("owner_id")) or 0,
            due_on=parse_date_param(post.get("due_on"), "due_on"),
            opportunity_id=id_param(post.get("opportunity_id")),
            note=post.get("note", ""),
        ),
        _("Action added."),
    )


@login_required
@require_POST
def action_edit(request: PageRequest, plan_id: int, action_id: int) -> HttpResponse:
    post = request.POST
    values: dict[str, Any] = {}
    for key in ("title", "status", "note"):
        if key in post:
            values[key] = post[key]
    if "owner_id" in post:
        values["owner_id"] = id_param(post["owner_id"]) or 0
    if "due_on" in post:
        values["due_on"] = parse_date_param(post["due_on"], "due_on")
    if "opportunity_id" in post:
        values["opportunity_id"] = id_param(post["opportunity_id"])
    return _run(
        request,
        plan_id,
        lambda: services.action_update(request.user, plan_id, action_id, version=_version(request), **values),
        _("Action saved."),
    )


@login_required
@require_POST
def action_attach(request: PageRequest, plan_id: int, action_id: int) -> HttpResponse:
    activity_id = id_param(request.POST.get("activity_id"))

    def run() -> Any:
        if activity_id is None:
            raise ValidationFailed(_("Choose an activity."), {"activity_id": [_("This field is required.")]})
        return services.action_attach_activity(
            request.user,
            plan_id,
            action_id,
            activity_id=activity_id,
            version=_version(request),
            detach=request.POST.get("detach") == "1",
        )

    return _run(request, plan_id, run, _("Activity attached."))
