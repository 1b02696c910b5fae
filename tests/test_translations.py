"""The Simplified Chinese catalogue: complete, well-formed, compiled, and actually used by the pages.

The .po is parsed with plain Python (no polib at test time); the .mo is read with the standard
library's gettext, so a catalogue edited but not recompiled is caught here.
"""

from __future__ import annotations

import ast
import csv
import gettext
import io
import json
import re
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit
from zipfile import ZipFile

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from kadence.core.xlsx import CONTENT_TYPE as XLSX_TYPE

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

PYTHON_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")
BRACE_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")


# --- a minimal .po reader ---------------------------------------------------------------------


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts: flags (set), msgctxt, msgid, msgid_plural, msgstr (str), msgstr_plural ({n: str}),
    line (where the entry starts). Obsolete (#~) entries are skipped."""
    entries: list[dict] = []
    current: dict | None = None
    field: tuple[str, int | None] | None = None

    def fresh(line_no: int) -> dict:
        return {
            "flags": set(),
            "msgctxt": None,
            "msgid": None,
            "msgid_plural": None,
            "msgstr": None,
            "msgstr_plural": {},
            "line": line_no,
        }

    def flush() -> None:
        if current is not None and current["msgid"] is not None:
            entries.append(current)

    keyword = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")\s*$')
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            current, field = None, None
            continue
        if current is None:
            current = fresh(number)
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            current["flags"].update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith("#"):
            continue
        match = keyword.match(line)
        if match:
            name, index, value = match.groups()
            if name == "msgstr" and index is not None:
                field = ("msgstr_plural", int(index))
                current["msgstr_plural"][int(index)] = ast.literal_eval(value)
            else:
                if name == "msgid" and current["msgid"] is not None:  # no blank line between entries
                    flush()
                    current = fresh(number)
                field = (name, None)
                current[name] = ast.literal_eval(value)
            continue
        if line.startswith('"') and field is not None:
            name, index = field
            if index is None:
                current[name] += ast.literal_eval(line)
            else:
                current[name][index] += ast.literal_eval(line)
            continue
        raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    flush()
    return entries


@pytest.fixture(scope="module")
def catalogue() -> tuple[dict, list[dict]]:
    assert PO.is_file(), f"{PO} is missing: run makemessages -l zh_Hans"
    entries = parse_po(PO)
    header = [e for e in entries if e["msgid"] == "" and e["msgctxt"] is None]
    assert len(header) == 1, "the .po has no header entry"
    return header[0], [e for e in entries if e is not header[0]]


def label(entry: dict) -> str:
    return f"{PO.name}:{entry['line']} {entry['msgid']!r}"


def translations_of(entry: dict) -> list[str]:
    if entry["msgid_plural"] is not None:
        return [entry["msgstr_plural"][k] for k in sorted(entry["msgstr_plural"])]
    return [entry["msgstr"]]


# --- (a) the catalogue is complete and well-formed ---------------------------------------------


def test_header_is_chinese_with_one_plural_form(catalogue):
    header, _entries = catalogue
    assert "fuzzy" not in header["flags"], "a fuzzy header makes gettext ignore the charset and plural rule"
    fields = dict(line.split(": ", 1) for line in header["msgstr"].splitlines() if ": " in line)
    assert fields.get("Language") == "zh_Hans"
    assert fields.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    assert "charset=UTF-8" in fields.get("Content-Type", "")


def test_catalogue_is_not_empty(catalogue):
    _header, entries = catalogue
    assert len(entries) > 400, "the catalogue looks truncated"
    msgids = {e["msgid"] for e in entries}
    for expected in ("Opportunities", "Accounts", "Pipeline", "Activities", "Sign in"):
        assert expected in msgids


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue):
    _header, entries = catalogue
    fuzzy = [label(e) for e in entries if "fuzzy" in e["flags"]]
    assert not fuzzy, f"fuzzy entries are ignored by Django: {fuzzy}"
    empty = [label(e) for e in entries if not all(t.strip() for t in translations_of(e))]
    assert not empty, f"untranslated entries: {empty}"
    plural_counts = [
        label(e) for e in entries if e["msgid_plural"] is not None and len(e["msgstr_plural"]) != 1
    ]
    assert not plural_counts, f"Chinese has exactly one plural form (msgstr[0]): {plural_counts}"


def test_placeholders_are_kept(catalogue):
    _header, entries = catalogue
    problems = []
    for e in entries:
        sources = [e["msgid"]] + ([e["msgid_plural"]] if e["msgid_plural"] is not None else [])
        python_format = "python-format" in e["flags"] or (
            "no-python-format" not in e["flags"] and any(PYTHON_PLACEHOLDER.search(s) for s in sources)
        )
        checks = [
            (PYTHON_PLACEHOLDER, python_format),
            (BRACE_PLACEHOLDER, "python-brace-format" in e["flags"]),
        ]
        for pattern, applies in checks:
            if not applies:
                continue
            # Chinese has one form: its msgstr[0] serves every count, so it must hold the plural's placeholders.
            expected = sorted({p for source in sources for p in pattern.findall(source)})
            for text in translations_of(e):
                found = sorted(set(pattern.findall(text)))
                if found != expected:
                    problems.append(f"{label(e)}: expected {expected}, got {found} in {text!r}")
    assert not problems, "\n".join(problems)


def test_html_tags_are_kept(catalogue):
    _header, entries = catalogue
    problems = [
        label(e)
        for e in entries
        if any(
            sorted(HTML_TAG.findall(t)) != sorted(HTML_TAG.findall(e["msgid"])) for t in translations_of(e)
        )
    ]
    assert not problems, f"HTML tags differ between msgid and msgstr: {problems}"


def test_translations_are_chinese(catalogue):
    """Every translation holds Chinese characters, except a few that are the same word in Chinese UI
    (none today); an English msgstr copied from the msgid would slip through the 'not empty' check."""
    _header, entries = catalogue
    han = re.compile(r"[\u4e00-\u9fff]")
    copied = [label(e) for e in entries if not all(han.search(t) for t in translations_of(e))]
    assert not copied, f"translations without any Chinese: {copied}"


# --- (c) the compiled catalogue matches the .po ------------------------------------------------


def test_mo_is_compiled_from_the_current_po(catalogue):
    assert MO.is_file() and MO.stat().st_size > 0, f"{MO} is missing: run compilemessages"
    _header, entries = catalogue
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for e in entries:
        msgid = e["msgid"] if e["msgctxt"] is None else f"{e['msgctxt']}\x04{e['msgid']}"
        if e["msgid_plural"] is not None:
            got = compiled._catalog.get((msgid, 0))
        else:
            got = compiled._catalog.get(msgid)
        if got != translations_of(e)[0]:
            stale.append(label(e))
    assert not stale, f"the .mo differs from the .po (run compilemessages): {stale[:20]}"


def test_django_uses_the_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Opportunities") == "商机"
        assert (
            translation.ngettext("%(counter)s opportunity", "%(counter)s opportunities", 3) % {"counter": 3}
            == "3 个商机"
        )
    with translation.override("en"):
        assert translation.gettext("Opportunities") == "Opportunities"


# --- (b) the pages speak the chosen language ---------------------------------------------------

NAV_ZH = {
    "Home": "首页",
    "Pipeline": "销售漏斗",
    "Opportunities": "商机",
    "Accounts": "客户",
    "Activities": "活动",
}
MAINNAV = re.compile(r'<nav class="mainnav"[^>]*>(.*?)</nav>', re.S)


def browser(language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def page_paths(org) -> list[str]:
    return [
        reverse("home"),
        reverse("pipeline_board"),
        reverse("opportunity_list"),
        reverse("opportunity_detail", args=[org.opp.pk]),
        reverse("account_list"),
        reverse("account_detail", args=[org.account.pk]),
        reverse("activity_list"),
    ]


def nav_text(html: str) -> str:
    match = MAINNAV.search(html)
    assert match, "no main navigation on the page"
    return re.sub(r"<[^>]+>", " ", match.group(1))


@pytest.mark.parametrize("username", ["rita", "mona", "ada"])
def test_pages_in_chinese(org, username):
    client = browser("zh-hans")
    assert client.login(username=username, password=f"pw-{username}")
    for path in page_paths(org):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert '<html lang="zh-hans">' in html, path
        nav = nav_text(html)
        for english, chinese in NAV_ZH.items():
            assert chinese in nav, f"{path}: {chinese} ({english}) missing from the navigation"
            assert english not in nav, f"{path}: English {english!r} in the Chinese navigation"
        assert "退出登录" in html and "Log out" not in html, path
        assert "大客户销售进程管控" in html, path


@pytest.mark.parametrize("username", ["rita", "mona", "ada"])
def test_pages_in_english(org, username):
    client = browser("en")
    assert client.login(username=username, password=f"pw-{username}")
    for path in page_paths(org):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert '<html lang="en">' in html, path
        nav = nav_text(html)
        for english, chinese in NAV_ZH.items():
            assert english in nav, f"{path}: {english} missing from the navigation"
            assert chinese not in nav, f"{path}: Chinese {chinese!r} in the English navigation"
        assert "Log out" in html and "退出登录" not in html, path


def test_page_content_follows_the_language(org):
    zh = browser("zh-hans")
    zh.force_login(org.rita)
    en = browser("en")
    en.force_login(org.rita)
    detail = reverse("opportunity_detail", args=[org.opp.pk])
    zh_html, en_html = zh.get(detail).content.decode(), en.get(detail).content.decode()
    for chinese, english in [
        ("阶段历史", "Stage history"),
        ("预计成交", "Expected close"),
        ("项目团队", "Deal team"),
        ("加权金额", "Weighted"),
    ]:
        assert chinese in zh_html and english not in zh_html, chinese
        assert english in en_html and chinese not in en_html, english
    board = zh.get(reverse("pipeline_board")).content.decode()
    assert "商机看板" in board or "销售漏斗" in board
    assert "open deal" not in board


@pytest.mark.parametrize(
    ("language", "present", "absent"),
    [
        ("zh-hans", ["登录", "用户名", "密码"], ["Sign in", "Username", "Password"]),
        ("en", ["Sign in", "Username", "Password"], ["用户名", "密码"]),
    ],
)
def test_login_page(org, language, present, absent):
    response = browser(language).get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    for word in present:
        assert word in html, word
    for word in absent:
        assert word not in html, word


def test_users_language_preference_wins_over_the_browser(org):
    org.rita.language = "zh-hans"
    org.rita.save(update_fields=["language"])
    client = browser("en")
    client.force_login(org.rita)
    nav = nav_text(client.get(reverse("home")).content.decode())
    assert "商机" in nav and "Opportunities" not in nav


# --- (d) nothing English is left on any page or export -------------------------------------------
#
# A small demo company is loaded (Chinese names, every kind of record), then a rep, a manager and an
# admin walk the site in zh-Hans: every URL pattern without arguments, then every same-site link and
# htmx GET found on the pages (at most a few per URL pattern and export format), and every xlsx and CSV
# export linked from them (a report's CSV of several sheets: each CSV of its zip).
# The visible text (tags, scripts and attributes nobody sees stripped) must hold no English word
# outside the allow-list below and the words of the data itself (the demo's deal names hold "UPS",
# "PLC", …). Every URL pattern must be reached by some user, answer 405 to a GET (a POST-only
# action), or be skipped here for a stated reason, so a new page is walked without editing this test.

# Codes, abbreviations and names that are the same in the Chinese UI.
ALLOWED_WORDS = {
    "Kadence",
    "kadence",
    "English",  # the product, the language switch's own name for English
    "API",
    "CSV",
    "PDF",  # the 1x1 pack's download
    "xlsx",
    "xls",
    "Excel",
    "CRM",
    "SHA",  # SHA-256, a file's checksum
    "UTF",  # encodings by their names: UTF-8, UTF-8-SIG, UTF-16, GB18030, GBK, BIG5
    "SIG",
    "GB18030",
    "GBK",
    "BIG5",
    "zip",  # the report export's CSV of several tables
    "KPI",
    "SWOT",
    "MAPE",
    "WIP",
    "SV",
    "BP",
    # key-account management's own terms, used as they are in Chinese (seeds 003 / 004): customer
    # satisfaction index, key-account management, share of wallet / of account, the RAD matrix, ABC
    # classes, an account executive
    "CSI",
    "KAM",
    "SOW",
    "SOA",
    "RAD",
    "ABC",
    "AE",
    "TOP",  # an AE's TOP 20 accounts (seed 004)
    "DNA",  # "the key account's DNA" (seed 003)
    "CNY",
    "Brier",
    "https",
    "N_win",
    "ceil",  # the ideal funnel's formulas (N_win = ceil(T ÷ A))
    "calibrate",  # the command `kadence calibrate`
    "Plotly",
}
# URL patterns the walk does not open, and why.
SKIP_PATTERNS = {
    "logout": "signs the walker out",
    "set_language": "Django's language switch (POST)",
    "javascript-catalog": "JavaScript, not a page",
    "healthz": "JSON for the load balancer",
    "evidence_download": "the stored file itself",
    "rhythm_pack_pdf": "a PDF of the 1x1 pack page, whose page is walked (tests/rhythm checks the PDF)",
    "rhythm_calendar_feed": "an iCalendar feed behind a secret token, not a page",
    "rhythm_visit_attachment": "the stored file itself (a visit's photo or document)",
}
ENGLISH = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
LETTERS = re.compile(r"[A-Za-z]{2,}")
DATA_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.@-]*")
LINK = re.compile(r'''(?:href|hx-get)="([^"#]*)"''')
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
MAX_PER_PATTERN = 3


class VisibleText(HTMLParser):
    """The text a person reads (or a screen reader says): text nodes outside script/style/template,
    and the title, placeholder, aria-label and alt attributes, and the captions of input buttons."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
            return
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            return
        self.parts.extend(attributes[name] for name in VISIBLE_ATTRIBUTES if attributes.get(name))
        if (
            tag == "input"
            and attributes.get("type") in ("submit", "button", "reset")
            and attributes.get("value")
        ):
            self.parts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.parts


def english_words(texts, allowed: set[str]) -> set[tuple[str, str]]:
    """(word, the text it stands in) for every identifier with a run of two or more Latin letters that is
    neither allowed nor data; single letters are symbols (levels I·C·Q·D, C139's C/F/W, p_s)."""
    found = set()
    for text in texts:
        for word in ENGLISH.findall(text):
            if word in allowed:
                continue
            if any(run not in allowed for run in LETTERS.findall(word)):
                found.add((word, text[:120]))
    return found


CHART = re.compile(r'data-chart="([^"]+)"')
CHART_LOCALE = "kadence/plotly-locale-zh-cn.js"


def chart_problems(html: str) -> list[str]:
    """What Plotly would show in English on the charts of a Chinese page: the page must load Plotly's
    zh-CN locale (month and day names of date axes), and an axis with values of 1,000 or more must
    say how to write them (tick texts or a tick format), or Plotly writes 60,000,000 as "60M"; a
    funnel's values likewise come as text."""
    charts = CHART.findall(html)
    if not charts:
        return []
    problems = [] if CHART_LOCALE in html else ["the page does not load Plotly's zh-CN locale"]
    for chart_id in charts:
        source = re.search(
            rf'<script id="{re.escape(chart_id)}" type="application/json">(.*?)</script>', html, re.S
        )
        assert source, f"no data for chart {chart_id}"
        spec = json.loads(source.group(1))
        layout = spec.get("layout", {})
        for trace in spec["data"]:
            for dimension in ("x", "y"):
                values = [v for v in trace.get(dimension) or () if isinstance(v, int | float)]
                if not values or max(abs(v) for v in values) < 1000:
                    continue
                if trace.get("type") == "funnel":
                    if "value" in trace.get("textinfo", "value"):
                        problems.append(f"{chart_id}: funnel values shown by Plotly")
                    continue
                axis = layout.get(dimension + "axis" + (trace.get(dimension + "axis") or dimension)[1:], {})
                if not (axis.get("ticktext") or axis.get("tickformat")):
                    problems.append(f"{chart_id}: {dimension} axis without tick format ({max(values):,.0f})")
    return problems


def data_words() -> set[str]:
    """Words of the stored free text (names of accounts, deals, contacts, competitors, product lines,
    activity subjects, e-mail addresses): the data, not the UI's."""
    from kadence.accounts.models import Account, Contact
    from kadence.activities.models import Activity
    from kadence.pipeline.models import Competitor, Opportunity, ProductLine

    texts = [
        *Account.objects.values_list("name", flat=True),
        *Opportunity.objects.values_list("name", flat=True),
        *Competitor.objects.values_list("name", flat=True),
        *ProductLine.objects.values_list("name_zh", flat=True),
        *Activity.objects.values_list("subject", flat=True),
    ]
    for row in Contact.objects.values_list("name", "title", "email"):
        texts.extend(row)
    from kadence.transfer.models import ImportJob  # imported files: their names, checksums and headers

    for name, digest, headers in ImportJob.objects.values_list("file_name", "sha256", "headers"):
        texts.extend([name, digest[:12], *headers])
    from kadence.performance.commission.models import CommissionPlan  # codes an admin gave the plans

    texts.extend(CommissionPlan.objects.values_list("code", flat=True))
    words = {w for text in texts if text for w in DATA_WORD.findall(text)}
    return words | {w for word in words for w in ENGLISH.findall(word)}


def csv_texts(content: bytes) -> list[str]:
    """Every cell of a CSV export (UTF-8 with a byte-order mark), but those of a column headed "Code"."""
    with translation.override("zh-hans"):
        code = translation.gettext("Code")
    assert content.startswith("\ufeff".encode()), "a CSV export opens with a byte-order mark"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    codes = {i for i, header in enumerate(rows[0] if rows else ()) if header == code}
    return [cell for row in rows for i, cell in enumerate(row) if i not in codes]


def workbook_texts(content: bytes) -> list[str]:
    """The text cells of every sheet, but those of a column headed "Code" (identifiers kept for
    matching rows with other data, labelled as such)."""
    with translation.override("zh-hans"):
        code = translation.gettext("Code")
    book = load_workbook(BytesIO(content), read_only=True)
    texts = []
    for sheet in book.worksheets:
        texts.append(sheet.title)
        rows = list(sheet.iter_rows(values_only=True))
        codes = {i for i, header in enumerate(rows[0] if rows else ()) if header == code}
        texts.extend(v for row in rows for i, v in enumerate(row) if isinstance(v, str) and i not in codes)
    return texts


@pytest.fixture
def small_demo(db):
    """The demo company, small: a dozen accounts and sixty deals with their whole deal control, a
    computed calibration and a target for the current quarter (so every report has something to show)."""
    from kadence.core.models import OrgUnit, User
    from kadence.demo.loader import load_demo_company
    from kadence.planning.models import Calibration, Target
    from kadence.planning.services.calibration import calibration_recompute
    from kadence.planning.services.targets import target_create
    from kadence.transfer.models import ExportJob
    from kadence.transfer.tasks import write_export

    today = timezone.localdate()
    load_demo_company(seed=7, today=today, accounts=12, opportunities=60)
    if not Calibration.objects.exists():
        calibration_recompute(None)
    admin = User.objects.get(username="admin")
    if not Target.objects.exists():
        company = OrgUnit.objects.get(kind=OrgUnit.Kind.COMPANY)
        target_create(admin, period_kind="quarter", period_start=today, amount="30000000", unit_id=company.pk)
        rep = User.objects.get(username="rep.north1a")
        target_create(admin, period_kind="quarter", period_start=today, amount="3000000", user_id=rep.pk)
    from kadence.performance.grid.models import TargetGrid
    from kadence.performance.grid.services import grid_create

    if not TargetGrid.objects.exists():  # the company's target grid (issue 14 §1)
        company = OrgUnit.objects.get(kind=OrgUnit.Kind.COMPANY)
        grid_create(admin, root_id=company.pk, year=today.year, measure="revenue")
    if not ExportJob.objects.exists():  # an export written in the background: its row and its file
        write_export(ExportJob.objects.create(created_by=admin, list_name="contacts", format="xlsx").pk)
    return SimpleNamespace(
        rep=User.objects.get(username="rep.north1a"),
        manager=User.objects.get(username="manager.north1"),
        admin=admin,
    )


def url_patterns(resolver=None, prefix: str = "") -> list[tuple[str, str]]:
    """(name, route) of every named page pattern (the API and the admin are walked elsewhere)."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith(("api/", "admin/")):
                continue
            found.extend(url_patterns(pattern, route))
        elif pattern.name:
            found.append((pattern.name, route))
    return found


def walk(
    client: Client,
    start: list[str],
    allowed: set[str],
    seen_patterns: dict[str, int],
    pool: dict[tuple[str, str], object],
) -> dict[str, set[tuple[str, str]]]:
    """Open `start` and every same-site link found, at most MAX_PER_PATTERN URLs per URL pattern;
    returns the English words per URL. Fills `seen_patterns` (name → status) and `pool` (the values
    of each route argument met, for the patterns no link reaches)."""
    problems: dict[str, set[tuple[str, str]]] = {}
    queue, opened, per_pattern = list(start), set(), Counter()
    while queue:
        url = queue.pop(0)
        if url in opened:
            continue
        opened.add(url)
        parts = urlsplit(url)
        try:
            match = resolve(parts.path)
        except Resolver404:
            continue
        name = match.url_name
        quota = (name, parse_qs(parts.query).get("format", [""])[0])  # a report's exports: their own quota
        if name in SKIP_PATTERNS or per_pattern[quota] >= MAX_PER_PATTERN:
            continue
        per_pattern[quota] += 1
        for key, value in match.kwargs.items():
            segment = match.route.split("<")[0] if key == "pk" else key
            pool.setdefault((segment, key), value)
        response = client.get(url)
        seen_patterns[name] = response.status_code if name not in seen_patterns else seen_patterns[name]
        if response.status_code != 200:
            assert response.status_code in (302, 403, 404, 405), f"{url}: {response.status_code}"
            continue
        seen_patterns[name] = 200
        content_type = response.get("Content-Type", "")
        charts = set()
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if content_type.startswith(XLSX_TYPE):
            texts = workbook_texts(body)
        elif content_type.startswith("text/csv"):  # a list's or a report's export: every cell
            texts = csv_texts(body)
        elif content_type == "application/zip":  # a report's CSV, one file per sheet
            archive = ZipFile(BytesIO(body))
            texts = [
                text for name in archive.namelist() for text in (name[:-4], *csv_texts(archive.read(name)))
            ]
        else:
            assert content_type.startswith("text/html"), f"{url}: {content_type}"
            html = body.decode()
            texts = visible_text(html)
            charts = {("chart", problem) for problem in chart_problems(html)}
            for link in LINK.findall(html):
                link = unescape(link)
                if link.startswith("?"):
                    link = parts.path + link
                if link.startswith("/") and not link.startswith(("/static/", "/api/", "/admin/")):
                    queue.append(link)
        words = english_words(texts, allowed) | charts
        if words:
            problems[url] = words
    return problems


def argument_for(route: str, key: str, pool: dict[tuple[str, str], object]):
    """A value of the route argument met on the walk; 1 when none was (a POST-only action answers
    405 to a GET whatever the id)."""
    if key == "pk":
        return pool.get((route.split("<")[0], key), 1)
    return pool.get((key, key), 1)


def test_no_english_left_in_chinese_pages_and_exports(small_demo):
    """The walk described above; the failure lists every English word with the URL and text it is in."""
    allowed = ALLOWED_WORDS | data_words()
    seen: dict[str, int] = {}
    pool: dict[tuple[str, str], object] = {}
    problems: dict[str, set] = {}
    patterns = url_patterns()
    start = [reverse(name) for name, route in patterns if "<" not in route and name not in SKIP_PATTERNS]
    problems.update(
        {
            f"anonymous {url}": words
            for url, words in walk(browser("zh-hans"), [reverse("login")], allowed, seen, pool).items()
        }
    )
    clients = []
    for user in (small_demo.rep, small_demo.manager, small_demo.admin):
        client = browser("zh-hans")
        client.force_login(user)
        clients.append(client)
        problems.update(
            {
                f"{user.username} {url}": words
                for url, words in walk(client, start, allowed, seen, pool).items()
            }
        )
    # Patterns no link led to: open them with arguments met elsewhere (as the admin).
    for name, route in patterns:
        if name in seen or name in SKIP_PATTERNS:
            continue
        keys = re.findall(r"<(?:\w+:)?(\w+)>", route)
        values = {key: argument_for(route, key, pool) for key in keys}
        problems.update(
            {
                f"admin {url}": words
                for url, words in walk(
                    clients[-1], [reverse(name, kwargs=values)], allowed, seen, pool
                ).items()
            }
        )
    unreached = sorted(
        name for name, _route in patterns if name not in SKIP_PATTERNS and seen.get(name) not in (200, 405)
    )
    assert not unreached, f"URL patterns not rendered by any user: {unreached}"
    where: dict[str, list[str]] = {}
    for url, words in sorted(problems.items()):
        for word, text in sorted(words):
            where.setdefault(f"{word!r} in {text!r}", []).append(url)
    report = "\n".join(f"{found}  ({len(urls)}×, e.g. {urls[0]})" for found, urls in where.items())
    assert not problems, f"English in the Chinese UI:\n{report}"


# --- (e) strings reach the catalogue, and a word with two meanings gets two entries ------------------

GETTEXT_FUNCTIONS = {
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
    "gettext_noop",
}
IMPORT_AS = re.compile(r"^from django\.utils\.translation import (.+)$", re.M)


def test_gettext_is_imported_under_names_makemessages_knows():
    """makemessages (xgettext) extracts the calls of gettext, gettext_lazy, … and of `_`; a string marked
    with another alias (the stalled deals' reasons used `_lazy`) never reaches the catalogue and shows
    in English."""
    package = Path(settings.BASE_DIR) / "kadence"
    hidden = []
    for source in package.rglob("*.py"):
        for names in IMPORT_AS.findall(source.read_text(encoding="utf-8")):
            for name in names.strip("()").split(","):
                original, _as, alias = name.strip().partition(" as ")
                if alias and original in GETTEXT_FUNCTIONS and alias != "_":
                    hidden.append(f"{source.relative_to(package.parent)}: {original} as {alias}")
    assert not hidden, f"strings marked with these aliases are not extracted: {hidden}"


@pytest.mark.parametrize("name", ["cost_of_sale", "gate_overrides"])
def test_date_range_filters_read_from_and_to(org, name):
    """ "From" / "To" label a date range here and the old and new value in a change log: one msgid for
    both made the date filters read 原值 / 新值. Each meaning has its context."""
    client = browser("zh-hans")
    client.force_login(org.mona)
    html = client.get(reverse(name)).content.decode()
    assert "起始日期" in html and "截止日期" in html
    assert "原值" not in html and "新值" not in html


def test_from_and_to_always_carry_a_context(catalogue):
    _header, entries = catalogue
    bare = [label(e) for e in entries if e["msgid"] in ("From", "To") and e["msgctxt"] is None]
    assert not bare, f"'From' / 'To' mean different things on different pages: use pgettext: {bare}"
