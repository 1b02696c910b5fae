"""Slots of the home page that apps above the insights fill (kadence.performance's quota position, say):
the home page is below them in the layers, so it cannot import them; each registers a slot once, at
start-up (its AppConfig.ready), and the home page renders the slots that answer for the user, in order.

A slot's `context(user, today)` returns the template's context, or None to show nothing for this user.
It must cost a fixed number of queries whatever the data volume, like the rest of the home page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from kadence.core.models import User


@dataclass(frozen=True)
class HomeSlot:
    key: str
    template: str
    context: Callable[[User, date], dict[str, Any] | None]
    order: int = 50


SLOTS: dict[str, HomeSlot] = {}


def register(slot: HomeSlot) -> None:
    """Add (or replace, by key) a slot."""
    SLOTS[slot.key] = slot


def filled_slots(user: User, today: date) -> list[dict[str, Any]]:
    """The slots to show `user`, in order: {"key", "template", "context"}."""
    shown = []
    for slot in sorted(SLOTS.values(), key=lambda s: (s.order, s.key)):
        context = slot.context(user, today)
        if context is not None:
            shown.append({"key": slot.key, "template": slot.template, "context": context})
    return shown
