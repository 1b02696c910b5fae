"""Pipeline pages: the opportunity list, the pipeline board, the opportunity forms and the actions of the
opportunity page (the page itself is composed by deal control: kadence.deals.views.overview).

Views parse the request, call a selector or a service (kadence.pipeline.selectors / .services) and
render. Domain errors map once: NotFound → 404, PermissionDenied → 403, anything else (a gate not
met, a stale version, bad input) → post-redirect-get (kadence.core.prg): the failed post and its error
are kept, the answer is a 303 to the page, whose GET shows the form again with the message in place
(an htmx request from the board gets its card back instead). Writes are POST only; htmx sends the
CSRF token from base.html's hx-headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from kadence.core.amounts import money_axis
from kadence.core.errors import DomainError, PermissionDenied, ValidationFailed
from kadence.core.htmx import swap_target, vary_on_htmx
from kadence.core.pagination import page_numbers
from kadence.core.prg import create_page, edit_page, form_post, pop_failed_post, refuse, saved
from kadence.core.requests import PageRequest
from kadence.core.validation import parse_int
from kadence.core.visibility import access_account, visible_opportunities
from kadence.pipeline import selectors, services
from kadence.pipeline.forms import (
    BoardFilterForm,
    CloseLostForm,
    CloseWonForm,
    MoveForm,
    OpportunityFilterForm,
    OpportunityForm,
    ReassignForm,
    ReopenForm,
    TeamAddForm,
    TeamRemoveForm,
)
from kadence.pipeline.models import Opportunity, ProcessTemplate, Stage

PAGE_SIZES = (25, 50, 100)
CARDS_PER_COLUMN = 10


def _page_size(value: str | None) -> int:
    size = parse_int(value)
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


# --- list ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def opportunity_list(request: PageRequest) -> HttpResponse:
    user = request.user
    form = OpportunityFilterForm(user, request.GET)
    filters = form.filters()
    sort = request.GET.get("sort") or selectors.DEFAULT_SORT
    if sort not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    page = selectors.opportunity_list(
        user,
        filters,
        sort=sort,
        page=request.GET.get("page") or 1,
        page_size=_page_size(request.GET.get("size")),
    )
    context = {
        "form": form,
        "page": page,
        "totals": selectors.opportunity_totals(user, filters, page=page),
        "sort": sort,
        "default_sort": selectors.DEFAULT_SORT,
        "page_sizes": PAGE_SIZES,
        "today": timezone.localdate(),
    }
    partial = swap_target(request) == "opp-table"
    context["partial"] = partial
    template = "pipeline/_opportunity_table.html" if partial else "pipeline/opportunity_list.html"
    return vary_on_htmx(render(request, template, context))


# --- board ---------------------------------------------------------------------------------------------


def _column_pages(query: QueryDict) -> dict[int, int]:
    """?col_<stage id>=<page>: the page each column of the board shows (clamped, never an error)."""
    pages = {}
    for key, value in query.items():
        stage_id = parse_int(key.removeprefix("col_")) if key.startswith("col_") else None
        if stage_id is not None:
            pages[stage_id] = page_numbers(value)[0]
    return pages


def _board_context(user, query: QueryDict) -> dict[str, Any]:
    """Everything the board shows for `query` (the board's GET parameters)."""
    form = BoardFilterForm(user, query)
    values = form.values()
    templates = ProcessTemplate.objects.filter(is_active=True).order_by("-is_default", "code")
    template = templates.filter(pk=values["template"]).first() if values.get("template") else None
    template = template or templates.first()
    context: dict[str, Any] = {
        "form": form,
        "query": query,
        "board_query": query.urlencode(),
        "template": template,
    }
    if template is None:
        return {**context, "columns": [], "stages": []}
    filters = selectors.OpportunityFilters(owner_id=values.get("owner"), team_id=values.get("team"))
    template, columns = selectors.pipeline_board(
        user, template, filters, column_pages=_column_pages(query), per_column=CARDS_PER_COLUMN
    )
    for column in columns:
        column.param = f"col_{column.stage.pk}"
        column.target = f"#col-{column.stage.pk}"
        for opp in column.page.items:
            opp.can_edit = selectors.opportunity_permissions(user, opp)["can_edit"]
    stages = list(template.stages.order_by("order"))
    context.update(
        {
            "template": template,
            "columns": columns,
            "stages": stages,
            "board_totals": {
                "count": sum(c.count for c in columns),
                "amount": sum((c.amount for c in columns), 0),
                "weighted": sum((c.weighted for c in columns), 0),
            },
            "chart": {
                "stages": [c.stage.name for c in columns],
                "amount": [float(c.amount) for c in columns],
                "weighted": [float(c.weighted) for c in columns],
                "labels": {"amount": _("Amount"), "weighted": _("Weighted")},
                "yaxis": money_axis([c.amount for c in columns]),  # ticks in the user's unit (万 / 亿)
            },
        }
    )
    return context


@login_required
@require_GET
def pipeline_board(request: PageRequest) -> HttpResponse:
    context = _board_context(request.user, request.GET)
    failed = pop_failed_post(request)
    if failed is not None:  # a refused move, back by post-redirect-get: shown once, with its status
        context["board_error"] = failed.error
    target = swap_target(request)
    if target.startswith("col-"):
        column = next((c for c in context["columns"] if f"col-{c.stage.pk}" == target), None)
        if column is not None:
            return vary_on_htmx(render(request, "pipeline/_board_column.html", {**context, "col": column}))
    if target == "board":
        return vary_on_htmx(render(request, "pipeline/_board.html", context))
    return vary_on_htmx(
        render(request, "pipeline/board.html", context, status=failed.error.status if failed else 200)
    )


def _card(user, opp_id: int) -> Opportunity | None:
    """One board card as the board shows it (fresh from the database, so a retry uses the current
    version), or None when it is not visible."""
    opp = (
        visible_opportunities(user)
        .select_related("account", "owner", "level", "stage")
        .filter(pk=opp_id)
        .first()
    )
    if opp is not None:
        opp.can_edit = selectors.opportunity_permissions(user, opp)["can_edit"]
    return opp


def _move_on_board(
    request: PageRequest, pk: int, error: DomainError | None, moved: Opportunity | None
) -> HttpResponse:
    query = QueryDict(request.POST.get("board_query", ""))
    htmx = bool(getattr(request, "htmx", False))
    if error is None:
        notice = _("%(name)s moved to %(stage)s.") % {"name": moved.name, "stage": moved.stage.name}
        if htmx:
            context = {**_board_context(request.user, query), "notice": notice}
            return render(request, "pipeline/_board.html", context)
        messages.success(request, notice)
        url = reverse("pipeline_board")
        return redirect(f"{url}?{query.urlencode()}" if query else url)
    if htmx:
        card = _card(request.user, pk)
        if card is None:
            response = render(request, "core/_error.html", {"error": error}, status=error.status)
        else:
            stages = list(Stage.objects.filter(template_id=card.template_id).order_by("order"))
            response = render(
                request,
                "pipeline/_opp_card.html",
                {"opp": card, "stages": stages, "board_query": query.urlencode(), "card_error": error},
                status=error.status,
            )
        return reswap(retarget(response, f"#card-{pk}"), "outerHTML")
    url = reverse("pipeline_board")
    return refuse(request, f"{url}?{query.urlencode()}" if query else url, error)


@login_required
@require_POST
def opportunity_move(request: PageRequest, pk: int) -> HttpResponse:
    """Move a card to another stage, from the board (re-rendered on success) or the opportunity page."""
    form = MoveForm(request.POST)
    error: DomainError | None = None
    moved = None
    if not form.is_valid():
        error = ValidationFailed(_("Choose the stage to move to."), dict(form.errors))
    else:
        data = form.cleaned_data
        try:
            moved = services.opportunity_move_stage(
                request.user,
                pk,
                stage_id=data["stage_id"],
                version=data.get("version"),
                reason=data.get("reason") or "",
                override=bool(data.get("override")),
            )
        except DomainError as exc:
            error = exc
    if request.POST.get("origin") == "board":
        return _move_on_board(request, pk, error, moved)
    back = reverse("deal_gates" if request.POST.get("origin") == "gates" else "opportunity_detail", args=[pk])
    if error is None:
        messages.success(request, _("Moved to %(stage)s.") % {"stage": moved.stage.name})
        return redirect(back)
    return refuse(request, back, error)


def submit_versioned(
    request: PageRequest, pk: int, form: Any, save: Callable[[dict], Any], *, done: str, back: str
) -> HttpResponse:
    """The POST of a form that changes the deal as of the version it read (close won or lost, reopen,
    reassign, the deal team): validate, `save(cleaned_data)` through the service, then
    the deal's page with the message `done`. Refused (bad input, a stale version, a gate): the post
    and the error are kept and the answer redirects (303) to `back`, whose GET shows the form again
    (post-redirect-get: a reload never resends). Not found / not allowed: the error page."""

    def done_(_result: Any) -> HttpResponse:
        messages.success(request, done)
        return redirect("opportunity_detail", pk=pk)

    return form_post(request, form, lambda f: save(f.cleaned_data), back=back, done=done_)


def _run_action(request: PageRequest, pk: int, form, run: Callable[[dict], Any], done: str) -> HttpResponse:
    """An action form of the opportunity page: refused, it is shown there again (see submit_versioned)."""
    return submit_versioned(request, pk, form, run, done=done, back=reverse("opportunity_detail", args=[pk]))


@login_required
@require_POST
def opportunity_close_won(request: PageRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        CloseWonForm(request.POST),
        lambda d: services.opportunity_close_won(
            request.user, pk, version=d.get("version"), reason=d.get("reason") or ""
        ),
        _("Closed as won. Congratulations!"),
    )


@login_required
@require_POST
def opportunity_close_lost(request: PageRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        CloseLostForm(request.POST),
        lambda d: services.opportunity_close_lost(
            request.user,
            pk,
            loss_reason_id=d.get("loss_reason"),
            winning_competitor_id=d.get("winning_competitor"),
            version=d.get("version"),
            reason=d.get("reason") or "",
        ),
        _("Closed as lost."),
    )


@login_required
@require_POST
def opportunity_reopen(request: PageRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        ReopenForm(request.POST),
        lambda d: services.opportunity_reopen(
            request.user, pk, version=d.get("version"), reason=d.get("reason") or ""
        ),
        _("Reopened."),
    )


@login_required
@require_POST
def opportunity_reassign(request: PageRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        ReassignForm(request.user, request.POST),
        lambda d: services.opportunity_reassign(
            request.user, pk, owner_id=d["owner"], version=d.get("version"), reason=d.get("reason") or ""
        ),
        _("Reassigned."),
    )


@login_required
@require_POST
def opportunity_team_add(request: PageRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        TeamAddForm(request.user, request.POST),
        lambda d: services.opportunity_team_add(request.user, pk, user_id=d["user"], role_id=d["role"]),
        _("Deal team updated."),
    )


@login_required
@require_POST
def opportunity_team_remove(request: PageRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        TeamRemoveForm(request.POST),
        lambda d: services.opportunity_team_remove(request.user, pk, user_id=d["user"]),
        _("Removed from the deal team."),
    )


# --- create and edit -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create(request: PageRequest) -> HttpResponse:
    """The new-opportunity form (?account= preselects, ?account_q= narrows the account list). A
    refused form comes back here by post-redirect-get, filled in, with the service's messages."""
    user = request.user
    account_q = (request.GET.get("account_q") or "").strip()[:100]

    def preselected(data: QueryDict) -> Any:
        """The account named in `data` when the user may see it (it is then offered whatever the search)."""
        account_id = parse_int(data.get("account"))
        try:
            return access_account(user, account_id) if account_id is not None else None
        except DomainError:
            return None

    from_query = preselected(request.GET)

    def make(data: QueryDict | None, **kwargs: Any) -> OpportunityForm:
        return OpportunityForm(
            user,
            data,
            account_q=account_q,
            preselected_account=from_query if data is None else preselected(data),
            **kwargs,
        )

    def created(opp: Opportunity) -> HttpResponse:
        messages.success(request, _("Opportunity “%(name)s” created.") % {"name": opp.name})
        return redirect("opportunity_detail", pk=opp.pk)

    # Every refusal, an account out of reach included, is the form's to show.
    return create_page(
        request,
        make,
        {"account": from_query.pk if from_query else None, "currency": "CNY"},
        save=lambda form: services.opportunity_create(user, **form.service_kwargs()),
        done=created,
        page=lambda form, status: render(
            request, "pipeline/opportunity_form.html", {"form": form, "account_q": account_q}, status=status
        ),
        error_pages=(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: PageRequest, pk: int) -> HttpResponse:
    """The edit form (kadence.core.prg.edit_page): a refused save comes back here by
    post-redirect-get with the input kept (on a stale version: the values saved meanwhile beside it,
    and the form now based on the current version)."""
    user = request.user
    opp = selectors.opportunity_detail(user, pk)
    if not selectors.opportunity_permissions(user, opp)["can_edit"]:
        raise PermissionDenied(_("You may view this opportunity but not change it."))

    def make(data: QueryDict | None = None, **kwargs: Any) -> OpportunityForm:
        return OpportunityForm(user, data, opportunity=opp, **kwargs)

    return edit_page(
        request,
        make,
        lambda: OpportunityForm.initial_for(opp),
        version=opp.version,
        reload=lambda: selectors.opportunity_detail(user, pk),
        save=lambda form: services.opportunity_update(user, pk, **form.service_kwargs()),
        done=lambda _saved: saved(request, _("Changes saved."), reverse("opportunity_detail", args=[pk])),
        page=lambda form, conflict, status: render(
            request,
            "pipeline/opportunity_form.html",
            {"form": form, "opp": opp, "conflict": conflict},
            status=status,
        ),
    )
