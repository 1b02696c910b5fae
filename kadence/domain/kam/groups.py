"""Account groups (集团 / 子公司 / 分支机构), pure rules: the normalised name duplicate detection compares,
the similarity of two names, the cycle rule of the account tree, and the roll-up of figures over a tree.
No Django, no database."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from difflib import SequenceMatcher

# Legal-form and filler words that say nothing about which organisation it is, longest first so that
# 股份有限公司 goes before 有限公司. Removed anywhere in the name (a branch is "XX有限公司北京分公司").
LEGAL_WORDS = (
    "股份有限责任公司",
    "有限责任公司",
    "股份有限公司",
    "集团有限公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "集团",
    "公司",
    "(中国)",
    "中国区",
)
# The same in Latin script, as whole words once punctuation is a space ("Huawei Co., Ltd." → "huawei").
LATIN_WORDS = re.compile(r"\b(?:co|company|ltd|limited|inc|incorporated|corp|corporation|group|holdings?)\b")
NAME_KEY_LENGTH = 200
PREFIX_LENGTH = 2  # the characters of the key candidates must share at the start (prefix filtering)
SIMILAR_AT = 0.6  # a ratio at or above this is "similar"
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise_name(name: str) -> str:
    """The key a name is compared by: NFKC (full-width → half-width, so （中国） is (中国)), lower case,
    legal-form words removed, then every space and punctuation mark removed.
    "华为技术有限公司" → "华为技术"; "华为技术（中国）有限公司" → "华为技术"."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = re.sub(r"\s+", " ", text)
    for word in LEGAL_WORDS:
        text = text.replace(word, " ")
    text = LATIN_WORDS.sub(" ", _PUNCT.sub(" ", text))
    key = _PUNCT.sub("", text)
    return key[:NAME_KEY_LENGTH]


def similarity(a: str, b: str) -> float:
    """How alike two normalised keys are, 0–1 (difflib's ratio: 2 × matching characters ÷ both lengths);
    one key holding the other whole counts at least 0.8 ("华为" in "华为技术")."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
    if a in b or b in a:
        ratio = max(ratio, 0.8)
    return round(ratio, 4)


def key_prefixes(key: str) -> list[str]:
    """Every leading part of `key` at least PREFIX_LENGTH long: a stored key equal to one of them is a
    shorter name the new one starts with ("华为" for "华为技术")."""
    return [key[:n] for n in range(PREFIX_LENGTH, len(key))]


def would_cycle(account_id: int, new_parent_id: int | None, ancestors_of_parent: Iterable[int]) -> bool:
    """Would giving `account_id` the parent `new_parent_id` make it its own ancestor? True when the
    parent is the account itself or has the account among its ancestors."""
    if new_parent_id is None:
        return False
    return new_parent_id == account_id or account_id in set(ancestors_of_parent)


def subtree_of(root: int, parent_of: Mapping[int, int | None]) -> list[int]:
    """The ids of `root` and everything below it, breadth first, given {id: parent id}."""
    children: dict[int, list[int]] = {}
    for node, parent in parent_of.items():
        if parent is not None:
            children.setdefault(parent, []).append(node)
    out, queue = [], [root]
    seen: set[int] = set()
    while queue:
        node = queue.pop(0)
        if node in seen:
            continue
        seen.add(node)
        out.append(node)
        queue.extend(sorted(children.get(node, [])))
    return out


def roll_up(
    root: int, parent_of: Mapping[int, int | None], figures: Mapping[int, Mapping[str, Decimal | int]]
) -> dict[str, Decimal | int]:
    """The sum of each figure over `root`'s subtree (nodes without figures add nothing)."""
    total: dict[str, Decimal | int] = {}
    for node in subtree_of(root, parent_of):
        for name, value in figures.get(node, {}).items():
            total[name] = total.get(name, 0) + value
    return total
