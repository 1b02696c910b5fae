"""The target grid (天罗地网, METHODOLOGY §10.1): pure rules, no Django.

A grid holds, for every node of an organisation tree (company → region → team → rep), twelve monthly
figures; a quarter is the sum of its three months and the year the sum of the twelve, so the time axis
always adds up by construction. Along the organisation axis each node keeps its own figure (the one its
parent handed down or negotiated): the **gap** of a node for a month is its figure minus the sum of its
children's. A grid is balanced when every gap is zero; spreading a node down (`spread_down`) or rolling
its children up (`roll_up`) makes it so.

**The remainder rule** (`spread`): a total is spread over weights (or in equal parts when every weight is
zero) in cents by the largest-remainder method: each part first gets its exact share rounded down to the
cent, then the cents still missing go one each to the parts with the largest dropped remainders, ties to
the earlier part. The parts are ≥ 0 and add up to the total exactly, whatever the weights.

Measures that are rates (growth %, average deal size) do not add up: a period of several months shows
their mean, spreading copies the figure down, and no gap is computed."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import TypeVar

CENT = Decimal("0.01")
ZERO = Decimal(0)
MONTHS = 12
Months = list[Decimal]
K = TypeVar("K", bound=Hashable)

PERIODS: dict[str, tuple[int, ...]] = {
    **{f"M{m}": (m - 1,) for m in range(1, 13)},
    **{f"Q{q}": tuple(range((q - 1) * 3, q * 3)) for q in range(1, 5)},
    "Y": tuple(range(MONTHS)),
}
"""A period of the grid's year by its code: M1…M12, Q1…Q4, Y → the month indexes (0-based) it covers."""
PERIOD_ORDER: tuple[str, ...] = (
    "M1", "M2", "M3", "Q1", "M4", "M5", "M6", "Q2", "M7", "M8", "M9", "Q3", "M10", "M11", "M12", "Q4", "Y",
)  # fmt: skip


def zeros() -> Months:
    return [ZERO] * MONTHS


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def spread(total: Decimal, weights: Sequence[Decimal], quantum: Decimal = CENT) -> list[Decimal]:
    """`total` (≥ 0, a multiple of `quantum`) spread over `weights` (each ≥ 0) by the largest-remainder
    rule of the module docstring; in equal parts when the weights add up to zero."""
    n = len(weights)
    if n == 0:
        return []
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("spread: negative total or weight")
    units = int((total / quantum).to_integral_value(rounding=ROUND_DOWN))
    if Decimal(units) * quantum != total:
        raise ValueError("spread: total is not a whole number of quanta")
    weight_sum = sum(weights, ZERO)
    shares = [Decimal(1)] * n if weight_sum == 0 else list(weights)
    share_sum = Decimal(n) if weight_sum == 0 else weight_sum
    # exact integer arithmetic on the quanta: floor(units × w / Σw) and the remainder of that division
    scale = 10 ** max(0, max(-int(s.as_tuple().exponent) for s in [*shares, share_sum]))
    ints = [int(s * scale) for s in shares]
    int_sum = int(share_sum * scale)
    base = [units * w // int_sum for w in ints]
    remainders = [units * w % int_sum for w in ints]
    missing = units - sum(base)
    for i in sorted(range(n), key=lambda i: (-remainders[i], i))[:missing]:
        base[i] += 1
    return [Decimal(b) * quantum for b in base]


def period_value(months: Sequence[Decimal], period: str, *, additive: bool = True) -> Decimal:
    """The figure of `period` (M1…M12, Q1…Q4, Y): the sum of its months, or their mean (to the cent) for
    a rate."""
    values = [months[i] for i in PERIODS[period]]
    total = sum(values, ZERO)
    return total if additive else cents(total / len(values))


def set_period(months: Sequence[Decimal], period: str, amount: Decimal, *, additive: bool = True) -> Months:
    """The twelve months after setting `period` to `amount`: a month is set; a quarter or the year is
    spread over its months in proportion to their current figures (equally when they are all zero), the
    other months untouched. A rate is copied into each month of the period."""
    result = list(months)
    idx = PERIODS[period]
    if not additive:
        for i in idx:
            result[i] = amount
        return result
    for i, part in zip(idx, spread(amount, [max(months[i], ZERO) for i in idx]), strict=True):
        result[i] = part
    return result


def children_of(parents: Mapping[K, K | None]) -> dict[K, list[K]]:
    """The tree as {node: [children]} from {node: parent} (children in the order given)."""
    tree: dict[K, list[K]] = {node: [] for node in parents}
    for node, parent in parents.items():
        if parent is not None and parent in tree:
            tree[parent].append(node)
    return tree


def gaps(tree: Mapping[K, Sequence[K]], rows: Mapping[K, Sequence[Decimal]]) -> dict[K, Months]:
    """For every node with children: its months minus the sum of its children's months (zero: balanced)."""
    result: dict[K, Months] = {}
    for node, kids in tree.items():
        if not kids:
            continue
        own = rows.get(node) or zeros()
        result[node] = [
            own[m] - sum(((rows.get(k) or zeros())[m] for k in kids), ZERO) for m in range(MONTHS)
        ]
    return result


def unbalanced(tree: Mapping[K, Sequence[K]], rows: Mapping[K, Sequence[Decimal]]) -> list[K]:
    """The nodes whose children do not add up to them, in the tree's order."""
    return [node for node, gap in gaps(tree, rows).items() if any(g != 0 for g in gap)]


def subtree(tree: Mapping[K, Sequence[K]], node: K) -> Iterable[K]:
    """`node` and everything below it, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(tree.get(current, ())))


def spread_down(
    tree: Mapping[K, Sequence[K]],
    rows: Mapping[K, Sequence[Decimal]],
    node: K,
    *,
    additive: bool = True,
) -> dict[K, Months]:
    """The rows after spreading `node`'s months over its children, month by month, in proportion to the
    children's current figures (equally when they are all zero), and so on down to the leaves: the
    subtree of `node` is balanced afterwards. A rate is copied down. Only changed rows are returned."""
    current = {k: list(v) for k, v in rows.items()}
    changed: dict[K, Months] = {}
    for parent in subtree(tree, node):
        kids = tree.get(parent, ())
        if not kids:
            continue
        own = current.get(parent) or zeros()
        new_rows = {k: list(current.get(k) or zeros()) for k in kids}
        for m in range(MONTHS):
            if additive:
                parts = spread(own[m], [max(new_rows[k][m], ZERO) for k in kids])
            else:
                parts = [own[m]] * len(kids)
            for k, part in zip(kids, parts, strict=True):
                new_rows[k][m] = part
        for k in kids:
            if new_rows[k] != (current.get(k) or zeros()):
                changed[k] = new_rows[k]
            current[k] = new_rows[k]
    return changed


def roll_up(
    tree: Mapping[K, Sequence[K]],
    rows: Mapping[K, Sequence[Decimal]],
    node: K,
    parents: Mapping[K, K | None] | None = None,
) -> dict[K, Months]:
    """The rows after setting every node of `node`'s subtree that has children to the sum of its children
    (leaves first), and then every ancestor of `node` (given `parents`) likewise: the figures move up to
    what the bottom adds up to. Only changed rows are returned."""
    current = {k: list(v) for k, v in rows.items()}
    changed: dict[K, Months] = {}

    def total(parent: K) -> None:
        kids = tree.get(parent, ())
        if not kids:
            return
        summed = [sum(((current.get(k) or zeros())[m] for k in kids), ZERO) for m in range(MONTHS)]
        if summed != (current.get(parent) or zeros()):
            changed[parent] = summed
        current[parent] = summed

    for parent in reversed(list(subtree(tree, node))):
        total(parent)
    above = parents.get(node) if parents else None
    while above is not None:
        total(above)
        above = parents.get(above) if parents else None
    return changed
