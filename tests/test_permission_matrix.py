"""The visibility policy as a matrix: role × ownership × action, against rita's opportunity
(rep in team north-1, region north). Every cell is asserted; a change to core.visibility that
widens or narrows access breaks exactly the cells it touches."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kadence.core.errors import NotFound, PermissionDenied
from kadence.pipeline import selectors, services
from kadence.pipeline.models import DealRole, Stage
from tests.versions import opp_version

# persona → (sees it, may change it). sara_team is sara after being put on the deal team.
MATRIX = {
    "rita": (True, True),  # owner
    "tom": (False, False),  # same team, not on the deal
    "nick": (False, False),  # same region, other team
    "sara": (False, False),  # other region
    "sara_team": (True, False),  # deal-team member: reads, does not write
    "mona": (True, True),  # manager of north-1
    "sam": (False, False),  # manager of south-1
    "dora": (True, True),  # director of north
    "sven": (False, False),  # director of south
    "ada": (True, True),  # admin
}


def persona(org, name):
    if name == "sara_team":
        services.opportunity_team_add(
            org.rita, org.opp.pk, user_id=org.sara.pk, role_id=DealRole.objects.get(code="presales").pk
        )
        return org.sara
    return getattr(org, name)


@pytest.mark.parametrize("name", MATRIX)
def test_list(org, name):
    user = persona(org, name)
    ids = {o.pk for o in selectors.opportunity_list(user, page_size=200).items}
    assert (org.opp.pk in ids) is MATRIX[name][0]


@pytest.mark.parametrize("name", MATRIX)
def test_detail(org, name):
    user = persona(org, name)
    if MATRIX[name][0]:
        assert selectors.opportunity_detail(user, org.opp.pk).pk == org.opp.pk
        assert len(selectors.stage_history(user, org.opp.pk)) == 1
    else:
        with pytest.raises(NotFound):
            selectors.opportunity_detail(user, org.opp.pk)
        with pytest.raises(NotFound):
            selectors.stage_history(user, org.opp.pk)


def _expect_write(org, name, action):
    sees, writes = MATRIX[name]
    if writes:
        action()
    else:
        with pytest.raises(PermissionDenied if sees else NotFound):
            action()


@pytest.mark.parametrize("name", MATRIX)
def test_update(org, name):
    user = persona(org, name)
    _expect_write(
        org, name, lambda: services.opportunity_update(user, org.opp.pk, version=1, amount="2000000")
    )


@pytest.mark.parametrize("name", MATRIX)
def test_move_stage(org, name, no_gates):
    user = persona(org, name)
    second = Stage.objects.get(template=org.opp.template, order=2)
    _expect_write(
        org,
        name,
        lambda: services.opportunity_move_stage(
            user, org.opp.pk, stage_id=second.pk, version=opp_version(org.opp.pk)
        ),
    )


@pytest.mark.parametrize("name", MATRIX)
def test_aggregate(org, name):
    """Totals and the board count rita's deal exactly when the persona may see it."""
    user = persona(org, name)
    sees = MATRIX[name][0]
    visible_other = {
        "ada": Decimal("300000"),
        "sven": Decimal("300000"),
        "sam": Decimal("300000"),
        "sara": Decimal("300000"),
        "sara_team": Decimal("300000"),
    }.get(name, Decimal(0))
    expected = visible_other + (Decimal("1200000") if sees else 0)
    assert selectors.opportunity_totals(user)["amount"] == expected
    _template, columns = selectors.pipeline_board(user)
    assert sum(c.count for c in columns) == (1 if sees else 0) + (1 if visible_other else 0)


@pytest.mark.parametrize("name", ["rita", "tom", "mona", "sara_team"])
def test_reassign_needs_manager(org, name):
    user = persona(org, name)
    if name == "mona":
        services.opportunity_reassign(user, org.opp.pk, owner_id=org.tom.pk, version=opp_version(org.opp.pk))
    else:
        with pytest.raises(PermissionDenied if MATRIX[name][0] else NotFound):
            services.opportunity_reassign(
                user, org.opp.pk, owner_id=org.tom.pk, version=opp_version(org.opp.pk)
            )


def test_manager_cannot_hand_a_deal_outside_their_scope(org):
    with pytest.raises(PermissionDenied):
        services.opportunity_reassign(
            org.mona, org.opp.pk, owner_id=org.sara.pk, version=opp_version(org.opp.pk)
        )


# Deal control: who contributes proof, who approves a gate or overrides it (never the owner).
APPROVES = {"rita": False, "sara_team": False, "mona": True, "dora": True, "ada": True}


@pytest.mark.parametrize("name", MATRIX)
def test_contribute_evidence(org, name):
    from kadence.deals.services.gates import evidence_add

    user = persona(org, name)
    if MATRIX[name][0]:
        assert evidence_add(user, org.opp.pk, title="纪要", note="x").added_by == user
    else:
        with pytest.raises(NotFound):
            evidence_add(user, org.opp.pk, title="纪要", note="x")


@pytest.mark.parametrize("name", MATRIX)
def test_approve_a_gate(org, name):
    from kadence.deals.services.gates import gate_approve
    from kadence.pipeline.models import ExitCriterion

    user = persona(org, name)
    review = ExitCriterion.objects.get(stage__template=org.opp.template, code="manager_review")
    if not MATRIX[name][0]:
        with pytest.raises(NotFound):
            gate_approve(user, org.opp.pk, criterion_id=review.pk)
    elif APPROVES[name]:
        assert gate_approve(user, org.opp.pk, criterion_id=review.pk).approved_by == user
    else:
        with pytest.raises(PermissionDenied):
            gate_approve(user, org.opp.pk, criterion_id=review.pk)


@pytest.mark.parametrize("name", MATRIX)
def test_override_a_gate(org, name):
    user = persona(org, name)
    second = Stage.objects.get(template=org.opp.template, order=2)
    if not MATRIX[name][0]:
        with pytest.raises(NotFound):
            services.opportunity_move_stage(
                user,
                org.opp.pk,
                stage_id=second.pk,
                override=True,
                reason="r",
                version=opp_version(org.opp.pk),
            )
    elif APPROVES[name]:
        moved = services.opportunity_move_stage(
            user, org.opp.pk, stage_id=second.pk, override=True, reason="r", version=opp_version(org.opp.pk)
        )
        assert moved.stage_changes.filter(overridden=True).count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.opportunity_move_stage(
                user,
                org.opp.pk,
                stage_id=second.pk,
                override=True,
                reason="r",
                version=opp_version(org.opp.pk),
            )
