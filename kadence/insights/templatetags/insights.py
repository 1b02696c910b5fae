"""Template helpers of the report pages: the words for the codes the report selectors return, from the
same functions the exports use, so a page and its spreadsheet say the same thing.

    {% load insights %}
    {{ stage.status|ideal_label }}      不足 / shortfall
"""

from __future__ import annotations

from django import template

from kadence.insights.selectors.ideal import ideal_label as _ideal_label

register = template.Library()


@register.filter
def ideal_label(value: str) -> str:
    return _ideal_label(value)
