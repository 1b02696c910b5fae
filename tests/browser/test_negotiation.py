"""Issue 14's "done when" for 三上三下, in Chromium: a director proposes the year's targets of her two
teams, the two managers answer with the bottom-up figures Kadence shows them (one finds the round in the
approval inbox), the director adjusts, the gap closes in round 2, she approves, and the approved grid is
the quota behind V值 on a rep's home page."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.utils import timezone

from kadence.core.models import User
from kadence.domain.periods import period_containing
from kadence.performance.grid import services as grid_services
from kadence.performance.grid.models import TargetGrid
from kadence.performance.negotiation.models import Negotiation, NegotiationFigure
from kadence.performance.position.selectors import seller_position
from kadence.pipeline.services import opportunity_create
from kadence.planning.models import PeriodKind, Target
from tests.browser.test_layout import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _submit(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_a_negotiation_closes_in_round_2_and_drives_v_on_the_reps_home(page, live_server, org):
    today = timezone.localdate()
    quarter_end = period_containing("quarter", today).end
    nina = User.objects.create_user(
        username="nina", password="pw-nina", role=User.Role.MANAGER, org_unit=org.n2, display_name="Nina"
    )
    nina.managed_units.set([org.n2])
    # this quarter's pipeline of the two teams: what their bottom-up figures are built from
    opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="配网自动化",
        amount="600000",
        expected_close_date=quarter_end,
    )
    opportunity_create(
        org.dora,
        account_id=org.account.pk,
        name="智能电表",
        amount="400000",
        expected_close_date=quarter_end,
        owner_id=org.nick.pk,
    )
    grid = grid_services.grid_create(org.dora, root_id=org.north.pk, year=today.year, measure="revenue")

    # round 1: the director proposes
    sign_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/performance/negotiation/?grid_id={grid.pk}")
    page.fill("[data-testid=propose-north-1]", "3000000")
    page.fill("[data-testid=propose-north-2]", "2000000")
    _submit(page, "[data-testid=negotiation-open-submit]")
    n = Negotiation.objects.get()
    page.wait_for_selector("[data-testid=negotiation-chart] .main-svg")

    def bottom_up(unit):
        return NegotiationFigure.objects.get(negotiation=n, party__unit=unit, round=n.round).bottom_up

    # the managers answer with the bottom-up figure (the form starts from it); mona finds it in her inbox
    for username, unit in (("mona", org.n1), ("nina", org.n2)):
        page.context.clear_cookies()
        sign_in(page, live_server, username)
        if username == "mona":
            page.goto(f"{live_server.url}/rhythm/inbox/")
            _submit(page, "#inbox-targets [data-testid=inbox-negotiation]")
        else:
            page.goto(f"{live_server.url}/performance/negotiation/{n.pk}/")
        form = f"[data-testid=answer-{unit.code}]"
        shown = page.input_value(f"{form} [data-testid=committed-input]")
        assert D(shown) == bottom_up(unit) > 0
        _submit(page, f"{form} [data-testid=answer-submit]")
    n.refresh_from_db()
    assert (n.round, n.status) == (1, Negotiation.Status.ADJUSTING)
    committed = {
        u.code: NegotiationFigure.objects.get(negotiation=n, party__unit=u, round=1).committed
        for u in (org.n1, org.n2)
    }
    assert committed == {"north-1": bottom_up(org.n1), "north-2": bottom_up(org.n2)}

    # round 2: the director adjusts to 2 % above what each team committed
    page.context.clear_cookies()
    sign_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/performance/negotiation/{n.pk}/")
    adjusted = {
        code: (amount * D("1.02")).quantize(D("0.01"), ROUND_HALF_UP) for code, amount in committed.items()
    }
    for code, amount in adjusted.items():
        page.fill(f"[data-testid=adjust-{code}]", str(amount))
    _submit(page, "[data-testid=adjust-submit]")
    n.refresh_from_db()
    assert (n.round, n.status) == (2, Negotiation.Status.ANSWERING)

    for username, unit in (("mona", org.n1), ("nina", org.n2)):
        page.context.clear_cookies()
        sign_in(page, live_server, username)
        page.goto(f"{live_server.url}/performance/negotiation/{n.pk}/")
        _submit(page, f"[data-testid=answer-{unit.code}] [data-testid=answer-submit]")
    n.refresh_from_db()
    assert (n.round, n.status, n.outcome) == (2, Negotiation.Status.SETTLED, "agreed")  # gaps ≈ 2 % ≤ 5 %

    # the director approves: the grid becomes the target of record
    page.context.clear_cookies()
    sign_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/performance/negotiation/{n.pk}/")
    assert page.get_attribute("[data-testid=negotiation-status]", "data-outcome") == "agreed"
    _submit(page, "[data-testid=close-submit]")
    n.refresh_from_db()
    grid.refresh_from_db()
    assert n.status == Negotiation.Status.CLOSED and grid.status == TargetGrid.Status.APPROVED
    team = Target.objects.get(unit=org.n1, period_kind=PeriodKind.YEAR, period_start=date(today.year, 1, 1))
    assert team.amount == committed["north-1"]

    # V值 on the rep's home page now stands on the approved quota
    page.context.clear_cookies()
    sign_in(page, live_server, "rita")
    page.wait_for_selector("[data-testid=home-position]")
    position = seller_position(org.rita).position
    quarter = period_containing("quarter", today)
    quota = Target.objects.get(
        user=org.rita, period_kind=PeriodKind.QUARTER, period_start=quarter.start
    ).amount
    assert position.quota == quota > 0
    assert page.get_attribute("[data-testid=position-card]", "data-status") != "no_quota"
    assert page.inner_text("[data-testid=position-v]").strip() == str(position.v)
