"""Deal assessments (METHODOLOGY §3, §5): the C139 assessment and the bid / no-bid decision.

Both are kept as history: every save is a new row, the latest one counts for the gates. Whoever may
contribute to an open deal (owner, manager or director in scope, admin, deal-team member) may assess
it. A save is atomic, audited on the deal ("c139": old → new result; "bid_decision": old → new
decision) and ends with `opportunity_recheck`, so the deal's C139 result, staging flag and verified
level follow at once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.errors import ValidationFailed
from kadence.core.models import User
from kadence.core.validation import MAX_ID, clean_text, date_range_error
from kadence.core.visibility import access_opportunity, visible_contacts
from kadence.deals.models import BidAssessment, C139Answer, C139Assessment, ControlPolicy
from kadence.deals.selectors.assessments import bid_rules, c139_rules
from kadence.deals.services.gates import opportunity_recheck
from kadence.domain import bid as bid_domain
from kadence.domain import c139 as c139_domain
from kadence.pipeline.models import Opportunity

ENTITY = "pipeline.opportunity"
ANSWER_KEYS = frozenset({"status", "confirmed_with_id", "confirmed_on", "note"})
NOTE_MAX = 10000
ANSWER_NOTE_MAX = 500


def _open_for_assessment(user: User, opp_id: int) -> Opportunity:
    opp = access_opportunity(user, opp_id, lock=True)
    if opp.status != Opportunity.Status.OPEN:
        raise ValidationFailed(_("The deal is closed; reopen it to assess it."), code="closed")
    return opp


def _summary(errors: dict[str, list[str]], limit: int = 3) -> str:
    """ "field: message; …" for the first few problems, so the detail alone says what to fix."""
    keys = sorted(errors)
    parts = [f"{key}: {' '.join(errors[key])}" for key in keys[:limit]]
    return "; ".join(parts) + ("; …" if len(keys) > limit else "")


def _date(value: Any, field: str, errors: dict[str, list[str]]) -> date | None:
    if value is None or value == "":
        return None
    day = None
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None:
        errors.setdefault(field, []).append(_("Enter a date (YYYY-MM-DD)."))
        return None
    problem = date_range_error(day)
    if problem:
        errors.setdefault(field, []).append(problem)
        return None
    return day


def _clean_answers(user: User, opp: Opportunity, answers: Any) -> dict[str, dict[str, Any]]:
    """All 13 items, validated; every problem is collected so one 422 names them all."""
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise ValidationFailed(
            _("The answers must map item codes (C1…W1) to answers."),
            {"answers": [_("Expected an object keyed by item code.")]},
        )
    errors: dict[str, list[str]] = {}
    unknown = sorted(str(k)[:20] for k in answers if k not in c139_domain.ITEMS)
    if unknown:
        errors["answers"] = [
            _("Unknown C139 item: %(items)s (the items are C1…C9, F1…F3, W1).")
            % {"items": ", ".join(unknown)}
        ]
    today = timezone.localdate()
    contact_ids: dict[str, int] = {}
    cleaned: dict[str, dict[str, Any]] = {}
    for item in c139_domain.ITEMS:
        raw = answers.get(item)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            errors[f"answers.{item}"] = [
                _("Expected an object with status, confirmed_with_id, confirmed_on, note.")
            ]
            continue
        extra = sorted(str(k)[:40] for k in raw if k not in ANSWER_KEYS)
        if extra:
            errors[f"answers.{item}"] = [_("Unknown field: %(fields)s.") % {"fields": ", ".join(extra)}]
        status = raw.get("status") or C139Answer.Status.UNKNOWN
        if status not in C139Answer.Status.values:
            errors[f"answers.{item}.status"] = [_("Choose confirmed, unknown or negative.")]
            status = C139Answer.Status.UNKNOWN
        contact_id = raw.get("confirmed_with_id")
        if contact_id in (None, ""):
            contact_id = None
        else:
            try:
                if isinstance(contact_id, bool):
                    raise ValueError
                contact_id = int(contact_id)
                if not 0 < contact_id <= MAX_ID:
                    raise ValueError
            except (TypeError, ValueError):
                errors[f"answers.{item}.confirmed_with_id"] = [_("Not a contact id.")]
                contact_id = None
            else:
                contact_ids[item] = contact_id
        confirmed_on = _date(raw.get("confirmed_on"), f"answers.{item}.confirmed_on", errors)
        if confirmed_on is not None and confirmed_on > today:
            errors.setdefault(f"answers.{item}.confirmed_on", []).append(_("Use today or an earlier date."))
        try:
            note = clean_text(
                raw.get("note"), f"answers.{item}.note", ANSWER_NOTE_MAX, multiline=True
            ).strip()
        except ValidationFailed as exc:
            errors.update(exc.errors)
            note = ""
        cleaned[item] = {
            "status": status,
            "confirmed_with_id": contact_id,
            "confirmed_on": confirmed_on,
            "note": note,
        }
    if contact_ids:
        allowed = set(
            visible_contacts(user)
            .filter(account_id=opp.account_id, pk__in=set(contact_ids.values()))
            .values_list("pk", flat=True)
        )
        for item, contact_id in contact_ids.items():
            if contact_id not in allowed:
                errors[f"answers.{item}.confirmed_with_id"] = [_("Choose a contact of the deal's account.")]
    if errors:
        raise ValidationFailed(
            _("Some C139 answers are not valid: %(problems)s") % {"problems": _summary(errors)}, errors
        )
    return cleaned


@transaction.atomic
def c139_assess(
    user: User, opp_id: int, *, answers: dict[str, dict[str, Any]] | None, note: str = ""
) -> C139Assessment:
    """Record a C139 assessment of an open deal: all 13 items (missing ones count as unknown), each
    with its status (confirmed / unknown / negative; for W1 for / unknown / against), the contact of
    the deal's account it was confirmed with (optional, encouraged), when (not in the future) and a
    note. The result, whether it meets the policy's rule ("or better" on every tier) and its
    probability band are computed here and stored with the row; the deal is then rechecked."""
    opp = _open_for_assessment(user, opp_id)
    note = clean_text(note, "note", NOTE_MAX, multiline=True).strip()
    cleaned = _clean_answers(user, opp, answers)
    policy = ControlPolicy.current()
    rules = c139_rules(policy)
    result = c139_domain.score({item: row["status"] for item, row in cleaned.items()})
    found = c139_domain.band(result, rules)
    assessment = C139Assessment.objects.create(
        opportunity=opp,
        assessed_by=user,
        assessed_at=timezone.now(),
        clear=result.clear,
        first=result.first,
        win=result.win,
        win_against=result.win_against,
        result=str(result),
        meets_rule=result.at_least(rules.rule),
        band=found.code,
        band_low=found.low,
        band_high=found.high,
        note=note,
    )
    C139Answer.objects.bulk_create(
        [C139Answer(assessment=assessment, item=item, **row) for item, row in cleaned.items()]
    )
    audit_changes(ENTITY, opp.pk, {"c139": (opp.c139_result, str(result))}, user, note[:500])
    opportunity_recheck(opp, user)
    return assessment


def _answer(value: Any, field: str, errors: dict[str, list[str]]) -> int:
    if isinstance(value, bool) or value not in bid_domain.ANSWERS:
        if isinstance(value, str) and value.strip() in ("-1", "0", "1", "+1"):
            return int(value.strip())
        errors[field] = [_("Answer −1, 0 or +1.")]
        return 0
    return int(value)


@transaction.atomic
def bid_assess(
    user: User,
    opp_id: int,
    *,
    buyer_type: str,
    real_opportunity: int,
    can_compete: int,
    can_win: int,
    worth_winning: int,
    outcome: str,
    meets_minimum_spec: bool = False,
    close_relationship: bool = False,
    genuine_competition: bool = False,
    spec_biased: bool = False,
    relationship_vague: bool = False,
    competitor_advantage: bool = False,
    qualify_by: date | None = None,
    note: str = "",
) -> BidAssessment:
    """Record a bid / no-bid decision on an open deal. The four answers (−1 / 0 / +1) give the score
    and the suggested outcome (kadence.domain.bid, thresholds from the policy); `outcome` is the
    user's decision, which may differ from the suggestion only with a note saying why. "qualify"
    carries a deadline after today (default: today + the policy's qualify days); the other outcomes
    carry none (a date sent with them is dropped). The latest decision is what the gates check."""
    opp = _open_for_assessment(user, opp_id)
    errors: dict[str, list[str]] = {}
    if buyer_type not in BidAssessment.BuyerType.values:
        errors["buyer_type"] = [_("Choose government, military or enterprise.")]
    if outcome not in BidAssessment.Outcome.values:
        errors["outcome"] = [_("Choose pursue, qualify or abandon.")]
    values = {
        name: _answer(v, name, errors)
        for name, v in (
            ("real_opportunity", real_opportunity),
            ("can_compete", can_compete),
            ("can_win", can_win),
            ("worth_winning", worth_winning),
        )
    }
    flags = {
        "meets_minimum_spec": meets_minimum_spec,
        "close_relationship": close_relationship,
        "genuine_competition": genuine_competition,
        "spec_biased": spec_biased,
        "relationship_vague": relationship_vague,
        "competitor_advantage": competitor_advantage,
    }
    for name, value in flags.items():
        if not isinstance(value, bool):
            errors[name] = [_("Choose yes or no.")]
    try:
        note = clean_text(note, "note", NOTE_MAX, multiline=True).strip()
    except ValidationFailed as exc:
        errors.update(exc.errors)
        note = ""
    qualify_date = _date(qualify_by, "qualify_by", errors)
    if errors:
        raise ValidationFailed(
            _("Some answers are not valid: %(problems)s") % {"problems": _summary(errors)}, errors
        )
    policy = ControlPolicy.current()
    suggestion = bid_domain.suggest(bid_domain.BidAnswers(**values, **flags), bid_rules(policy))
    if outcome != suggestion.outcome and not note:
        labels = dict(BidAssessment.Outcome.choices)
        raise ValidationFailed(
            _("The suggestion is “%(suggested)s”; say in the note why you decide “%(decided)s”.")
            % {"suggested": labels[suggestion.outcome], "decided": labels[outcome]},
            {"note": [_("Required when the decision differs from the suggestion.")]},
            code="note_required",
        )
    today = timezone.localdate()
    if outcome == BidAssessment.Outcome.QUALIFY:
        if qualify_date is None:
            qualify_date = today + timedelta(days=policy.bid_qualify_days)
        elif qualify_date <= today:
            raise ValidationFailed(
                _("The deadline to qualify further must be after today."),
                {"qualify_by": [_("Choose a later date.")]},
            )
    else:
        qualify_date = None
    previous = (
        BidAssessment.objects.filter(opportunity=opp)
        .order_by("-assessed_at", "-id")
        .values_list("outcome", flat=True)
        .first()
    )
    row = BidAssessment.objects.create(
        opportunity=opp,
        assessed_by=user,
        assessed_at=timezone.now(),
        buyer_type=buyer_type,
        **values,
        **flags,
        score=suggestion.score,
        suggested_outcome=suggestion.outcome,
        outcome=outcome,
        qualify_by=qualify_date,
        note=note,
    )
    audit_changes(ENTITY, opp.pk, {"bid_decision": (previous or "", outcome)}, user, note[:500])
    opportunity_recheck(opp, user)
    return row
