"""The stage-gates page of a deal (METHODOLOGY §2): every stage's exit criteria met or not, the
evidence and approvals behind them, forms to attach proof, approve, and advance (with a manager's
override), and the evidence download that checks visibility on every request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.core.errors import DomainError, NotFound
from kadence.core.requests import PageRequest
from kadence.core.visibility import access_evidence
from kadence.deals.forms.gates import ApprovalForm, EvidenceForm, EvidenceRemoveForm
from kadence.deals.selectors.gates import gate_checklist_of, gate_overrides
from kadence.deals.services import gates as services
from kadence.deals.views.common import deal_get, deal_post, period_from_query, render_deal
from kadence.pipeline.forms import MoveForm


def _build(
    request: PageRequest,
    *,
    evidence_form: EvidenceForm | None = None,
    failed_criterion: Any = None,
    move_form: MoveForm | None = None,
):
    def build(opp, perms) -> dict[str, Any]:
        checklist = gate_checklist_of(opp)
        return {
            "checklist": checklist,
            "next_stage": checklist.next_stage,
            "evidence_form": evidence_form,
            "failed_criterion": failed_criterion,
            "move_form": move_form or MoveForm(initial={"version": opp.version}),
        }

    return build


def gates_page(
    request: PageRequest,
    pk: int,
    *,
    error: DomainError | None = None,
    form: Any = None,
    status: int = 200,
    move_form: MoveForm | None = None,
) -> HttpResponse:
    failed = None
    if isinstance(form, EvidenceForm):
        failed = form.data.get("criterion_id") or "free"
    return render_deal(
        request,
        pk,
        "gates",
        "deals/gates.html",
        _build(
            request,
            evidence_form=form if isinstance(form, EvidenceForm) else None,
            failed_criterion=failed,
            move_form=move_form,
        ),
        status=status,
        error=error,
    )


# The forms of this page shown again after a refused post (kadence.deals.views.common.deal_get); the
# advance form posts to the pipeline's move view, which comes back here when it refuses.
FORMS = {
    "deal_evidence_add": lambda data, kwargs: (EvidenceForm(data), {}),
    "opportunity_move": lambda data, kwargs: (None, {"move_form": MoveForm(data)}),
}


@login_required
@require_GET
def deal_gates(request: PageRequest, pk: int) -> HttpResponse:
    return deal_get(request, pk, gates_page, FORMS)


@login_required
@require_POST
def deal_evidence_add(request: PageRequest, pk: int) -> HttpResponse:
    form = EvidenceForm(request.POST, request.FILES)

    def run() -> None:
        data = form.cleaned_data
        services.evidence_add(
            request.user,
            pk,
            title=data["title"],
            criterion_id=data.get("criterion_id"),
            url=data.get("url") or "",
            note=data.get("note") or "",
            upload=data.get("file"),
        )

    return deal_post(request, pk, run=run, done=_("Evidence attached."), redirect_to="deal_gates", form=form)


@login_required
@require_POST
def deal_evidence_remove(request: PageRequest, pk: int, evidence_id: int) -> HttpResponse:
    form = EvidenceRemoveForm(request.POST)

    def run() -> None:
        evidence = access_evidence(request.user, evidence_id)
        if evidence.opportunity_id != pk:
            raise NotFound(_("Evidence not found."))
        services.evidence_remove(request.user, evidence_id, reason=form.cleaned_data.get("reason") or "")

    return deal_post(request, pk, run=run, done=_("Evidence withdrawn."), redirect_to="deal_gates", form=form)


@login_required
@require_POST
def deal_gate_approve(request: PageRequest, pk: int) -> HttpResponse:
    form = ApprovalForm(request.POST)

    def run() -> None:
        services.gate_approve(
            request.user,
            pk,
            criterion_id=form.cleaned_data["criterion_id"],
            note=form.cleaned_data.get("note") or "",
        )

    return deal_post(request, pk, run=run, done=_("Approved."), redirect_to="deal_gates", form=form)


@login_required
@require_POST
def deal_gate_revoke(request: PageRequest, pk: int) -> HttpResponse:
    form = ApprovalForm(request.POST)

    def run() -> None:
        services.gate_approval_revoke(
            request.user,
            pk,
            criterion_id=form.cleaned_data["criterion_id"],
            reason=form.cleaned_data.get("note") or "",
        )

    return deal_post(request, pk, run=run, done=_("Approval revoked."), redirect_to="deal_gates", form=form)


@login_required
@require_GET
def evidence_download(request: PageRequest, evidence_id: int) -> FileResponse:
    """Stream an evidence file to whoever can see its deal (404 otherwise; files are never public)."""
    try:
        evidence = access_evidence(request.user, evidence_id)
        if not evidence.file:
            raise NotFound(_("This evidence has no file."))
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The file is missing from storage; ask an admin.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.file_name or "evidence",
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("opportunities/<int:pk>/gates/", deal_gates, name="deal_gates"),
    path("opportunities/<int:pk>/evidence/", deal_evidence_add, name="deal_evidence_add"),
    path(
        "opportunities/<int:pk>/evidence/<int:evidence_id>/remove/",
        deal_evidence_remove,
        name="deal_evidence_remove",
    ),
    path("opportunities/<int:pk>/approvals/", deal_gate_approve, name="deal_gate_approve"),
    path("opportunities/<int:pk>/approvals/revoke/", deal_gate_revoke, name="deal_gate_revoke"),
    path("evidence/<int:evidence_id>/download/", evidence_download, name="evidence_download"),
]


@login_required
@require_GET
def gate_overrides_report(request: PageRequest) -> HttpResponse:
    """Stage moves made without the evidence, in the user's scope (?from=&to=, default this year)."""
    date_from, date_to, error = period_from_query(request)
    page = gate_overrides(request.user, date_from, date_to, page=request.GET.get("page"))
    return render(
        request,
        "deals/gate_overrides.html",
        {"page": page, "date_from": date_from, "date_to": date_to, "error": error},
        status=error.status if error else 200,
    )


urlpatterns.append(path("reports/gate-overrides/", gate_overrides_report, name="gate_overrides"))
