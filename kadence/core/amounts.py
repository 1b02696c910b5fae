"""How amounts are shown to a person: in yuan (1,200,000), in 万 (120万) or in 亿 (1.2亿), as each user
prefers (User.amount_unit). Chinese business people read large amounts in 万 and 亿; a table of
eight-digit numbers is hard to compare at a glance.

The preference is activated per request (kadence.core.middleware, like the language), so the one money
filter of the templates and the chart axes built on the server follow it without every view passing
it along. Only what people read changes: forms, the API and exports keep exact numbers.

    activate_unit("wan"); format_amount(Decimal("1234567"))   → "123.46万"
    money_axis([0, 61_000_000])                                → Plotly axis ticks "0", "2,000万", …
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from contextvars import ContextVar, Token
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.core.i18n import chinese_active


class AmountUnit(models.TextChoices):
    """The unit amounts are shown in. AUTO: 万 or 亿 by the size of the amount when the page is in
    Chinese, whole yuan in English."""

    YUAN = "yuan", gettext_lazy("Yuan (1,200,000)")
    WAN = "wan", gettext_lazy("Ten thousands, 万 (120万)")
    YI = "yi", gettext_lazy("Hundred millions, 亿 (0.12亿)")
    AUTO = "auto", gettext_lazy("Automatic: 万 and 亿 in Chinese, yuan in English")


WAN = Decimal(10_000)
YI = Decimal(100_000_000)
DIVISORS = {AmountUnit.WAN: WAN, AmountUnit.YI: YI}
TICKS = 5  # about this many ticks on an amount axis
# An axis of counts: digits grouped (12,000), fractions only where Plotly puts a tick between whole
# numbers, never the SI suffixes Plotly uses by default (12k).
COUNT_AXIS = {"tickformat": ",.10~g", "hoverformat": ",.10~g"}

_unit: ContextVar[str] = ContextVar("kadence_amount_unit", default=AmountUnit.YUAN)


def activate_unit(unit: str | None) -> Token:
    """Show amounts in `unit` (an AmountUnit value; anything else means yuan) until reset_unit(token)."""
    return _unit.set(unit if unit in AmountUnit.values else AmountUnit.YUAN)


def reset_unit(token: Token) -> None:
    _unit.reset(token)


def current_unit() -> str:
    return _unit.get()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def unit_for(magnitude: Decimal, unit: str | None = None) -> str:
    """The concrete unit (yuan, wan or yi) for an amount of this size under the preference `unit`
    (default the active one): AUTO picks 亿 from 1亿, 万 from 1万, in Chinese only."""
    unit = unit or current_unit()
    if unit != AmountUnit.AUTO:
        return unit if unit in AmountUnit.values else AmountUnit.YUAN
    if not chinese_active():
        return AmountUnit.YUAN
    magnitude = abs(magnitude)
    return AmountUnit.YI if magnitude >= YI else AmountUnit.WAN if magnitude >= WAN else AmountUnit.YUAN


def _yuan(number: Decimal) -> str:
    """Whole units from 1,000 up and for whole numbers, cents below (small fees)."""
    if abs(number) >= 1000 or number == number.to_integral_value():
        return f"{number:,.0f}"
    return f"{number:,.2f}"


def _scaled(number: Decimal, unit: str) -> str:
    scaled = (number / DIVISORS[unit]).quantize(Decimal("0.01"))
    if not scaled:
        return "0"
    text = f"{scaled:,.2f}".rstrip("0").rstrip(".")
    if unit == AmountUnit.WAN:
        return _("%(amount)s wan") % {"amount": text}
    return _("%(amount)s yi") % {"amount": text}


def format_amount(value: Any, unit: str | None = None) -> str:
    """An amount as people read it, in the preferred unit (default the active one); "—" for nothing.
    万 and 亿 keep up to two decimals (123.46万), so a change of 100 yuan in 亿 may not show."""
    number = _decimal(value)
    if number is None:
        return "—"
    concrete = unit_for(number, unit)
    return _yuan(number) if concrete == AmountUnit.YUAN else _scaled(number, concrete)


def _nice_step(span: float) -> float:
    """1, 2 or 5 × a power of ten, so that about TICKS steps cover `span`."""
    raw = span / TICKS
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def money_axis(values: Iterable[Any]) -> dict[str, Any]:
    """Plotly settings for an amount axis: ticks placed on round numbers covering `values` (pass the
    heights of stacked bars, not their parts) and labelled like format_amount, all in one unit (the
    largest value's, under AUTO); hover shows the exact amount. Without this Plotly labels 60,000,000
    "60M", which is neither Chinese nor how a Chinese reader counts."""
    numbers = [float(n) for n in (_decimal(v) for v in values) if n is not None]
    low, high = min([0.0, *numbers]), max([0.0, *numbers])
    settings: dict[str, Any] = {"hoverformat": ",.0f", "separatethousands": True, "automargin": True}
    if high == low:
        return {**settings, "tickformat": ",.0f"}
    step = _nice_step(high - low)
    first, last = math.floor(low / step), math.ceil(high / step)
    ticks = [round(i * step, 2) for i in range(first, last + 1)]
    unit = unit_for(Decimal(str(max(abs(low), abs(high)))))
    return {
        **settings,
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [format_amount(tick, unit) for tick in ticks],
    }
