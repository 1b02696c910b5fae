"""Account groups, read (issue 15 §1): the tree of a group (集团 → 子公司 → 分支机构, any depth) as the user
may see it, and its roll-ups — open pipeline, won revenue this year (kadence.keyaccounts.revenue), deal
counts and buying power — per account and summed over each subtree.

The tree is read in one recursive query (kadence.accounts.tree), the figures in one grouped query each,
whatever the group's size: a constant number of queries. Only accounts the user may see
(visible_accounts) are shown or counted; a visible account whose parent is hidden hangs under its nearest
visible ancestor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from kadence.accounts.models import Account
from kadence.accounts.tree import ancestors, descendants
from kadence.core.models import User
from kadence.core.visibility import access_account, visible_accounts
from kadence.keyaccounts.revenue import won_revenue
from kadence.keyaccounts.value import selectors as value_selectors
from kadence.pipeline.models import Opportunity

ZERO = Decimal(0)


def buying_power_of(account_ids: Iterable[int], year: int) -> dict[int, Decimal]:
    """{account id: buying power} for `year`: the value part's (the year's entry, else the account's single
    figure; an unknown BP counts 0 in a total)."""
    return {pk: bp or ZERO for pk, bp in value_selectors.buying_powers_for(account_ids, year).items()}


@dataclass
class Figures:
    open_amount: Decimal = ZERO
    open_count: int = 0
    won_amount: Decimal = ZERO  # won this year (kadence.keyaccounts.revenue.won_revenue)
    won_count: int = 0
    buying_power: Decimal = ZERO
    accounts: int = 0

    def add(self, other: Figures) -> None:
        self.open_amount += other.open_amount
        self.open_count += other.open_count
        self.won_amount += other.won_amount
        self.won_count += other.won_count
        self.buying_power += other.buying_power
        self.accounts += other.accounts

    def as_dict(self) -> dict[str, Decimal | int]:
        return {
            "open_amount": self.open_amount,
            "open_count": self.open_count,
            "won_amount": self.won_amount,
            "won_count": self.won_count,
            "buying_power": self.buying_power,
            "accounts": self.accounts,
        }


@dataclass
class GroupNode:
    id: int
    name: str
    parent_id: int | None  # the nearest visible ancestor
    depth: int  # below the tree's top, counting only visible accounts
    status: str
    owner: str
    own: Figures
    total: Figures = field(default_factory=Figures)
    children: list[GroupNode] = field(default_factory=list)


@dataclass
class GroupTree:
    focus_id: int  # the account asked about
    top: GroupNode  # the highest account of its group the user sees
    nodes: list[GroupNode]  # the tree depth first (each node followed by its subtree)
    ancestors: list[tuple[int, str]]  # the focus account's visible ancestors, top first
    hidden: int  # accounts of the group the user may not see (neither shown nor counted)
    year: int

    @property
    def focus(self) -> GroupNode:
        return next(n for n in self.nodes if n.id == self.focus_id)

    @property
    def is_group(self) -> bool:
        return len(self.nodes) > 1


def figures_of(account_ids: list[int], year: int) -> dict[int, Figures]:
    """Each account's own figures (not rolled up): four grouped queries."""
    out = {pk: Figures(accounts=1) for pk in account_ids}
    if not account_ids:
        return out
    start, end = date(year, 1, 1), date(year, 12, 31)
    open_rows = (
        Opportunity.objects.filter(account_id__in=account_ids, status=Opportunity.Status.OPEN)
        .values("account_id")
        .order_by()
        .annotate(n=Count("id"), s=Sum("amount"))
    )
    for row in open_rows:
        out[row["account_id"]].open_count = row["n"]
        out[row["account_id"]].open_amount = row["s"] or ZERO
    for pk, amount in won_revenue(account_ids, start, end).items():
        out[pk].won_amount = amount or ZERO
    won_rows = (
        Opportunity.objects.filter(
            account_id__in=account_ids,
            status=Opportunity.Status.WON,
            closed_on__gte=start,
            closed_on__lte=end,
        )
        .values("account_id")
        .order_by()
        .annotate(n=Count("id"))
    )
    for row in won_rows:
        out[row["account_id"]].won_count = row["n"]
    for pk, bp in buying_power_of(account_ids, year).items():
        out[pk].buying_power = bp or ZERO
    return out


def group_tree(user: User, account_id: int, *, year: int | None = None) -> GroupTree:
    """The group `account_id` belongs to, from the highest ancestor the user sees down to every visible
    account below it, each with its own figures and its subtree's totals. NotFound when the user may not
    see the account."""
    account = access_account(user, account_id)
    year = year or timezone.localdate().year
    up = ancestors(account.pk)  # parent first
    visible_up = set(
        visible_accounts(user).filter(pk__in=[row[0] for row in up]).values_list("pk", flat=True)
    )
    top_id = next((row[0] for row in reversed(up) if row[0] in visible_up), account.pk)
    rows = descendants([top_id])
    parent_of = {pk: parent for pk, parent, _depth in rows}
    ids = list(parent_of)
    shown = set(visible_accounts(user).filter(pk__in=ids).values_list("pk", flat=True))
    shown.add(top_id)
    info = {
        row["pk"]: row
        for row in Account.objects.filter(pk__in=shown).values(
            "pk", "name", "status", "owner__display_name", "owner__username"
        )
    }
    figures = figures_of(sorted(shown), year)
    nodes: dict[int, GroupNode] = {}
    for pk, _parent, _depth in rows:  # breadth first: a parent comes before its children
        if pk not in shown:
            continue
        parent = parent_of.get(pk) if pk != top_id else None
        while parent is not None and parent not in shown:
            parent = parent_of.get(parent)
        row = info[pk]
        nodes[pk] = GroupNode(
            id=pk,
            name=row["name"],
            parent_id=parent,
            depth=0,
            status=row["status"],
            owner=row["owner__display_name"] or row["owner__username"],
            own=figures[pk],
        )
    for node in nodes.values():
        if node.parent_id is not None:
            nodes[node.parent_id].children.append(node)
    ordered: list[GroupNode] = []

    def walk(node: GroupNode, depth: int) -> Figures:
        node.depth = depth
        ordered.append(node)
        total = Figures()
        total.add(node.own)
        node.children.sort(key=lambda n: (n.name, n.id))
        for child in node.children:
            total.add(walk(child, depth + 1))
        node.total = total
        return total

    walk(nodes[top_id], 0)
    return GroupTree(
        focus_id=account.pk,
        top=nodes[top_id],
        nodes=ordered,
        ancestors=[(row[0], info[row[0]]["name"]) for row in reversed(up) if row[0] in shown],
        hidden=len(ids) - len(shown & set(ids)),
        year=year,
    )


def group_tops(user: User, *, q: str = "") -> QuerySet[Account]:
    """The visible accounts that head a group (no parent, at least one child), by name: the group list."""
    parents = Account.objects.filter(parent__isnull=False).order_by().values("parent_id")
    qs = visible_accounts(user).filter(parent__isnull=True, pk__in=parents)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.select_related("owner").order_by("name", "pk")


def members_of(account: Account) -> list:
    """The account's collaborators with their user and who added them."""
    return list(account.members.select_related("user", "added_by").order_by("added_at", "pk"))
