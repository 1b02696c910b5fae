"""Weekly plan pages: the rep's week (plan next week, this week's plan vs actual), a plan's page (items,
submit, comments), the manager's view of the team's plans for a week, and the quick visit log for a
phone. Actions are POST forms sent by htmx (CSRF header from the page): the answer is the plan's
fragment again (4xx with the reason when refused); without JavaScript, a redirect back with a message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kadence.activities.models import Activity
from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.htmx import is_htmx
from kadence.core.prg import ERROR_PAGES
from kadence.core.requests import PageRequest
from kadence.core.validation import clean_search, parse_date_param, parse_int
from kadence.core.visibility import access_activity, access_visit_attachment, can_lead, scope_choices
from kadence.domain import plans as rule
from kadence.rhythm.plans import selectors, services
from kadence.rhythm.plans.models import VisitAttachment

PLAN_KINDS = [(k, label) for k, label in Activity.Kind.choices if k != Activity.Kind.EMAIL]


def _week_param(request: PageRequest) -> Any:
    day = parse_date_param(request.GET.get("week"), "week") or timezone.localdate()
    return rule.week_start(day)


@login_required
@require_GET
def my_plans(request: PageRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    this_week, next_plan = selectors.my_week(user, today)
    context = {
        "section": "rhythm",
        "week": this_week,
        "next_plan": next_plan,
        "next_week_start": this_week.week_start + timedelta(weeks=1),
        "today": today,
        "can_lead": can_lead(user),
    }
    return render(request, "rhythm/plans/my_plans.html", context)


@login_required
@require_POST
def plan_open(request: PageRequest) -> HttpResponse:
    week = parse_date_param(request.POST.get("week_start"), "week_start")
    plan, _created = services.plan_open(request.user, week)
    return redirect("rhythm_plan_detail", plan.pk)


def _plan_context(request: PageRequest, plan_id: int, **extra: Any) -> dict[str, Any]:
    detail = selectors.plan_detail(request.user, plan_id)
    week = detail.week
    days = [week.week_start + timedelta(days=i) for i in range(7)]
    accounts = selectors.log_accounts(detail.plan.owner, limit=200) if detail.can_edit else []
    return {
        "section": "rhythm",
        "detail": detail,
        "plan": detail.plan,
        "week": week,
        "days": days,
        "kinds": PLAN_KINDS,
        "accounts": accounts,
        "today": timezone.localdate(),
        **extra,
    }


@login_required
@require_GET
def plan_detail(request: PageRequest, plan_id: int) -> HttpResponse:
    return render(request, "rhythm/plans/plan_detail.html", _plan_context(request, plan_id))


def _act(request: PageRequest, plan_id: int, action: Any, done_message: str) -> HttpResponse:
    """Run a plan action: the plan's fragment again for htmx (with the reason and a 4xx when refused),
    else a redirect to the plan's page with a message."""
    try:
        result = action()
    except ERROR_PAGES:
        raise
    except DomainError as exc:
        if not is_htmx(request):
            messages.error(request, exc.detail)
            return redirect("rhythm_plan_detail", plan_id)
        errors = getattr(exc, "errors", {})
        context = _plan_context(request, plan_id, error=exc.detail, field_errors=errors, posted=request.POST)
        return render(request, "rhythm/plans/_plan.html", context, status=exc.status)
    message = (
        done_message % {"n": result} if isinstance(result, int) and "%(n)" in done_message else done_message
    )
    if not is_htmx(request):
        messages.success(request, message)
        return redirect("rhythm_plan_detail", plan_id)
    return render(request, "rhythm/plans/_plan.html", _plan_context(request, plan_id, notice=message))


def _item_values(request: PageRequest) -> dict[str, Any]:
    post = request.POST
    values: dict[str, Any] = {}
    if "kind" in post:
        values["kind"] = post.get("kind", "")
    if "day" in post:
        day = parse_date_param(post.get("day"), "day")
        if day is None:
            raise ValidationFailed(
                _("Choose the day of the visit or call."), {"day": [_("This field is required.")]}
            )
        values["day"] = day
    if "account" in post:
        values["account_id"] = parse_int(post.get("account"))
    if "contacts" in post or "account" in post:
        values["contact_ids"] = [i for i in (parse_int(v) for v in post.getlist("contacts")) if i]
    if "opportunity" in post or "account" in post:
        values["opportunity_id"] = parse_int(post.get("opportunity"))
    if "goal" in post:
        values["goal"] = post.get("goal", "")
    return values


@login_required
@require_POST
def item_add(request: PageRequest, plan_id: int) -> HttpResponse:
    return _act(
        request,
        plan_id,
        lambda: services.item_add(
            request.user, plan_id, version=parse_int(request.POST.get("version")), **_item_values(request)
        ),
        _("Added to the plan."),
    )


@login_required
@require_POST
def item_edit(request: PageRequest, plan_id: int, item_id: int) -> HttpResponse:
    return _act(
        request,
        plan_id,
        lambda: services.item_update(
            request.user,
            plan_id,
            item_id,
            version=parse_int(request.POST.get("version")),
            **_item_values(request),
        ),
        _("Plan item saved."),
    )


@login_required
@require_POST
def item_remove(request: PageRequest, plan_id: int, item_id: int) -> HttpResponse:
    return _act(
        request,
        plan_id,
        lambda: services.item_remove(
            request.user, plan_id, item_id, version=parse_int(request.POST.get("version"))
        ),
        _("Removed from the plan."),
    )


@login_required
@require_POST
def plan_submit(request: PageRequest, plan_id: int) -> HttpResponse:
    return _act(
        request,
        plan_id,
        lambda: services.plan_submit(request.user, plan_id, version=parse_int(request.POST.get("version"))),
        _("Plan submitted to your manager."),
    )


@login_required
@require_POST
def plan_copy(request: PageRequest, plan_id: int) -> HttpResponse:
    return _act(
        request,
        plan_id,
        lambda: services.plan_copy_unfinished(
            request.user, plan_id, version=parse_int(request.POST.get("version"))
        ),
        _("%(n)s unfinished items copied from last week."),
    )


@login_required
@require_POST
def plan_comment(request: PageRequest, plan_id: int) -> HttpResponse:
    if request.POST.get("fragment") == "team" and is_htmx(request):
        return _team_comment(request, plan_id)
    return _act(
        request,
        plan_id,
        lambda: services.plan_comment(request.user, plan_id, text=request.POST.get("text", "")),
        _("Comment added."),
    )


def _team_comment(request: PageRequest, plan_id: int) -> HttpResponse:
    """A comment from the team page: the row's comment cell again (with the reason when refused)."""
    status, error = 201, ""
    try:
        services.plan_comment(request.user, plan_id, text=request.POST.get("text", ""))
    except ERROR_PAGES:
        raise
    except DomainError as exc:
        status, error = exc.status, exc.detail
    detail = selectors.plan_detail(request.user, plan_id)
    context = {"plan": detail.plan, "comments": detail.comments, "error": error}
    return render(
        request, "rhythm/plans/_team_comments.html", context, status=200 if status == 201 else status
    )


@login_required
@require_GET
def team_plans(request: PageRequest) -> HttpResponse:
    user = request.user
    week = _week_param(request)
    unit_id = parse_int(request.GET.get("unit"))
    page = selectors.team_week(user, week, unit_id=unit_id, page=request.GET.get("page"))
    context = {
        "section": "rhythm",
        "page": page,
        "week_start": week,
        "week_end": week + timedelta(days=6),
        "previous_week": week - timedelta(weeks=1),
        "next_week": week + timedelta(weeks=1),
        "units": scope_choices(user).units,
        "unit_id": unit_id,
    }
    return render(request, "rhythm/plans/team.html", context)


@login_required
@require_GET
def account_parts(request: PageRequest) -> HttpResponse:
    """The contacts and open deals of an account (htmx: the second step of the item and visit forms; with
    `for=debrief`, the deal select of the debrief form)."""
    account_id = parse_int(request.GET.get("account") or request.GET.get("account_id"))
    if account_id is None:
        return render(request, "rhythm/plans/_account_parts.html", {"account": None})
    account, contacts, deals = selectors.account_context(request.user, account_id)
    # the debrief form asks for the deal only (its field is opportunity_id); the visit forms for both
    template = "rhythm/plans/_account_deals.html" if request.GET.get("for") == "debrief" else None
    return render(
        request,
        template or "rhythm/plans/_account_parts.html",
        {"account": account, "contacts": contacts, "deals": deals},
    )


@login_required
@require_GET
def account_options(request: PageRequest) -> HttpResponse:
    """The account select's options for a search (htmx)."""
    q = clean_search(request.GET.get("q"))[:100]
    accounts = selectors.log_accounts(request.user, q)
    return render(request, "rhythm/plans/_account_options.html", {"accounts": accounts, "q": q})


@login_required
@require_http_methods(["GET", "POST"])
def log_visit(request: PageRequest) -> HttpResponse:
    """Log a visit from a phone in under 30 seconds: account, contacts, deal, result, outcome, next
    step and date, a photo or file. Post-redirect-get to the confirmation."""
    user = request.user
    context: dict[str, Any] = {
        "section": "rhythm",
        "results": Activity.Result.choices,
        "kinds": PLAN_KINDS,
        "today": timezone.localdate(),
        "accept": ",".join(f".{t}" for t in services.allowed_file_types()) + ",image/*",
        "max_mb": round(services.max_file_bytes() / 1024 / 1024, 1),
    }
    if request.method == "POST":
        post = request.POST
        try:
            logged = services.visit_log(
                user,
                account_id=parse_int(post.get("account")),
                contact_ids=[i for i in (parse_int(v) for v in post.getlist("contacts")) if i],
                opportunity_id=parse_int(post.get("opportunity")),
                kind=post.get("kind") or Activity.Kind.VISIT,
                result=post.get("result", ""),
                outcome=post.get("outcome", ""),
                next_step=post.get("next_step", ""),
                next_step_date=parse_date_param(post.get("next_step_date"), "next_step_date"),
                day=parse_date_param(post.get("date"), "date"),
                upload=request.FILES.get("file"),
                start_cadence=post.get("start_cadence") == "on",
            )
        except ERROR_PAGES:
            raise
        except DomainError as exc:
            account_id = parse_int(post.get("account"))
            parts: dict[str, Any] = {}
            if account_id:
                try:
                    account, contacts, deals = selectors.account_context(user, account_id)
                    parts = {"account": account, "contacts": contacts, "deals": deals}
                except DomainError:
                    parts = {}
            context.update(
                visit_date=_date_or_none(post.get("date")) or context["today"],
                next_date=_date_or_none(post.get("next_step_date")),
                error=exc.detail,
                field_errors=getattr(exc, "errors", {}),
                posted=post,
                chosen=[parse_int(v) for v in post.getlist("contacts")],
                accounts=selectors.log_accounts(user),
                **parts,
            )
            return render(request, "rhythm/plans/log_visit.html", context, status=exc.status)
        message = _("Visit logged.")
        if logged.item is not None:
            message = _("Visit logged; it keeps the planned item of %(day)s.") % {
                "day": logged.item.day.isoformat()
            }
        messages.success(request, message)
        return redirect(f"{reverse('rhythm_log_visit')}?logged={logged.activity.pk}")
    logged_id = parse_int(request.GET.get("logged"))
    if logged_id:
        try:
            context["logged"] = access_activity(user, logged_id, related=["account"])
            context["logged_files"] = list(VisitAttachment.objects.filter(activity_id=logged_id))
        except DomainError:
            context["logged"] = None
    context["accounts"] = selectors.log_accounts(user)
    context["visit_date"] = context["today"]
    return render(request, "rhythm/plans/log_visit.html", context)


def _date_or_none(raw: str | None) -> Any:
    """A posted date to show again on a refused form (None when it was not a date)."""
    try:
        return parse_date_param(raw, "date")
    except DomainError:
        return None


@login_required
@require_GET
def visit_attachment(request: PageRequest, attachment_id: int) -> FileResponse:
    attachment = access_visit_attachment(request.user, attachment_id)
    inline = attachment.is_image or attachment.content_type == "application/pdf"
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
