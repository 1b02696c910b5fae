"""API schemas of deal assessments: C139 (METHODOLOGY §3) and bid / no-bid (§5)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from ninja import Field, Schema

from kadence.core.schemas import Day, Id, In, Money, UserRef
from kadence.deals.models import BidAssessment, C139Answer
from kadence.deals.selectors.assessments import bid_overdue
from kadence.domain import c139 as c139_domain

if TYPE_CHECKING:  # mypy reads no Literal built at run time: to it, a choice is a str
    ItemStatus = str
    BuyerType = str
    Outcome = str
else:  # the model's choices, an enum in the OpenAPI schema
    ItemStatus = Literal[tuple(C139Answer.Status.values)]
    BuyerType = Literal[tuple(BidAssessment.BuyerType.values)]
    Outcome = Literal[tuple(BidAssessment.Outcome.values)]
Answer = Literal[-1, 0, 1]


class C139ItemOut(Schema):
    """One of the 13 items: code, tier (clear / first / win), order and wording; `name` is in the
    active language."""

    code: str
    tier: str
    order: int
    name: str
    name_zh: str
    name_en: str
    guidance: str


class ContactNameRef(Schema):
    id: int
    name: str


class C139AnswerOut(Schema):
    """An item's answer: status confirmed / unknown / negative (for W1: for / unknown / against)."""

    item: str
    tier: str
    status: str
    confirmed_with: ContactNameRef | None
    confirmed_on: date | None
    note: str

    @staticmethod
    def resolve_tier(obj: Any) -> str:
        return c139_domain.TIERS.get(obj.item, "")


class BandOut(Schema):
    """The win-probability band of a result: code (against / win / rule_met / developing / early),
    bounds in percent and how it reads (e.g. "≥ 60%")."""

    code: str
    low: Money
    high: Money
    label: str


class C139SummaryOut(Schema):
    """One C139 assessment: the result "xCyFzW", whether it meets the policy's rule, its band."""

    id: int
    assessed_at: datetime
    assessed_by: UserRef | None
    result: str
    clear: int
    first: int
    win: int
    win_against: bool
    meets_rule: bool
    band: BandOut
    note: str

    @staticmethod
    def resolve_band(obj: Any) -> dict[str, Any]:
        return {
            "code": obj.band,
            "low": obj.band_low,
            "high": obj.band_high,
            "label": c139_domain.band_label(obj.band, obj.band_low, obj.band_high),
        }


class C139AssessmentOut(C139SummaryOut):
    answers: list[C139AnswerOut]

    @staticmethod
    def resolve_answers(obj: Any) -> list[Any]:
        order = {code: i for i, code in enumerate(c139_domain.ITEMS)}
        return sorted(obj.answers.all(), key=lambda a: order.get(a.item, 99))


class C139Out(Schema):
    """A deal's C139: the rule in force, the latest assessment with its answers (null when never
    assessed) and the history, newest first (`history_count` counts them all)."""

    rule: str
    latest: C139AssessmentOut | None
    history: list[C139SummaryOut]
    history_count: int


class C139AnswerIn(In):
    status: ItemStatus = "unknown"
    confirmed_with_id: Id | None = Field(None, description="A contact of the deal's account.")
    confirmed_on: Day | None = Field(None, description="When it was confirmed; not in the future.")
    note: str = Field("", max_length=500)


class C139In(In):
    """All 13 items keyed by code (C1…C9, F1…F3, W1); a missing item counts as unknown, an unknown
    code is refused."""

    answers: dict[str, C139AnswerIn] = Field(default_factory=dict)
    note: str = Field("", max_length=10000)


class BidOut(Schema):
    """A bid / no-bid assessment: the four answers (−1 / 0 / +1), the conditions and signs, the score,
    the suggested outcome, the decision (pursue / qualify / abandon) and, for qualify, the deadline;
    `overdue` when that deadline has passed."""

    id: int
    assessed_at: datetime
    assessed_by: UserRef | None
    buyer_type: str
    real_opportunity: int
    can_compete: int
    can_win: int
    worth_winning: int
    meets_minimum_spec: bool
    close_relationship: bool
    genuine_competition: bool
    spec_biased: bool
    relationship_vague: bool
    competitor_advantage: bool
    score: int
    suggested_outcome: str
    outcome: str
    qualify_by: date | None
    overdue: bool
    note: str

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bid_overdue(obj)


class BidRulesOut(Schema):
    pursue_min_score: int
    abandon_max_score: int
    abandon_min_signs: int
    qualify_days: int


class BidListOut(Schema):
    """A deal's bid / no-bid: the latest decision (null when never assessed), the history newest
    first, and the thresholds in force."""

    latest: BidOut | None
    history: list[BidOut]
    history_count: int
    rules: BidRulesOut


class BidIn(In):
    buyer_type: BuyerType
    real_opportunity: Answer
    can_compete: Answer
    can_win: Answer
    worth_winning: Answer
    meets_minimum_spec: bool = False
    close_relationship: bool = False
    genuine_competition: bool = False
    spec_biased: bool = False
    relationship_vague: bool = False
    competitor_advantage: bool = False
    outcome: Outcome = Field(
        description="Your decision; when it differs from the suggestion a note is required."
    )
    qualify_by: Day | None = Field(
        None, description="For qualify: a date after today (default today + policy days)."
    )
    note: str = Field("", max_length=10000)
