"""The sections of the weekly 1x1 pack, as a small registry: each section is a key, a title, a template
and a context function `(rep, week_start, viewer) -> dict`. The pack page renders the registered
sections in `order`; the API answers each section's context as JSON (so a context holds plain data:
str, int, bool, Decimal, date, lists and dicts of those).

Another part adds its section at merge by one line in SECTION_MODULES (a module that calls
`register(Section(...))` when imported), e.g. for the activity quotas:

    # kadence/rhythm/quotas/pack_section.py
    from kadence.rhythm.pack.sections import Section, register

    register(Section(key="activities", title=gettext_lazy("Activities vs quota"),
                     template="rhythm/quotas/_pack_section.html", context=activities_vs_quota, order=35))

`pdf` (optional) turns the context into tables for the PDF download; without it the PDF shows the
context's plain values and lists generically.

A context function that raises a DomainError (a window out of reach, say) shows its message in place
of the section; the rest of the pack is unaffected.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from importlib import import_module
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from kadence.core.models import User

ContextFunction = Callable[["User", date, "User"], dict[str, Any]]
# The PDF of a section: its context as tables, each a caption and rows (the first row the header).
Table = tuple[str, list[list[str]]]
PdfFunction = Callable[[dict[str, Any]], list[Table]]

# Modules imported once, before the first pack is built, whose import registers sections. The
# coordinator appends other parts' modules here (activities vs quota, plan vs actual, 1-15-30 items).
SECTION_MODULES: list[str] = [
    "kadence.rhythm.pack.builtin",
]


@dataclass(frozen=True)
class Section:
    key: str
    title: StrOrPromise
    template: str
    context: ContextFunction
    order: int = 100
    pdf: PdfFunction | None = None  # None: the context's scalars and lists of rows, as they are


_SECTIONS: dict[str, Section] = {}
_loaded = False


def register(section: Section) -> Section:
    """Add (or replace, by key) a section of the pack."""
    _SECTIONS[section.key] = section
    return section


def unregister(key: str) -> None:
    _SECTIONS.pop(key, None)


def sections() -> list[Section]:
    """The registered sections, in order (the modules of SECTION_MODULES imported first)."""
    global _loaded
    if not _loaded:
        for module in SECTION_MODULES:
            import_module(module)
        _loaded = True
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


# --- figures several sections share, read once per pack ----------------------------------------------

T = TypeVar("T")
_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("pack_memo", default=None)


@contextmanager
def pack_scope() -> Iterator[None]:
    """While a pack is built: `memo` keeps what one section read for the next (outside, it does not)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memo(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per pack for `key` (every time outside a pack)."""
    store = _memo.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    value: T = store[key]
    return value
