"""Importance writes: compute scores (a chunk of accounts at a time; the nightly job and
`kadence compute_importance` do every account), the owner enters the scores Kadence cannot compute, a
writer of the account overrides its type with a reason, an admin sets the criteria (weights adding to
100, bands) and the type rules. Atomic, audited, the changed row locked; a stale edit is a 409."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.models import Account
from kadence.core.audit import audit_changes, diff
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_text
from kadence.core.visibility import access_account, can_configure_importance
from kadence.domain.kam import importance as di
from kadence.keyaccounts.importance import selectors as sel
from kadence.keyaccounts.importance.models import (
    AccountImportance,
    CustomerType,
    ImportanceConfig,
    ImportanceCriterion,
    ImportanceEntry,
    ImportanceScore,
)

CHUNK = 1000
MAX_BAND = Decimal("1e12")


def _score_chunk(ids: list[int], as_of: date, actor: User | None) -> int:
    rows = sel.criteria()
    rules = sel.type_rules(sel.config())
    found = sel.facts(ids, as_of)
    now = timezone.now()
    scores = []
    for pk in ids:
        scored = sel.score_facts(found[pk], as_of, rows, rules)
        scores.append(
            ImportanceScore(
                account_id=pk,
                scored_on=as_of,
                score=scored.score,
                complete=scored.complete,
                detail=scored.detail,
                customer_type=scored.customer_type or "",
                computed_by=actor,
                computed_at=now,
            )
        )
    ImportanceScore.objects.filter(account_id__in=ids, scored_on=as_of).delete()
    ImportanceScore.objects.bulk_create(scores)
    current = {c.pk: c for c in AccountImportance.objects.select_for_update().filter(pk__in=ids)}
    changed, new = [], []
    for s in scores:
        row = current.get(s.account_id)
        if row is None:
            new.append(
                AccountImportance(
                    account_id=s.account_id,
                    score=s.score,
                    scored_on=as_of,
                    auto_type=s.customer_type,
                    updated_at=now,
                )
            )
        elif row.scored_on is None or row.scored_on <= as_of:  # a back-dated run leaves today's figures
            row.score, row.scored_on, row.auto_type, row.updated_at = s.score, as_of, s.customer_type, now
            changed.append(row)
    AccountImportance.objects.bulk_update(changed, ["score", "scored_on", "auto_type", "updated_at"])
    AccountImportance.objects.bulk_create(new, ignore_conflicts=True)
    return len(scores)


def compute(
    account_ids: Iterable[int] | None = None, *, as_of: date | None = None, actor: User | None = None
) -> int:
    """Score the accounts given (every account when None) as of a day (default today): one
    ImportanceScore per account for the day (replacing that day's) and the current score and type.
    Returns the accounts scored."""
    day = as_of or timezone.localdate()
    ids_qs = Account.objects.order_by("pk").values_list("pk", flat=True)
    if account_ids is not None:
        ids_qs = ids_qs.filter(pk__in=list(account_ids))
    done = 0
    last = 0
    while True:
        ids = list(ids_qs.filter(pk__gt=last)[:CHUNK])
        if not ids:
            return done
        with transaction.atomic():
            done += _score_chunk(ids, day, actor)
        last = ids[-1]


def compute_account(user: User, account_id: int, *, as_of: date | None = None) -> ImportanceScore:
    """A writer of the account scores it now (today's row replaced)."""
    account = access_account(user, account_id, for_write=True)
    day = as_of or timezone.localdate()
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        _score_chunk([account.pk], day, user)
    return ImportanceScore.objects.get(account=account, scored_on=day)


def _score(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationFailed(_("Scores are whole numbers from 1 to 5."), {field: [_("Enter 1 to 5.")]})
    return value


@transaction.atomic
def entries_set(user: User, account_id: int, scores: Mapping[str, Any], *, note: str = "") -> ImportanceScore:
    """The owner (or whoever may change the account) enters scores 1–5 for the criteria Kadence cannot
    compute; each entry is kept (who, when, the note) and the account is scored again."""
    account = access_account(user, account_id, for_write=True)
    note = clean_text(note, "note", 500, multiline=True)
    entered = {
        c.code: c for c in ImportanceCriterion.objects.filter(source=ImportanceCriterion.Source.ENTERED)
    }
    if not scores:
        raise ValidationFailed(_("Enter at least one score."), {"scores": [_("Enter at least one score.")]})
    clean: dict[str, int] = {}
    for code, value in scores.items():
        if code not in entered:
            raise ValidationFailed(
                _("Only the criteria entered by the owner take a score here."),
                {"scores": [_("Unknown or computed criterion: %(code)s") % {"code": str(code)[:40]}]},
            )
        clean[code] = _score(value, f"scores.{code}")
    Account.objects.select_for_update().filter(pk=account.pk).first()
    latest = sel.facts([account.pk], timezone.localdate())[account.pk].entries
    now = timezone.now()
    ImportanceEntry.objects.bulk_create(
        ImportanceEntry(account=account, criterion=code, score=s, note=note, entered_by=user, entered_at=now)
        for code, s in clean.items()
    )
    audit_changes(
        "keyaccounts.importance",
        account.pk,
        {code: (latest[code].score if code in latest else None, s) for code, s in clean.items()},
        user,
        note,
    )
    day = timezone.localdate()
    _score_chunk([account.pk], day, user)
    return ImportanceScore.objects.get(account=account, scored_on=day)


@transaction.atomic
def type_override(
    user: User, account_id: int, *, version: int, customer_type: str, reason: str
) -> AccountImportance:
    """Set (a type code) or clear ("") the manual type of an account, with the reason (required,
    audited). `version` is the AccountImportance's as read — 0 when the account has none yet."""
    version = require_version(version)
    account = access_account(user, account_id, for_write=True)
    if customer_type not in ("", *CustomerType.values):
        raise ValidationFailed(_("Unknown customer type."), {"customer_type": [_("Choose a type.")]})
    reason = clean_text(reason, "reason", 500, multiline=True).strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the type is set by hand."), {"reason": [_("This field is required.")]}
        )
    row = AccountImportance.objects.select_for_update().filter(pk=account.pk).first()
    if row is None:
        if version != 0:
            raise Conflict(_("This record was changed by someone else. Reload it."), current_version=0)
        row = AccountImportance.objects.create(account=account, version=0)
        version = 0
    values = {
        "type_override": customer_type,
        "override_reason": reason if customer_type else "",
        "overridden_by": user if customer_type else None,
        "overridden_at": timezone.now() if customer_type else None,
    }
    changes = diff(row, {"type_override": customer_type})
    versioned_update(row, version, values)
    audit_changes("keyaccounts.accountimportance", row.pk, changes, user, reason)
    return row


# --- configuration ---------------------------------------------------------------------------------------


def _require_admin(user: User) -> None:
    if not can_configure_importance(user):
        raise PermissionDenied(_("Only an admin configures the importance criteria."))


def _bands(value: Any, field: str) -> list[str]:
    message = _("Give four thresholds, each at least the one before.")
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise ValidationFailed(message, {field: [message]})
    try:
        numbers = [Decimal(str(v)) for v in value]
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(message, {field: [_("Enter a number.")]}) from exc
    if any(not n.is_finite() or abs(n) >= MAX_BAND for n in numbers):
        raise ValidationFailed(message, {field: [_("Out of range.")]})
    try:
        di.check_bands(numbers)
    except di.RuleError as exc:
        raise ValidationFailed(message, {field: [message]}) from exc
    return [format(n.normalize(), "f") for n in numbers]


def _locked_config(version: int) -> ImportanceConfig:
    version = require_version(version)
    sel.config()
    row = ImportanceConfig.objects.select_for_update().get(pk=1)
    versioned_update(row, version, {"updated_at": timezone.now()})  # a stale edit is a 409 first
    return row


@transaction.atomic
def criteria_set(
    user: User,
    *,
    version: int,
    weights: Mapping[str, Any],
    bands: Mapping[str, Any] | None = None,
) -> ImportanceConfig:
    """An admin sets the nine weights (whole numbers adding to 100) and the bands of the computed
    criteria; `version` is the configuration's as read (409 when stale)."""
    _require_admin(user)
    row = _locked_config(version)
    rows = {c.code: c for c in ImportanceCriterion.objects.select_for_update()}
    clean: dict[str, int] = {}
    for code in rows:
        w = weights.get(code)
        if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= 100:
            raise ValidationFailed(
                _("Each weight is a whole number from 0 to 100."), {f"weights.{code}": [_("Enter 0 to 100.")]}
            )
        clean[code] = w
    unknown = set(weights) - set(rows)
    if unknown:
        raise ValidationFailed(
            _("Unknown criterion."), {"weights": [", ".join(sorted(map(str, unknown)))[:200]]}
        )
    if sum(clean.values()) != 100:
        message = _("The weights add to %(total)d; they must add to 100.") % {"total": sum(clean.values())}
        raise ValidationFailed(message, {"weights": [message]})
    new_bands: dict[str, list[str]] = {}
    for code, value in (bands or {}).items():
        if code not in rows or rows[code].source != ImportanceCriterion.Source.COMPUTED:
            raise ValidationFailed(_("Only computed criteria have bands."), {"bands": [str(code)[:40]]})
        new_bands[code] = _bands(value, f"bands.{code}")
    for code, c in rows.items():
        values: dict[str, Any] = {"weight": clean[code]}
        if code in new_bands:
            values["bands"] = new_bands[code]
        changes = diff(c, values)
        if changes:
            for k, v in values.items():
                setattr(c, k, v)
            c.save(update_fields=list(values))
            audit_changes("keyaccounts.importancecriterion", c.pk, changes, user)
    return row


RULE_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "profit_min_profit": (Decimal(1), Decimal(5)),
    "profit_min_sales": (Decimal(1), Decimal(5)),
    "brand_min_influence": (Decimal(1), Decimal(5)),
    "brand_max_profit": (Decimal(1), Decimal(5)),
    "loyal_min_years": (Decimal(0), Decimal(100)),
    "loyal_min_continuity": (Decimal(0), Decimal(50)),
    "small_max_sales": (Decimal(1), Decimal(5)),
    "small_min_growth": (Decimal(1), Decimal(5)),
    "new_max_months": (Decimal(1), Decimal(120)),
}


@transaction.atomic
def rules_set(user: User, *, version: int, **values: Any) -> ImportanceConfig:
    """An admin sets the thresholds of the type rules (those given); `version` as read (409 stale)."""
    _require_admin(user)
    clean: dict[str, Any] = {}
    for name, raw in values.items():
        if name not in RULE_LIMITS or raw is None:
            continue
        low, high = RULE_LIMITS[name]
        try:
            number = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            number = Decimal("NaN")
        whole = name != "loyal_min_years"
        if (
            not number.is_finite()
            or not low <= number <= high
            or (whole and number != number.to_integral())
            or (not whole and number != number.quantize(Decimal("0.1")))
            or isinstance(raw, bool)
        ):
            raise ValidationFailed(
                _("Out of range."),
                {name: [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]},
            )
        clean[name] = int(number) if whole else number
    row = _locked_config(version)
    changes = diff(row, clean)
    if clean:
        ImportanceConfig.objects.filter(pk=row.pk).update(**clean)
        for k, v in clean.items():
            setattr(row, k, v)
    audit_changes("keyaccounts.importanceconfig", row.pk, changes, user)
    return row
