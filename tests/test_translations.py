"""The Simplified Chinese catalogue: complete, well-formed, compiled, and actually used by the pages.

The .po is parsed with plain Python (no polib at test time); the .mo is read with the standard
library's gettext, so a catalogue edited but not recompiled is caught here.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

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
        return {"flags": set(), "msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": None,
                "msgstr_plural": {}, "line": line_no}

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
    plural_counts = [label(e) for e in entries if e["msgid_plural"] is not None and len(e["msgstr_plural"]) != 1]
    assert not plural_counts, f"Chinese has exactly one plural form (msgstr[0]): {plural_counts}"


def test_placeholders_are_kept(catalogue):
    _header, entries = catalogue
    problems = []
    for e in entries:
        sources = [e["msgid"]] + ([e["msgid_plural"]] if e["msgid_plural"] is not None else [])
        python_format = "python-format" in e["flags"] or (
            "no-python-format" not in e["flags"] and any(PYTHON_PLACEHOLDER.search(s) for s in sources))
        checks = [(PYTHON_PLACEHOLDER, python_format), (BRACE_PLACEHOLDER, "python-brace-format" in e["flags"])]
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
        label(e) for e in entries
        if any(sorted(HTML_TAG.findall(t)) != sorted(HTML_TAG.findall(e["msgid"])) for t in translations_of(e))
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
        assert translation.ngettext("%(counter)s opportunity", "%(counter)s opportunities", 3) % {"counter": 3} \
            == "3 个商机"
    with translation.override("en"):
        assert translation.gettext("Opportunities") == "Opportunities"


# --- (b) the pages speak the chosen language ---------------------------------------------------

NAV_ZH = {"Home": "首页", "Pipeline": "销售漏斗", "Opportunities": "商机", "Accounts": "客户", "Activities": "活动"}
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
    for chinese, english in [("阶段历史", "Stage history"), ("预计成交", "Expected close"), ("项目团队", "Deal team"),
                             ("加权金额", "Weighted")]:
        assert chinese in zh_html and english not in zh_html, chinese
        assert english in en_html and chinese not in en_html, english
    board = zh.get(reverse("pipeline_board")).content.decode()
    assert "商机看板" in board or "销售漏斗" in board
    assert "open deal" not in board


@pytest.mark.parametrize(("language", "present", "absent"), [
    ("zh-hans", ["登录", "用户名", "密码"], ["Sign in", "Username", "Password"]),
    ("en", ["Sign in", "Username", "Password"], ["用户名", "密码"]),
])
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
