"""The staging flag the deal-control services store (and the lists filter on) is the domain's rule,
kadence.domain.gates.staging, for random stages, evidence, C139 answers and ladders."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kadence.deals.models import ControlPolicy
from kadence.deals.services.assessments import c139_assess
from kadence.deals.services.gates import opportunity_recheck
from kadence.domain import c139 as c139_domain
from kadence.domain.gates import staging
from kadence.domain.ladder import MARKS
from kadence.pipeline.ladder import LadderMisconfigured, level_ladder
from kadence.pipeline.models import ExitCriterion, Opportunity, ProbabilityLevel, Stage

pytestmark = pytest.mark.django_db


def answers(clear: int, first: int, win: str) -> dict[str, dict]:
    result = {f"C{i}": {"status": "confirmed" if i <= clear else "unknown"} for i in range(1, 10)}
    result.update({f"F{i}": {"status": "confirmed" if i <= first else "unknown"} for i in range(1, 4)})
    result["W1"] = {"status": win}
    return result


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stage_index=st.integers(0, 6),
    gates=st.booleans(),  # with the exit criteria on, the evidence verifies less than the stage claims
    clear=st.integers(0, 9),
    first=st.integers(0, 3),
    win=st.sampled_from(["unknown", "confirmed", "negative"]),
    marked=st.lists(st.integers(0, 4), min_size=3, max_size=3, unique=True).map(sorted),
)
def test_the_stored_staging_flag_is_the_domain_staging(org, stage_index, gates, clear, first, win, marked):
    rungs = list(ProbabilityLevel.objects.filter(is_won=False, is_lost=False).order_by("order"))
    ProbabilityLevel.objects.update(mark="")
    for mark, index in zip(MARKS, marked, strict=True):
        ProbabilityLevel.objects.filter(pk=rungs[index].pk).update(mark=mark)
    ExitCriterion.objects.update(is_active=gates)
    stages = list(Stage.objects.filter(template=org.opp.template, is_won=False).order_by("order"))
    Opportunity.objects.filter(pk=org.opp.pk).update(stage=stages[stage_index])
    c139_assess(org.rita, org.opp.pk, answers=answers(clear, first, win))
    opp = Opportunity.objects.select_related("stage__default_level", "level").get(pk=org.opp.pk)
    result = c139_domain.score({item: row["status"] for item, row in answers(clear, first, win).items()})
    rule = c139_domain.parse_score(ControlPolicy.current().c139_rule)
    # Gates on: no stage is proven (stage 1 needs a meeting's minutes), so the deal holds the lowest
    # level and any stage past the first outruns its evidence. Gates off: every stage up to the
    # current one is completed, and the deal holds its stage's default level.
    level = rungs[0] if gates else opp.stage.default_level
    assert opp.level == level
    expected = staging(gates and stage_index > 0, level.order, result, rule, level_ladder())
    assert opp.staging_flag == expected
    assert Opportunity.objects.filter(pk=opp.pk, staging_flag=expected).exists()  # what the lists read


def test_the_gates_stop_on_a_ladder_without_its_marks(org):
    """They used to judge over- and under-staging against the shipped orders (D 4, C 2) silently."""
    ProbabilityLevel.objects.filter(mark="developed").update(mark="")
    with pytest.raises(LadderMisconfigured, match="developed"):
        opportunity_recheck(org.opp.pk)
