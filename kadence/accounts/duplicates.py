"""Duplicate detection when an account is created (issue 15 §1): the same unified social credit code is a
duplicate (blocking unless confirmed); a similar name is a warning. Names are compared by their key
(kadence.domain.kam.groups.normalise_name), stored on the account (name_key, name_prefix) so that the
candidates are read through an index — the same key, a shorter key the name starts with, or a key
starting with the same characters — and only those few are scored in Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from kadence.accounts.models import Account
from kadence.domain.kam.groups import PREFIX_LENGTH, SIMILAR_AT, key_prefixes, normalise_name, similarity

CANDIDATES_READ = 300  # at most this many rows are scored
SHOWN = 10
STEM = 4  # a longer key must start with these many characters of the new one to be read


@dataclass(frozen=True)
class DuplicateCandidate:
    id: int
    name: str
    credit_code: str
    owner: str
    reason: str  # "credit_code" | "name"
    score: float


def clean_credit_code(code: Any) -> str:
    return "".join(str(code or "").split()).upper()[:18]


def credit_code_matches(code: str, *, exclude_id: int | None = None) -> list[Account]:
    code = clean_credit_code(code)
    if not code:
        return []
    qs = Account.objects.filter(credit_code=code).select_related("owner").order_by("pk")
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs[:SHOWN])


def find_duplicates(
    name: str = "", credit_code: str = "", *, exclude_id: int | None = None, limit: int = SHOWN
) -> list[DuplicateCandidate]:
    """Accounts that may be the one being created: those with the same credit code first (score 1),
    then those whose name key is similar (score ≥ SIMILAR_AT), best first."""
    found: dict[int, DuplicateCandidate] = {}
    for account in credit_code_matches(credit_code, exclude_id=exclude_id):
        found[account.pk] = DuplicateCandidate(
            account.pk, account.name, account.credit_code, account.owner.label, "credit_code", 1.0
        )
    key = normalise_name(name)
    if len(key) >= PREFIX_LENGTH:
        stem = key[: min(len(key), STEM)]
        rule = Q(name_key=key) | Q(name_prefix=key[:PREFIX_LENGTH], name_key__startswith=stem)
        prefixes = key_prefixes(key)
        if prefixes:
            rule |= Q(name_key__in=prefixes)
        qs = Account.objects.filter(rule).select_related("owner").order_by("name_key", "pk")
        if exclude_id:
            qs = qs.exclude(pk=exclude_id)
        scored = []
        for account in qs[:CANDIDATES_READ]:
            if account.pk in found:
                continue
            score = similarity(key, account.name_key)
            if score >= SIMILAR_AT:
                scored.append((score, account))
        scored.sort(key=lambda pair: (-pair[0], pair[1].pk))
        for score, account in scored:
            found[account.pk] = DuplicateCandidate(
                account.pk, account.name, account.credit_code, account.owner.label, "name", score
            )
    return list(found.values())[:limit]


def refresh_name_keys(account_ids: list[int] | None = None) -> int:
    """Recompute name_key / name_prefix (for accounts written in bulk, e.g. by the demo loader, which
    bypasses save()). Returns the rows changed."""
    qs = Account.objects.order_by("pk").only("pk", "name", "name_key", "name_prefix")
    if account_ids is not None:
        qs = qs.filter(pk__in=account_ids)
    changed = []
    for account in qs.iterator(chunk_size=2000):
        before = (account.name_key, account.name_prefix)
        account.set_name_key()
        if before != (account.name_key, account.name_prefix):
            changed.append(account)
    Account.objects.bulk_update(changed, ["name_key", "name_prefix"], batch_size=2000)
    return len(changed)
