"""Reads of deal assessments (METHODOLOGY §3, §5): the latest C139 assessment with its 13 answers,
the questions and the contacts it may be confirmed with, the bid / no-bid decisions, and the
histories (newest first, capped). Each read checks visibility first and runs in a fixed number of
queries, whatever the number of assessments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from kadence.accounts.models import Contact
from kadence.core.models import User
from kadence.core.visibility import access_opportunity, visible_contacts
from kadence.deals.models import BidAssessment, C139Answer, C139Assessment, C139Question, ControlPolicy
from kadence.domain import bid as bid_domain
from kadence.domain import c139 as c139_domain
from kadence.pipeline.models import Opportunity

HISTORY_LIMIT = 50
MAX_HISTORY_LIMIT = 200
TIER_ORDER = ("clear", "first", "win")


def c139_rules(policy: ControlPolicy) -> c139_domain.BandRules:
    """The band rules of the policy; a malformed rule falls back to the shipped default (as the gates do)."""
    try:
        return c139_domain.band_rules(policy.c139_rule, policy.c139_min_clear_mid)
    except ValueError:
        return c139_domain.BandRules()


def bid_rules(policy: ControlPolicy) -> bid_domain.BidRules:
    """The bid thresholds of the policy."""
    return bid_domain.BidRules(
        pursue_min_score=policy.bid_pursue_min_score,
        abandon_max_score=policy.bid_abandon_max_score,
        abandon_min_signs=policy.bid_abandon_min_signs,
        qualify_days=policy.bid_qualify_days,
    )


def band_label(assessment: C139Assessment) -> str:
    return c139_domain.band_label(assessment.band, assessment.band_low, assessment.band_high)


def c139_questions() -> list[C139Question]:
    """The 13 items in order (one query)."""
    return list(C139Question.objects.order_by("order", "code"))


def deal_contacts(user: User, opp: Opportunity) -> list[Contact]:
    """Contacts of the deal's account that `user` may see: whom an item may be confirmed with."""
    return list(visible_contacts(user).filter(account_id=opp.account_id).order_by("name", "id"))


def _answers_prefetch() -> Prefetch:
    return Prefetch("answers", queryset=C139Answer.objects.select_related("confirmed_with").order_by("id"))


def _limit(value: int) -> int:
    return min(max(int(value), 1), MAX_HISTORY_LIMIT)


def c139_assessment(user: User, opp_id: int, assessment_id: int) -> C139Assessment | None:
    """One assessment of the deal with its answers and their contacts (None if not of this deal)."""
    access_opportunity(user, opp_id)
    return _c139_latest(opp_id, assessment_id)


def _c139_latest(opp_id: int, assessment_id: int | None = None) -> C139Assessment | None:
    qs = C139Assessment.objects.filter(opportunity_id=opp_id)
    if assessment_id is not None:
        qs = qs.filter(pk=assessment_id)
    latest = (
        qs.select_related("assessed_by")
        .prefetch_related(_answers_prefetch())
        .order_by("-assessed_at", "-id")
        .first()
    )
    if latest is not None:
        latest.band_text = band_label(latest)
    return latest


def _c139_history(opp_id: int, limit: int) -> tuple[list[C139Assessment], int]:
    qs = C139Assessment.objects.filter(opportunity_id=opp_id)
    rows = list(qs.select_related("assessed_by").order_by("-assessed_at", "-id")[: _limit(limit)])
    for row in rows:
        row.band_text = band_label(row)
    return rows, (len(rows) if len(rows) < _limit(limit) else qs.count())


@dataclass
class C139Row:
    """One item on the C139 page: the question and the latest answer to it (None when never assessed)."""

    question: C139Question
    answer: C139Answer | None

    @property
    def status(self) -> str:
        return self.answer.status if self.answer else C139Answer.Status.UNKNOWN


@dataclass
class C139Overview:
    """What the C139 page shows: the policy's rule, the latest assessment, the 13 items grouped by
    tier with their latest answers, the contacts of the account, and the history."""

    rule: str
    latest: C139Assessment | None
    tiers: list[tuple[str, list[C139Row]]]
    contacts: list[Contact]
    history: list[C139Assessment]
    history_count: int

    @property
    def unconfirmed_contacts(self) -> int:
        """Items confirmed without saying with whom (the page encourages naming the contact)."""
        return sum(
            1
            for _tier, rows in self.tiers
            for r in rows
            if r.answer and r.answer.status == C139Answer.Status.CONFIRMED and not r.answer.confirmed_with_id
        )


@dataclass
class C139Record:
    """A deal's C139 as the API gives it: the rule in force, the latest assessment (with answers)
    and the newest `limit` assessments with the total count."""

    rule: str
    latest: C139Assessment | None
    history: list[C139Assessment]
    history_count: int


def c139_record(user: User, opp_id: int, *, limit: int = HISTORY_LIMIT) -> C139Record:
    """The latest assessment with its answers and the history, in a fixed number of queries."""
    return c139_record_of(access_opportunity(user, opp_id), limit=limit)


def c139_record_of(opp: Opportunity, *, limit: int = HISTORY_LIMIT) -> C139Record:
    """c139_record of a deal the caller got from access_opportunity."""
    history, count = _c139_history(opp.pk, limit)
    return C139Record(str(c139_rules(ControlPolicy.current()).rule), _c139_latest(opp.pk), history, count)


def c139_overview(user: User, opp: Opportunity, *, limit: int = HISTORY_LIMIT) -> C139Overview:
    """Everything the C139 page needs about a deal `user` may see, `opp` as access_opportunity
    returned it (the page's header read it once; a fixed number of queries)."""
    latest = _c139_latest(opp.pk)
    answers = {a.item: a for a in latest.answers.all()} if latest else {}
    grouped: dict[str, list[C139Row]] = {tier: [] for tier in TIER_ORDER}
    for question in c139_questions():
        grouped.setdefault(question.tier, []).append(C139Row(question, answers.get(question.code)))
    history, count = _c139_history(opp.pk, limit)
    rules = c139_rules(ControlPolicy.current())
    return C139Overview(
        str(rules.rule),
        latest,
        [(t, rows) for t, rows in grouped.items() if rows],
        deal_contacts(user, opp),
        history,
        count,
    )


# --- bid / no-bid ------------------------------------------------------------------------------------


def bid_overdue(row: BidAssessment | None, today: date | None = None) -> bool:
    """A "qualify further" decision whose deadline has passed."""
    if row is None or row.outcome != BidAssessment.Outcome.QUALIFY or row.qualify_by is None:
        return False
    return row.qualify_by < (today or timezone.localdate())


def bid_history(user: User, opp_id: int, *, limit: int = HISTORY_LIMIT) -> tuple[list[BidAssessment], int]:
    """The newest `limit` decisions and how many there are in all."""
    access_opportunity(user, opp_id)
    qs = BidAssessment.objects.filter(opportunity_id=opp_id)
    rows = list(qs.select_related("assessed_by").order_by("-assessed_at", "-id")[: _limit(limit)])
    return rows, (len(rows) if len(rows) < _limit(limit) else qs.count())


@dataclass
class BidOverview:
    latest: BidAssessment | None
    history: list[BidAssessment]
    history_count: int
    rules: bid_domain.BidRules
    qualify_days: int
    overdue: bool = False
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _answers_of(row: BidAssessment) -> bid_domain.BidAnswers:
    return bid_domain.BidAnswers(
        **{
            name: getattr(row, name)
            for name in bid_domain.QUESTIONS + bid_domain.PURSUE_CONDITIONS + bid_domain.ABANDON_SIGNS
        }
    )


def bid_overview(user: User, opp: Opportunity, *, limit: int = HISTORY_LIMIT) -> BidOverview:
    """Everything the bid page needs: the latest decision (and whether its deadline passed), why
    its suggestion was what it was, the history and the thresholds in force."""
    history, count = bid_history(user, opp.pk, limit=limit)
    latest = history[0] if history else None
    policy = ControlPolicy.current()
    rules = bid_rules(policy)
    reasons: tuple[str, ...] = ()
    if latest is not None:
        try:
            reasons = bid_domain.suggest(_answers_of(latest), rules).reasons
        except ValueError:  # a row edited by hand outside −1/0/+1: show it without reasons
            reasons = ()
    return BidOverview(latest, history, count, rules, policy.bid_qualify_days, bid_overdue(latest), reasons)


def bid_suggestion(user: User, opp_id: int, answers: dict[str, Any]) -> bid_domain.Suggestion | None:
    """The suggestion for answers being filled in (the page's live preview); None while an answer
    is missing or not −1/0/+1."""
    access_opportunity(user, opp_id)
    try:
        parsed = bid_domain.BidAnswers(
            **{k: answers[k] for k in bid_domain.QUESTIONS},
            **{k: bool(answers.get(k)) for k in bid_domain.PURSUE_CONDITIONS + bid_domain.ABANDON_SIGNS},
        )
    except (KeyError, ValueError, TypeError):
        return None
    return bid_domain.suggest(parsed, bid_rules(ControlPolicy.current()))
