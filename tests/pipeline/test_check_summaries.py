"""`kadence check_summaries`: recompute the summaries in memory and report the keys that drifted."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from kadence.pipeline.models import LossReason, PipelineTotal, StageFlow, WonTotal
from kadence.pipeline.services import opportunity_close_lost, opportunity_update
from kadence.pipeline.summary import drift
from tests.versions import opp_version

pytestmark = pytest.mark.django_db


def test_exact_summaries_report_no_drift(org):
    opportunity_close_lost(
        org.rita, org.opp.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(org.opp.pk)
    )
    out = StringIO()
    call_command("check_summaries", stdout=out)
    assert "no drift" in out.getvalue()
    assert drift() == []


def test_a_whole_amount_weighs_alike_kept_and_recomputed(org):
    """The services add amount × p ÷ 100 exactly; the recomputation used to divide integers on SQLite
    (155 × 10 ÷ 100 gave 15, not 15.5) and reported drift where there was none."""
    opportunity_update(org.rita, org.opp.pk, amount="155", version=opp_version(org.opp.pk))
    assert PipelineTotal.objects.get(owner=org.rita).weighted == Decimal("15.5")
    assert drift() == []


def test_drift_is_listed_by_key_and_fails_the_command(org):
    PipelineTotal.objects.filter(owner=org.rita).update(
        count=F("count") + 1
    )  # a write behind the services' back
    StageFlow.objects.filter(owner=org.sara).delete()
    WonTotal.objects.create(
        owner=org.tom,
        team=org.n1,
        closed_month=org.opp.expected_close_date.replace(day=1),
        count=1,
        amount=5,
        weighted=5,
    )
    found = drift()
    assert sorted({d.model for d in found}) == ["PipelineTotal", "StageFlow", "WonTotal"]
    row = next(d for d in found if d.model == "PipelineTotal")
    assert row.stored["count"] == row.expected["count"] + 1 and row.key[0] == org.rita.pk
    flow = next(d for d in found if d.model == "StageFlow")
    assert flow.stored is None and flow.expected["count"] == 1
    out = StringIO()
    with pytest.raises(CommandError, match="3 keys differ"):
        call_command("check_summaries", stdout=out)
    assert "PipelineTotal (" in out.getvalue() and "expected None" in out.getvalue()


def test_a_row_left_at_zero_is_no_drift(org):
    """A deal leaving a key leaves its row at zero (the services never delete rows): that is exact."""
    PipelineTotal.objects.create(
        owner=org.tom,
        team=org.n1,
        stage=org.opp.stage,
        level=org.opp.level,
        forecast_category="pipeline",
        close_month=org.opp.expected_close_date.replace(day=1),
    )
    assert drift() == []
