"""KPI scoring from Kadence's data (issue 14 §4): the figures of a card, the manual inputs, the
definitions' versions, reproducibility from the stored inputs, who may score, the nightly job."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.jobs import jobs
from kadence.core.models import AuditEntry
from kadence.performance.kpi import selectors, services
from kadence.performance.kpi.models import KpiDefinition, KpiDefinitionVersion, Scorecard
from tests.performance.kpi_world import IN_MONTH, MONTH, build

pytestmark = pytest.mark.django_db


def _lines(card):
    return {line.code: line for line in card.lines.all()}


def test_a_card_is_scored_from_kadence_data(org):
    build(org)
    services.kpi_input_set(
        org.mona,
        seller_id=org.rita.pk,
        definition_id=org.satisfaction.pk,
        period="month",
        day=IN_MONTH,
        value="90",
    )
    assert services.scorecards_compute(org.mona, period="month", day=IN_MONTH) == 2  # rita and tom
    card = Scorecard.objects.get(user=org.rita, period_kind="month", period_start=MONTH)
    lines = _lines(card)
    assert (lines["revenue"].actual, lines["revenue"].score) == (D("90.00"), D("90.00"))
    assert lines["revenue"].inputs == {"won": "90000.00", "target": "100000.00"}
    assert (lines["growth"].actual, lines["growth"].score) == (D("50.00"), D("100.00"))
    assert (lines["expense-ratio"].actual, lines["expense-ratio"].score) == (D("5.00"), D("100.00"))
    # forecast 100,000 vs 90,000 won: accuracy 88.89; against 90 with a floor at 50 %: 97.53
    assert (lines["forecast-accuracy"].actual, lines["forecast-accuracy"].score) == (D("88.89"), D("97.53"))
    assert (lines["satisfaction"].actual, lines["satisfaction"].score) == (D("90.00"), D("100.00"))
    assert lines["gate-compliance"].score is None  # no stage advance in October
    assert card.total is not None and card.grade
    assert card.computed_by == org.mona and card.version == 1
    tom = Scorecard.objects.get(user=org.tom, period_kind="month", period_start=MONTH)
    assert _lines(tom)["revenue"].score is None  # no target: not scored


def test_a_recomputation_from_the_stored_inputs_is_exact(org):
    build(org)
    services.scorecards_compute(org.ada, period="quarter", day=IN_MONTH)
    services.scorecards_compute(org.ada, period="month", day=IN_MONTH)
    for card in Scorecard.objects.all():
        again = selectors.scorecard_rescore(card)
        lines = list(card.lines.order_by("sort_order", "id"))
        assert again.total == card.total and again.grade == card.grade
        assert list(again.scores) == [line.score for line in lines]
        assert list(again.points) == [line.points for line in lines]


def test_an_edited_kpi_is_versioned_and_old_cards_keep_their_figures(org):
    build(org)
    services.scorecards_compute(org.mona, period="month", day=IN_MONTH)
    revenue = KpiDefinition.objects.get(role="rep", code="revenue")
    with pytest.raises(PermissionDenied):
        services.kpi_definition_update(org.mona, revenue.pk, version=1, target="80")
    services.kpi_definition_update(org.ada, revenue.pk, version=1, target="80")
    with pytest.raises(Conflict):
        services.kpi_definition_update(org.ada, revenue.pk, version=1, target="70")
    assert list(
        KpiDefinitionVersion.objects.filter(definition=revenue).values_list("version", flat=True)
    ) == [1, 2]
    card = Scorecard.objects.get(user=org.rita, period_start=MONTH, period_kind="month")
    line = _lines(card)["revenue"]
    assert (line.target, line.definition_version) == (D("100.00"), 1)
    services.scorecards_compute(org.mona, period="month", day=IN_MONTH)
    card.refresh_from_db()
    line = _lines(card)["revenue"]
    assert (line.target, line.definition_version, line.score, card.version) == (D("80.00"), 2, D(100), 2)


def test_manual_inputs_are_a_managers_audited_and_versioned(org):
    build(org)
    kw = {"definition_id": org.satisfaction.pk, "period": "month", "day": IN_MONTH}
    with pytest.raises(PermissionDenied):
        services.kpi_input_set(org.rita, seller_id=org.rita.pk, value="100", **kw)
    with pytest.raises(NotFound):
        services.kpi_input_set(org.mona, seller_id=org.sara.pk, value="100", **kw)  # not hers
    row = services.kpi_input_set(org.mona, seller_id=org.rita.pk, value="70", **kw)
    with pytest.raises(Conflict):
        services.kpi_input_set(org.mona, seller_id=org.rita.pk, value="75", **kw)  # no version
    row = services.kpi_input_set(org.mona, seller_id=org.rita.pk, value="75", version=1, **kw)
    assert (row.value, row.version) == (D("75.00"), 2)
    assert (
        AuditEntry.objects.filter(
            entity="performance.kpimanualinput", entity_id=row.pk, field="value"
        ).count()
        == 2
    )
    revenue = KpiDefinition.objects.get(role="rep", code="revenue")
    with pytest.raises(ValidationFailed):
        services.kpi_input_set(
            org.mona, seller_id=org.rita.pk, value="1", **{**kw, "definition_id": revenue.pk}
        )


def test_who_scores_and_the_scope(org):
    build(org)
    with pytest.raises(PermissionDenied):
        services.scorecards_compute(org.rita, period="month", day=IN_MONTH)
    with pytest.raises(ValidationFailed):
        services.scorecards_compute(org.ada, period="week", day=IN_MONTH)
    assert services.scorecards_compute(org.sam, period="month", day=IN_MONTH) == 1  # sara
    assert services.scorecards_compute(org.ada, period="month", day=IN_MONTH) == 4


def _reads(context) -> int:
    """Queries other than the batched inserts (SQLite splits a big bulk insert in batches)."""
    return sum(1 for q in context.captured_queries if not q["sql"].startswith("INSERT"))


def test_scoring_costs_the_same_for_more_sellers(org, django_assert_max_num_queries):
    from kadence.core.models import User

    build(org)
    with django_assert_max_num_queries(30) as few:
        services.scorecards_compute(org.ada, period="month", day=IN_MONTH)
    Scorecard.objects.all().delete()
    for n in range(3):
        User.objects.create_user(username=f"rep{n}", role="rep", org_unit=org.n2)
    with django_assert_max_num_queries(30) as more:
        assert services.scorecards_compute(org.ada, period="month", day=IN_MONTH) == 7
    assert _reads(more) == _reads(few)


def test_the_annual_ranking_uses_the_quarters(org):
    build(org)
    services.scorecards_compute(org.ada, period="quarter", day=IN_MONTH)
    Scorecard.objects.filter(user=org.tom, period_kind="quarter").update(total=D("95"))
    ranking = selectors.annual_ranking(org.mona, year=2026)
    assert [r.user for r in ranking.rows][:1] == [org.tom]
    tom = ranking.rows[0]
    assert (
        tom.quarters == [None, None, None, D("95.00")]
        and tom.score == D("95.00")
        and tom.grade == "excellent"
    )
    assert {r.user.pk for r in ranking.rows} == {org.rita.pk, org.tom.pk}
    assert dict((c, n) for c, _name, n in ranking.distribution)["excellent"] == 1


def test_the_nightly_job_and_the_command(org, capsys):
    build(org)
    assert "kpi-score" in {job.name for job in jobs()}
    assert [p.label for p in services.scoring_due(date(2026, 11, 1))] == ["2026-10", "2026-Q4"]
    call_command("score_kpis", "--period", "month", "--day", "2026-10-20")
    assert "month 2026-10-20: 4 scorecards" in capsys.readouterr().out
    assert (
        Scorecard.objects.filter(period_kind="month", period_start=MONTH, computed_by__isnull=True).count()
        == 4
    )
