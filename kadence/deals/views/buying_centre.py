"""Deal-control page: the buying centre as a map (METHODOLOGY §4). Influence rows × attitude columns,
one card per contact with roles and last contact, the coverage of the required roles, the red flags,
and the forms to add, edit and remove members (plain POSTs through kadence.deals.services)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kadence.accounts.models import Contact
from kadence.core.prg import rebase
from kadence.core.requests import PageRequest
from kadence.deals.forms.buying_centre import MemberAddForm, MemberEditForm
from kadence.deals.selectors import buying_centre as selectors
from kadence.deals.services import buying_centre as services
from kadence.deals.views.common import FormMaker, deal_get, deal_post, render_deal
from kadence.pipeline.models import Opportunity

TEMPLATE = "deals/buying_centre.html"
INFLUENCE_LABELS = dict(Contact.Influence.choices)
ATTITUDE_LABELS = dict(Contact.Attitude.choices)


FORMS: dict[str, FormMaker] = {
    "deal_buying_centre_add": lambda data, kwargs: (MemberAddForm(data), {}),
    "deal_buying_centre_edit": lambda data, kwargs: (
        MemberEditForm(data, prefix=f"m{kwargs['member_id']}"),
        {},
    ),
}


@login_required
def buying_centre_view(request: PageRequest, pk: int) -> HttpResponse:
    return deal_get(request, pk, buying_centre_page, FORMS)


def buying_centre_page(
    request: PageRequest, pk: int, *, error: Any = None, form: Any = None, status: int = 200
) -> HttpResponse:
    def build(opp: Opportunity, perms: dict[str, bool]) -> dict[str, Any]:
        view = selectors.buying_centre_of(opp, timezone.localdate())
        for row in view.members:
            failed = isinstance(form, MemberEditForm) and form.prefix == f"m{row.member.pk}"
            row.edit_form = (  # type: ignore[attr-defined]
                rebase(form, row.member.version) if failed else MemberEditForm.for_member(row.member)
            )
            row.edit_open = failed  # type: ignore[attr-defined]
        add_form = form if isinstance(form, MemberAddForm) else MemberAddForm()
        candidates = list(selectors.buying_centre_candidates(request.user, opp))
        add_form.offer(candidates)
        grid = [
            {
                "code": influence,
                "label": INFLUENCE_LABELS[influence],
                "cells": [
                    {"attitude": attitude, "label": ATTITUDE_LABELS[attitude], "rows": rows}
                    for attitude, rows in cells
                ],
            }
            for influence, cells in view.grid()
        ]
        return {
            "bc": view,
            "grid": grid,
            "attitudes": list(ATTITUDE_LABELS.items()),
            "add_form": add_form,
            "candidates": candidates,
        }

    return render_deal(request, pk, "buying_centre", TEMPLATE, build, status=status, error=error)


@login_required
@require_POST
def member_add(request: PageRequest, pk: int) -> HttpResponse:
    form = MemberAddForm(request.POST)
    return deal_post(
        request,
        pk,
        run=lambda: services.buying_centre_add(request.user, pk, **form.service_values()),
        done=_("Added to the buying centre."),
        redirect_to="deal_buying_centre",
        form=form,
    )


@login_required
@require_POST
def member_edit(request: PageRequest, pk: int, member_id: int) -> HttpResponse:
    form = MemberEditForm(request.POST, prefix=f"m{member_id}")
    return deal_post(
        request,
        pk,
        run=lambda: services.buying_centre_update(
            request.user, pk, member_id, version=form.cleaned_data["version"], **form.service_values()
        ),
        done=_("Buying centre updated."),
        redirect_to="deal_buying_centre",
        form=form,
    )


@login_required
@require_POST
def member_remove(request: PageRequest, pk: int, member_id: int) -> HttpResponse:
    return deal_post(
        request,
        pk,
        run=lambda: services.buying_centre_remove(request.user, pk, member_id),
        done=_("Removed from the buying centre."),
        redirect_to="deal_buying_centre",
    )


urlpatterns = [
    path("opportunities/<int:pk>/buying-centre/", buying_centre_view, name="deal_buying_centre"),
    path("opportunities/<int:pk>/buying-centre/add/", member_add, name="deal_buying_centre_add"),
    path(
        "opportunities/<int:pk>/buying-centre/<int:member_id>/edit/",
        member_edit,
        name="deal_buying_centre_edit",
    ),
    path(
        "opportunities/<int:pk>/buying-centre/<int:member_id>/remove/",
        member_remove,
        name="deal_buying_centre_remove",
    ),
]
