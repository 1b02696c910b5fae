"""Template helpers shared by the pages: money and percentages, query strings for sort and pager
links, and a sortable column header.

    {% load kadence %}
    {{ opp.amount|money }}            1,200,000   (below 1,000: two decimals); 120万 or 0.12亿 as the
                                      user prefers (kadence.core.amounts)
    {{ criterion.config.standard|bilingual }}   the active language's half of "中文 / English"
    {{ opp.probability|pct }}         25%
    <a href="{% qs 'page' 2 %}">      ?q=abc&page=2  (keeps the other parameters)
    {% sort_header 'amount' _('Amount') target='#opp-table' %}
    <input type="date" value="{{ day|iso }}">   2026-11-07 in every language
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.apps import apps
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kadence.core.amounts import format_amount
from kadence.core.i18n import chinese_active
from kadence.core.widgets import iso_date

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


@register.filter
def money(value) -> str:
    """The one way pages show an amount: in the signed-in user's unit (yuan with thousands separators,
    whole from 1,000 up and cents below; or 万 / 亿), "—" for none."""
    return format_amount(value)


@register.filter
def bilingual(text) -> str:
    """Shipped configuration text written in both languages, "中文 / English" (the stage tasks'
    standards): the half in the active language. Text without the separator is returned as it is."""
    chinese, separator, english = str(text or "").partition(" / ")
    if not separator:
        return text
    return chinese if chinese_active() else english


@register.filter
def pct(value) -> str:
    number = _decimal(value)
    if number is None:
        return "—"
    return f"{number:.0f}%" if number == number.to_integral() else f"{number:.1f}%"


@register.filter
def criterion_kind(code: str) -> str:
    """The label of an exit criterion's kind (evidence, field, assessment, approval, task): core's error
    partial lists the criteria a gate misses. The model is looked up in the app registry, as in
    kadence.core.visibility, because core imports no app above it."""
    kinds = apps.get_model("pipeline.ExitCriterion").Kind
    return str(dict(kinds.choices).get(code, code))


def _base_query(context) -> QueryDict:
    query = context.get("query")
    if isinstance(query, QueryDict):
        return query.copy()
    request = context.get("request")
    return request.GET.copy() if request is not None else QueryDict(mutable=True)


@register.simple_tag(takes_context=True)
def qs(context, *pairs) -> str:
    """The current query string (the context's `query` QueryDict, else request.GET) with the given
    key/value pairs replaced; an empty or None value removes the key. Changing anything but a page
    number resets the list pager."""
    query = _base_query(context)
    keys = pairs[0::2]
    for key, value in zip(keys, pairs[1::2], strict=False):
        key = str(key)
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    if not any(str(k) == "page" or str(k).startswith("col_") for k in keys):
        query.pop("page", None)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str, target: str = "", css: str = "") -> str:
    """A column header link that sorts by `key` (ascending first; click again for descending)."""
    current = _base_query(context).get("sort") or context.get("default_sort", "")
    if current == key:
        next_sort, arrow, state = f"-{key}", " ▲", "ascending"
    elif current == f"-{key}":
        next_sort, arrow, state = key, " ▼", "descending"
    else:
        next_sort, arrow, state = key, "", "none"
    href = qs(context, "sort", next_sort)
    title = _("Sort by %(column)s") % {"column": label}
    if target:
        return format_html(
            '<a href="{}" hx-get="{}" hx-target="{}" hx-swap="outerHTML" hx-push-url="true" title="{}" data-sort="{}">{}{}</a>',
            href,
            href,
            target,
            title,
            state,
            label,
            arrow,
        )
    return format_html('<a href="{}" title="{}" data-sort="{}">{}{}</a>', href, title, state, label, arrow)


@register.filter
def iso(value) -> str:
    """A date as YYYY-MM-DD for the value of an <input type="date"> written by hand in a template:
    the browser takes nothing else, whatever the language ("" for no date)."""
    if value is None or value == "":
        return ""
    return str(iso_date(value))


@register.filter
def select_options(optgroups: Any) -> str:
    """The <option>s (and <optgroup>s) of a select widget's `optgroups`, written in Python: the same
    markup as Django's select_option.html, without a template render per option — a filter of people
    lists every user of the company (2,000+), and per-option templates cost a tenth of a second."""
    parts: list[str] = []
    for group_name, choices, _index in optgroups:
        if group_name:
            parts.append(format_html('<optgroup label="{}">', group_name))
        for option in choices:
            parts.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    str(option["value"]),
                    flatatt(option["attrs"]),
                    option["label"],
                )
            )
        if group_name:
            parts.append("</optgroup>")
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html
