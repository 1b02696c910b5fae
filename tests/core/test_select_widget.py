"""Kadence renders <select> options in Python (kadence/templates/django/forms/widgets/select.html and
the select_options filter) because per-option template includes were slow for long lists of people
(issue 10). The markup must be Django's: the same options, values, labels, escaping, selection and
groups, for a plain, a grouped and a multiple select."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

CHOICES = [
    ("", "---------"),
    (1, "王 <建华>"),
    ("Team", [(2, "李 & 张"), (3, 'say "hi"')]),
    (4, "赵四"),
]


def _normal(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.Select(choices=CHOICES, attrs={"class": "x", "data-id": "7"}), 3),
        (forms.Select(choices=CHOICES), None),
        (forms.SelectMultiple(choices=CHOICES), [1, 2]),
    ],
)
def test_the_select_is_djangos_markup(widget, value):
    ours = widget.render("owner", value)  # through FORM_RENDERER (the project's templates)
    djangos = widget.render("owner", value, renderer=DjangoTemplates())
    assert "select_option" not in ours
    assert _normal(ours) == _normal(djangos)
    assert "王 &lt;建华&gt;" in ours and "李 &amp; 张" in ours
