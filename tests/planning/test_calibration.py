"""Calibration from closed history (METHODOLOGY §9.6): exact counts on a small fabricated history,
the stored rows and `kadence calibrate`, effective probabilities, and the admin switch refused
below the threshold and accepted above it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from kadence.core.errors import NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.deals.models import C139Assessment
from kadence.pipeline.models import Opportunity, ProbabilityLevel, ProcessTemplate, Stage, StageChange
from kadence.planning.models import Calibration, ForecastPolicy
from kadence.planning.selectors.calibration import (
    calibration_counts,
    calibration_report,
    effective_probabilities,
    effective_probabilities_for,
    used_level_codes,
)
from kadence.planning.services.calibration import calibration_recompute, calibration_switch

TODAY = date(2025, 6, 30)
BANDS = {"early": (0, 25), "developing": (25, 50), "rule_met": (60, 90), "win": (90, 100), "against": (0, 10)}


def _at(day: date, minutes: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0)) + timedelta(minutes=minutes))


def closed_deal(
    org,
    path: list[tuple[str, str]],
    outcome: str,
    *,
    closed_on: date = TODAY - timedelta(days=10),
    template: str = "tianlong8",
    held_last: str | None = None,
    owner=None,
    amount: str = "100000",
    bands: tuple[str, ...] = (),
    expected: date | None = None,
    kinds: list[str] | None = None,
) -> Opportunity:
    """A deal with a fabricated stage history: `path` is [(stage code, level code), ...] from its
    creation; then it closes `outcome` ("won" / "lost") on `closed_on`. `held_last` is the level it
    held when it closed if the checkpoints changed it after the last move (then it appears only as
    that row's from_level). `bands`: its C139 assessments, oldest first. `expected`: the expected
    close date on every open history row."""
    owner = owner or org.rita
    tpl = ProcessTemplate.objects.get(code=template)
    stages = {s.code: s for s in Stage.objects.filter(template=tpl)}
    levels = {lv.code: lv for lv in ProbabilityLevel.objects.all()}
    final_level = levels["WON" if outcome == "won" else "LOST"]
    last_stage = stages[path[-1][0]]
    closing_stage = (
        Stage.objects.filter(template=tpl, is_won=True).first() if outcome == "won" else last_stage
    )
    expected = expected or closed_on
    opp = Opportunity.objects.create(
        name=f"deal {outcome}",
        account=org.account,
        owner=owner,
        team_id=owner.org_unit_id,
        template=tpl,
        stage=closing_stage,
        level=final_level,
        probability=final_level.probability,
        amount=D(amount),
        expected_close_date=expected,
        status=outcome,
        closed_on=closed_on,
    )
    start = closed_on - timedelta(days=60)
    previous = None
    for index, (stage_code, level_code) in enumerate(path):
        stage, level = stages[stage_code], levels[level_code]
        kind = kinds[index] if kinds else ("created" if index == 0 else "advanced")
        StageChange.objects.create(
            opportunity=opp,
            kind=kind,
            from_stage=previous[0] if previous else None,
            to_stage=stage,
            from_stage_name=previous[0].name_zh if previous else "",
            to_stage_name=stage.name_zh,
            from_level=previous[1] if previous else None,
            to_level=level,
            probability=level.probability,
            amount=opp.amount,
            currency="CNY",
            expected_close_date=expected,
            status="open",
            changed_at=_at(start, index),
        )
        previous = (stage, level)
    assert previous is not None
    StageChange.objects.create(
        opportunity=opp,
        kind=outcome,
        from_stage=previous[0],
        to_stage=closing_stage,
        from_stage_name=previous[0].name_zh,
        to_stage_name=closing_stage.name_zh,
        from_level=levels[held_last] if held_last else previous[1],
        to_level=final_level,
        probability=final_level.probability,
        amount=opp.amount,
        currency="CNY",
        expected_close_date=closed_on,
        status=outcome,
        changed_at=_at(closed_on, 0),
    )
    for index, band in enumerate(bands):
        low, high = BANDS[band]
        C139Assessment.objects.create(
            opportunity=opp,
            assessed_at=_at(start, 10 + index),
            result="0C0F0W",
            band=band,
            band_low=low,
            band_high=high,
        )
    return opp


@pytest.fixture
def history(org):
    """Four closed deals of tianlong8 in the window, and three that must not count."""
    a = closed_deal(
        org,
        [("plan_call", "I"), ("visit_discovery", "I"), ("proposal_sent", "C"), ("formal_proposal", "Q")],
        "won",
        bands=("early", "rule_met"),
    )
    b = closed_deal(org, [("plan_call", "I"), ("proposal_sent", "C")], "lost", bands=("developing",))
    c = closed_deal(org, [("plan_call", "I")], "lost", held_last="C")  # C reached between moves
    d = closed_deal(
        org,
        [("formal_proposal", "Q"), ("proposal_sent", "C"), ("formal_proposal", "Q")],
        "won",
        kinds=["created", "moved_back", "advanced"],
        bands=("rule_met",),
    )
    closed_deal(
        org, [("plan_call", "I")], "lost", closed_on=TODAY - timedelta(days=400)
    )  # outside the window
    closed_deal(
        org, [("potential", "I"), ("confirm_intent", "C")], "won", template="funnel7"
    )  # another process
    return [a, b, c, d]


def _counts(buckets):
    return {b.key: (b.outcomes, b.won) for b in buckets}


def test_counts_per_level_stage_and_band_are_exact(history):
    counts = calibration_counts(ProcessTemplate.objects.get(code="tianlong8").pk, as_of=TODAY)
    assert _counts(counts["level"]) == {"I": (3, 1), "C": (4, 2), "Q": (2, 2), "D": (0, 0), "C90": (0, 0)}
    assert _counts(counts["stage"]) == {
        "plan_call": (3, 1),
        "visit_discovery": (1, 1),
        "proposal_sent": (3, 2),
        "demo_exchange": (0, 0),
        "formal_proposal": (2, 2),
        "deal_review": (0, 0),
        "negotiation": (0, 0),
    }
    # the latest assessment counts: a's early → rule_met; c was never assessed
    assert _counts(counts["c139"]) == {
        "against": (0, 0),
        "early": (0, 0),
        "developing": (1, 0),
        "rule_met": (2, 2),
        "win": (0, 0),
    }
    configured = {b.key: b.configured for b in counts["level"]}
    assert configured == {"I": D(10), "C": D(25), "Q": D(50), "D": D(75), "C90": D(90)}
    # A stage's prior is the level a deal holds in it: its own Q is earned by leaving it (§1d).
    stage_priors = {b.key: b.configured for b in counts["stage"]}
    assert stage_priors["formal_proposal"] == D(25) and stage_priors["deal_review"] == D(50)
    assert stage_priors["plan_call"] == D(10) and stage_priors["negotiation"] == D(75)
    assert {b.key: b.configured for b in counts["c139"]}["rule_met"] == D(60)


def test_history_window_follows_the_policy(history):
    policy = ForecastPolicy.current()
    policy.history_days = 500
    policy.save()
    counts = calibration_counts(ProcessTemplate.objects.get(code="tianlong8").pk, as_of=TODAY)
    assert _counts(counts["level"])["I"] == (4, 1)  # the deal lost 400 days ago is now in


def test_every_reader_gets_the_same_company_wide_report(history, org):
    """The calibration has no deal data in it: a rep, a manager, a director and an admin read the
    same figures (kadence.core.visibility.can_read_calibration)."""
    calibration_recompute(org.ada, as_of=TODAY)
    tianlong = ProcessTemplate.objects.get(code="tianlong8")
    reports = [calibration_report(user, tianlong.pk) for user in (org.rita, org.mona, org.dora, org.ada)]
    assert all(report == reports[0] for report in reports)
    assert reports[0] == calibration_report(None, tianlong.pk)


def test_recompute_stores_rows_and_the_report_scores_them(history, org):
    written = calibration_recompute(org.ada, as_of=TODAY)
    # 4 processes × 5 levels, their open stages (7 + 6 + 6 + 5), 4 × 5 bands
    assert written == Calibration.objects.count() == 4 * 5 + (7 + 6 + 6 + 5) + 4 * 5
    tianlong = ProcessTemplate.objects.get(code="tianlong8")
    row = Calibration.objects.get(template=tianlong, dimension="level", key="C")
    assert (row.outcomes, row.won, row.configured) == (4, 2, D(25)) and row.computed_at is not None
    assert AuditEntry.objects.filter(entity="calibration", entity_id=tianlong.pk).exists()

    report = calibration_report(org.rita, tianlong.pk)  # a rep reads the company-wide figures
    levels = {r.key: r for r in report.levels}
    assert (levels["I"].observed, levels["I"].brier) == (D("33.33"), D("0.2767"))  # (0.81 + 2 × 0.01) ÷ 3
    assert (levels["C"].observed, levels["C"].brier) == (
        D("50.00"),
        D("0.3125"),
    )  # (2 × 0.5625 + 2 × 0.0625) ÷ 4
    assert (levels["Q"].observed, levels["Q"].brier) == (D("100.00"), D("0.2500"))
    assert levels["D"].observed is None and levels["D"].brier is None
    assert report.brier["level"] == D("0.2867")  # (0.83 + 1.25 + 0.5) ÷ 9
    assert {r.key: r.observed for r in report.bands}["rule_met"] == D("100.00")
    assert report.computed_at is not None and not report.use_calibrated
    assert [r.key for r in report.short] == ["I", "C", "Q", "D", "C90"]  # all below 20 outcomes

    # recompute replaces, it does not add
    calibration_recompute(None, template_id=tianlong.pk, as_of=TODAY)
    assert Calibration.objects.filter(template=tianlong).count() == 5 + 7 + 5


def test_recompute_is_admin_only_and_checks_the_template(org):
    for person in (org.rita, org.mona, org.dora):
        with pytest.raises(PermissionDenied):
            calibration_recompute(person)
    with pytest.raises(NotFound):
        calibration_recompute(org.ada, template_id=999999)


def test_calibrate_command(history):
    out = StringIO()
    call_command("calibrate", "--template", "tianlong8", "--date", TODAY.isoformat(), stdout=out)
    assert "17 buckets" in out.getvalue()
    assert Calibration.objects.get(dimension="stage", key="proposal_sent").won == 2
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("calibrate", "--template", "nope")
    with pytest.raises(CommandError):
        call_command("calibrate", "--date", "30-06-2025")


@pytest.fixture
def full_ladder(org):
    """Three closed deals (two won) of tianlong8 that each held every open level."""
    path = [
        ("plan_call", "I"),
        ("proposal_sent", "C"),
        ("formal_proposal", "Q"),
        ("deal_review", "D"),
        ("negotiation", "C90"),
    ]
    for outcome in ("won", "won", "lost"):
        closed_deal(org, path, outcome)
    calibration_recompute(None, as_of=TODAY)
    return ProcessTemplate.objects.get(code="tianlong8")


def _policy(min_outcomes: int) -> None:
    policy = ForecastPolicy.current()
    policy.calibration_min_outcomes = min_outcomes
    policy.save()


def test_switch_refused_below_the_threshold_naming_the_levels(full_ladder, org):
    _policy(4)
    with pytest.raises(ValidationFailed) as refused:
        calibration_switch(org.ada, template_id=full_ladder.pk, use_calibrated=True)
    assert refused.value.code == "not_enough_outcomes" and refused.value.status == 422
    assert [s["key"] for s in refused.value.extra["short"]] == ["I", "C", "Q", "D", "C90"]
    assert refused.value.extra["short"][0]["outcomes"] == 3 and refused.value.extra["short"][0]["needed"] == 4
    assert "I · " in refused.value.detail
    full_ladder.refresh_from_db()
    assert not full_ladder.use_calibrated


def test_switch_accepted_at_the_threshold_and_probabilities_follow(full_ladder, org):
    _policy(3)
    before = effective_probabilities(full_ladder.pk)
    levels = {lv.code: lv.pk for lv in ProbabilityLevel.objects.all()}
    assert before[levels["Q"]] == (D("50.00"), "configured", 3)
    calibration_switch(org.ada, template_id=full_ladder.pk, use_calibrated=True, reason="enough history")
    full_ladder.refresh_from_db()
    assert full_ladder.use_calibrated
    assert AuditEntry.objects.filter(
        entity="process_template",
        entity_id=full_ladder.pk,
        field="use_calibrated",
        new_value="True",
        reason="enough history",
    ).exists()
    after = effective_probabilities(full_ladder)
    assert after[levels["Q"]] == (D("66.67"), "calibrated", 3)
    assert after[levels["WON"]] == (D(100), "configured", 0) and after[levels["LOST"]] == (
        D(0),
        "configured",
        0,
    )
    # a level short of data later falls back to the configured probability
    _policy(4)
    assert effective_probabilities(full_ladder.pk)[levels["Q"]].source == "configured"
    # another process is untouched
    other = ProcessTemplate.objects.get(code="funnel7")
    assert effective_probabilities_for([other])[other.pk][levels["Q"]].source == "configured"
    # switching off always works
    _policy(100)
    calibration_switch(org.ada, template_id=full_ladder.pk, use_calibrated=False)
    full_ladder.refresh_from_db()
    assert not full_ladder.use_calibrated


def test_switch_needs_a_computed_calibration_and_an_admin(org):
    _policy(0)
    tianlong = ProcessTemplate.objects.get(code="tianlong8")
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        calibration_switch(org.ada, template_id=tianlong.pk, use_calibrated=True)
    assert "recompute" in refused.value.detail  # read in English whatever an earlier test left active
    for person in (org.rita, org.mona, org.sven):
        with pytest.raises(PermissionDenied):
            calibration_switch(person, template_id=tianlong.pk, use_calibrated=False)
    with pytest.raises(NotFound):
        calibration_switch(org.ada, template_id=999999, use_calibrated=False)
    with pytest.raises(NotFound):
        effective_probabilities(999999)


def test_used_levels_are_stage_defaults_and_levels_held_by_open_deals(org):
    lenovo = ProcessTemplate.objects.get(code="lenovo5")
    assert used_level_codes(lenovo.pk) == ["I", "C", "Q", "D", "C90"]
    funnel7 = ProcessTemplate.objects.get(code="funnel7")
    Stage.objects.filter(template=funnel7, default_level__code="C90").update(
        default_level=ProbabilityLevel.objects.get(code="D")
    )
    assert used_level_codes(funnel7.pk) == ["I", "C", "Q", "D"]
    Opportunity.objects.filter(pk=org.opp.pk).update(
        template=funnel7, level=ProbabilityLevel.objects.get(code="C90")
    )
    assert used_level_codes(funnel7.pk) == ["I", "C", "Q", "D", "C90"]


def test_effective_probabilities_query_count(full_ladder, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        found = effective_probabilities_for(None)
    assert len(found) == ProcessTemplate.objects.count()


def test_report_query_count_does_not_grow_with_history(full_ladder, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        report = calibration_report(None, full_ladder.pk)
    assert report.levels[0].outcomes == 3
