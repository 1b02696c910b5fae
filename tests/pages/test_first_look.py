"""Defects seen on a new user's first walk through the pages (issue 8 §5), each pinned by a test: the
ideal funnel's controls, the funnel trend opened on its own, a lost deal's level, the calibration
export's time, the winning competitor of a lost deal, the order of the home page's to-do list, and
amounts shown in 万 / 亿 as the user prefers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from kadence.activities.models import Activity
from kadence.activities.services import activity_create
from kadence.core.amounts import AmountUnit, activate_unit, format_amount, money_axis, reset_unit
from kadence.core.models import User
from kadence.pipeline import services
from kadence.pipeline.models import Competitor, LossReason
from kadence.planning.services.calibration import calibration_recompute
from tests.prg import refused_post


class FormValues(HTMLParser):
    """The values a browser would submit from the first <form> matching `testid`: text inputs, the
    selected option of each select (else its first), checked radios."""

    def __init__(self, testid: str) -> None:
        super().__init__(convert_charrefs=True)
        self.testid, self.inside, self.values = testid, False, {}
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("data-testid") == self.testid:
            self.inside = True
        if not self.inside or not a.get("name") and tag != "option":
            return
        if tag == "input" and a.get("type") not in ("radio", "checkbox", "submit"):
            self.values[a["name"]] = a.get("value", "")
        elif tag == "input" and "checked" in a:
            self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select:
            if "selected" in a or self.select not in self.values:
                self.values[self.select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        if tag == "form":
            self.inside = False


def form_values(html: str, testid: str) -> dict[str, str]:
    parser = FormValues(testid)
    parser.feed(html)
    return parser.values


# --- the ideal funnel's controls say what it shows ----------------------------------------------


@pytest.mark.parametrize("persona", ["rita", "mona"])
def test_ideal_controls_reflect_the_report_and_show_unchanged_keeps_it(org, login, persona):
    """Opened plainly, the report is this quarter's, and so must its controls read (they said "month"
    with an empty date); pressing Show unchanged shows the same period."""
    client = login(getattr(org, persona))
    first = client.get(reverse("ideal_funnel"))
    period = first.context["report"].period
    assert period.kind == "quarter"
    values = form_values(first.content.decode(), "ideal-form")
    assert values["period_kind"] == "quarter" and values["period_start"] == period.start.isoformat()
    again = client.get(reverse("ideal_funnel"), {k: v for k, v in values.items() if v})
    assert again.status_code == 200 and again.context["report"].period == period
    # a period asked for stays asked for, with what was typed
    asked = client.get(
        reverse("ideal_funnel"),
        {"period_kind": "month", "period_start": period.start.isoformat(), "target": "500000"},
    )
    values = form_values(asked.content.decode(), "ideal-form")
    assert (values["period_kind"], values["period_start"], values["target"]) == (
        "month",
        asked.context["report"].period.start.isoformat(),
        "500000",
    )


# --- the funnel trend is a page of its own when opened directly ---------------------------------


def test_funnel_trend_opened_directly_is_a_whole_page(org, login):
    client = login(org.mona)
    page = client.get(reverse("funnel_trend"))
    html = page.content.decode()
    assert page.status_code == 200 and html.lstrip().startswith("<!doctype html>")
    assert 'class="mainnav"' in html and "kadence/kadence.css" in html and "plotly/plotly.min.js" in html
    assert 'data-chart="funnel-trend-figure"' in html and 'data-testid="back-to-funnel"' in html
    fragment = client.get(reverse("funnel_trend"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'data-chart="funnel-trend-figure"' in fragment


# --- a lost deal's level is named once -----------------------------------------------------------


@pytest.mark.parametrize(("language", "name"), [("zh-hans", "丢单"), ("en", "Lost")])
def test_lost_deal_level_is_not_repeated(org, language, name):
    services.opportunity_close_lost(
        org.rita, org.opp.pk, loss_reason_id=LossReason.objects.get(code="price").pk, version=org.opp.version
    )
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(org.rita)
    html = client.get(reverse("opportunity_detail", args=[org.opp.pk])).content.decode()
    level = re.search(r'<dd data-testid="level">(.*?)</dd>', html, re.S).group(1)
    text = re.sub(r"<[^>]+>", " ", level)
    assert text.count(name) == 1, text


# --- the calibration export's time is the page's (local) time -----------------------------------


def test_calibration_export_computed_at_is_local_time(org, login, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    calibration_recompute(None)
    client = login(org.rita)
    page = client.get(reverse("calibration"))
    computed_at = page.context["report"].computed_at
    export = client.get(reverse("calibration"), {"format": "xlsx"})
    book = load_workbook(BytesIO(export.content))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    cell = summary["Computed at"]
    local = timezone.localtime(computed_at).replace(tzinfo=None)
    assert isinstance(cell, datetime) and abs(cell - local) < timedelta(seconds=1), (cell, local)
    assert local.strftime("%Y-%m-%d %H:%M") in page.content.decode()  # what the page shows


# --- the winner of a lost deal is one of its competitors -----------------------------------------


def test_winning_competitor_is_added_to_the_competitors(org):
    rival, other = Competitor.objects.create(name="西门子"), Competitor.objects.create(name="ABB")
    services.opportunity_update(org.rita, org.opp.pk, version=org.opp.version, competitor_ids=[other.pk])
    opp = services.opportunity_close_lost(
        org.rita,
        org.opp.pk,
        version=2,
        winning_competitor_id=rival.pk,
        loss_reason_id=LossReason.objects.get(code="price").pk,
    )
    assert set(opp.competitors.all()) == {rival, other} and opp.winning_competitor == rival


# --- the rep's to-do list is in date order -------------------------------------------------------


def test_home_to_do_list_is_in_the_order_things_are_due(org, login):
    today = timezone.localdate()
    visit = activity_create(
        org.rita,
        opportunity_id=org.opp.pk,
        kind="visit",
        subject="拜访（上月）",
        date=today - timedelta(days=20),
        done=True,
        next_step="发送方案",
        next_step_date=today + timedelta(days=1),
    )
    call = activity_create(
        org.rita, opportunity_id=org.opp.pk, kind="call_out", subject="电话确认", date=today, done=False
    )
    late = activity_create(
        org.rita,
        opportunity_id=org.opp.pk,
        kind="visit",
        subject="逾期拜访",
        date=today - timedelta(days=2),
        done=False,
    )
    page = login(org.rita).get(reverse("home"))
    due = page.context["due"]
    assert [a.pk for a in due] == [late.pk, call.pk, visit.pk]
    assert [a.due_on for a in due] == [today - timedelta(days=2), today, today + timedelta(days=1)]
    html = page.content.decode()
    assert html.index("逾期拜访") < html.index("电话确认") < html.index("发送方案")
    assert Activity.objects.count() == 3


# --- amounts in 万 / 亿 as the user prefers --------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "language", "value", "shown"),
    [
        ("yuan", "zh-hans", "1200000", "1,200,000"),
        ("yuan", "zh-hans", "12.5", "12.50"),
        ("wan", "zh-hans", "1200000", "120万"),
        ("wan", "zh-hans", "1234567", "123.46万"),
        ("wan", "zh-hans", "-50000", "-5万"),
        ("wan", "zh-hans", "0", "0"),
        ("yi", "zh-hans", "123456789", "1.23亿"),
        ("yi", "zh-hans", "1200000", "0.01亿"),
        ("auto", "zh-hans", "8000", "8,000"),
        ("auto", "zh-hans", "1200000", "120万"),
        ("auto", "zh-hans", "360000000", "3.6亿"),
        ("auto", "en", "360000000", "360,000,000"),
        ("wan", "en", "1200000", "120 wan"),
        ("yuan", "zh-hans", None, "—"),
    ],
)
def test_amounts_follow_the_unit(unit, language, value, shown):
    token = activate_unit(unit)
    try:
        with translation.override(language):
            assert format_amount(value) == shown
    finally:
        reset_unit(token)


def test_chart_axis_ticks_use_the_unit():
    token = activate_unit(AmountUnit.AUTO)
    try:
        with translation.override("zh-hans"):
            axis = money_axis([Decimal("0"), Decimal("61000000")])
    finally:
        reset_unit(token)
    assert axis["tickvals"] == [0, 20_000_000, 40_000_000, 60_000_000, 80_000_000]
    assert axis["ticktext"] == ["0", "2,000万", "4,000万", "6,000万", "8,000万"]
    assert axis["hoverformat"] == ",.0f"  # hover shows the exact amount
    with translation.override("zh-hans"):  # yuan: every digit, never "60M"
        assert money_axis([61_000_000])["ticktext"][-1] == "80,000,000"


def test_preferences_page_sets_the_unit_and_pages_follow(org):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(org.rita)
    home = client.get(reverse("home")).content.decode()
    assert 'href="/preferences/"' in home and "1,200,000" in home
    page = client.get(reverse("preferences"))
    assert page.status_code == 200 and 'value="wan"' in page.content.decode()
    saved = client.post(reverse("preferences"), {"language": "zh-hans", "amount_unit": "wan"})
    assert saved.status_code == 302 and saved.url == reverse("preferences")
    org.rita.refresh_from_db()
    assert (org.rita.amount_unit, org.rita.language) == ("wan", "zh-hans")
    assert "个人设置已保存" in client.get(saved.url).content.decode()
    for name, args in [("home", []), ("opportunity_detail", [org.opp.pk]), ("opportunity_list", [])]:
        html = client.get(reverse(name, args=args)).content.decode()
        assert "120万" in html and "1,200,000" not in html, name
    # exports and the API keep exact numbers
    export = client.get(reverse("funnel"), {"format": "xlsx"})
    cells = [
        c
        for row in load_workbook(BytesIO(export.content)).worksheets[0].iter_rows(values_only=True)
        for c in row
    ]
    assert 1200000 in cells
    refused = refused_post(
        client, reverse("preferences"), {"language": "en", "amount_unit": "lakh"}, status=422
    )
    form = refused.context["form"]  # post-redirect-get: the choice is shown again with the field's message
    assert form["language"].value() == "en" and form.errors["amount_unit"]
    assert User.objects.get(pk=org.rita.pk).amount_unit == "wan"


def test_the_admin_edits_the_unit(org):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.ada)
    html = client.get(reverse("admin:core_user_change", args=[org.rita.pk])).content.decode()
    assert 'name="amount_unit"' in html


def test_sentences_with_amounts_follow_the_unit(org):
    """The ideal funnel's actions write amounts (the gap here) as the money filter does."""
    User.objects.filter(pk=org.rita.pk).update(amount_unit="wan")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(org.rita)
    page = client.get(reverse("ideal_funnel"), {"target": "5000000", "avg_deal": "1000000"})
    actions = " ".join(page.context["actions"])
    assert "500万" in actions and "5,000,000" not in actions, actions
