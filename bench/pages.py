"""Every list, page and report of the app, as a rep, a manager, a director and an admin see it, over
HTTP against gunicorn started as production runs it (`kadence serve`: 3 workers), on the database of
DATABASE_URL (PostgreSQL; 1M deals from bench/seed_1m.sh, or 100k to compare a rep's figures).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/pages.py \
        --out docs/bench/pages-1m.md
    .venv/bin/python bench/pages.py --only 'opportunities|pipeline' --personas rep,admin --repeat 3

What it does:
- picks the personas from the data, deterministically, and prints who: the rep with the median book
  (deals owned, among reps placed in a team; ties by id), the manager of that rep's team, the director
  of its region, the first admin; and one deal of the rep's (with its account, an activity, a contact
  and a target of theirs), which every persona can see, for the detail pages;
- discovers the URLs: every page of the URL conf that answers GET (its view's allowed methods, read from
  `require_GET` / `require_http_methods` and class-based views) with its path arguments filled with those
  ids, and every GET operation of the API (config.api's OpenAPI), lists also with `page_size=100`.
  Left out: sign-in and password pages, language switches, the admin site, the API docs and schema,
  file downloads (evidence), the lists' exports (bench/export.py) and URLs whose argument has no representative id. Exports are query
  parameters of report pages (`?format=xlsx`), which run with their defaults here, so none is streamed;
- signs each persona in through the sign-in form (the demo password; PASSWORD to change) and signs
  them out at the end, which deletes their session row: the only writes are that row and the users'
  last_login;
- counts each URL's queries once per persona, in process (Django's test client and
  CaptureQueriesContext, same settings and database, under the web statement timeout);
- times each URL per persona over HTTP: one warm-up, then REPEAT (default 7) sequential requests,
  median and p95 (nearest rank: of 7, the slowest); the timed requests stop early once they took
  BUDGET_S (5 s) together (at least one; the table says "(n=…)"), so a slow page cannot eat the run;
- then, for the main lists (all URLs with --concurrent-all), CONCURRENCY (4) client threads request the
  same URL PER_CLIENT (8) times each, or until 2 × BUDGET_S have passed: throughput (req/s) and p95;
- times the hand-written SQL floor of the main lists (the same page and count with the same visibility,
  through psycopg directly; median of REPEAT after a warm-up): the opportunity list (API, page 1 of 100
  with the count), the activity list, the account list, the home page's deals and totals, the board.

It prints a markdown table (and writes it to --out) with the targets of issue 10 flagged: median under
150 ms, p95 under 300 ms, no request over 1 s, and any answer other than 200 / 30x.

Environment: DATABASE_URL, REPEAT (7), CONCURRENCY (4), PER_CLIENT (8), WORKERS (3), BUDGET_S (5),
PASSWORD (the demo password). Options: --only PATTERN (a regular expression on the URL), --personas
rep,manager,director,admin, --repeat, --concurrency, --concurrent-all, --no-floor, --no-queries, --floors-only,
--out FILE. Figures on a shared machine are indicative: compare runs made on the same set-up.

Does a rep's figure cost the same at 100k and at 1M deals? Seed a second database the same way
(`N=100000 DB=kadence_100k bench/seed_1m.sh --fresh`), run with its DATABASE_URL and `--personas rep`,
and compare the rep's rows: the median book is about the same size in both (one rep per 500 deals).
"""

from __future__ import annotations

import argparse
import functools
import http.client
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if __name__ == "__main__":
    # The in-process passes (query counts) run under the web statement timeout, as gunicorn's workers do.
    os.environ.setdefault("KADENCE_WEB_PROCESS", "1")

import django  # noqa: E402

django.setup()
# The bench process does not serve static files: WhiteNoise's note about a missing STATIC_ROOT is noise.
warnings.filterwarnings("ignore", message="No directory at")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import URLPattern, URLResolver, get_resolver  # noqa: E402

from kadence.core.models import OrgUnit, User  # noqa: E402
from kadence.core.visibility import ALL, scope_unit_ids, visible_opportunities, visible_targets  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "7"))
CONCURRENCY = int(os.environ.get("CONCURRENCY", "4"))
PER_CLIENT = int(os.environ.get("PER_CLIENT", "8"))
WORKERS = int(os.environ.get("WORKERS", "3"))
BUDGET_S = float(os.environ.get("BUDGET_S", "5"))
HTTP_TIMEOUT_S = 150  # above gunicorn's 120 s worker timeout: a killed worker shows as an error, not a hang
ROLES = ("rep", "manager", "director", "admin")

# Targets (issue 10): medians under 150 ms, p95 under 300 ms, no request over 1 s.
TARGET_MEDIAN_MS = 150
TARGET_P95_MS = 300
TARGET_MAX_MS = 1000

# Pages that are not the app's lists, pages or reports (by URL name), and URL prefixes left out.
SKIP_NAMES = {
    "healthz",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set_language",
    "set_language_pref",
    "javascript-catalog",
    "evidence_download",
    "list_export",  # whole lists as files: bench/export.py measures them
}
SKIP_PREFIXES = ("admin/", "api/", "i18n/", "static/", "media/")
SKIP_API = {"/api/evidence/{evidence_id}/download", "/api/openapi.json", "/api/docs"}

# An import's or an export's own pages and their API: their cost follows the job (its file, its paged
# problems), not the database, and the bench's personas have none.
SKIP_ARGS = {"job_id", "mapping_id"}
# The rhythm's records (issue 13): a week's plan, a debrief, a visit's file and the calendar feed's
# token cost what one rep's week holds, whatever the database; the 1x1 pack (rep_id, week), the
# heaviest, has its own bench at scale (bench/pack.py, docs/bench/rhythm.md).
SKIP_ARGS |= {"plan_id", "debrief_id", "attachment_id", "token", "rep_id"}
SKIP_ROUTES = ("rhythm/debriefs/<int:pk>/",)
# A target grid (issue 14) costs what the organisation holds (a row per unit and seller), not the deals;
# it has its own bench at 2,000+ reps (bench/grid.py, docs/bench/grid.md).
SKIP_ARGS |= {"grid_id"}
# A negotiation (issue 14 §2) holds a few figures per unit right below a grid's root: its cost follows the
# organisation's shape, not the deals (its bottom-up figures are read when a round is written, not shown).
SKIP_ARGS |= {"negotiation_id"}

# What each path argument is filled with (the persona's representative records); `pk` by the first
# segment of the path.
ARG_RECORDS = {
    "opp_id": "opportunity",
    "account_id": "account",
    "contact_id": "contact",
    "activity_id": "activity",
    "target_id": "target",
}
PK_RECORDS = {"opportunities": "opportunity", "targets": "target", "reports": "opportunity"}

# The main lists: always run with concurrent clients; their floors (by URL).
MAIN_LISTS = (
    "/api/opportunities?page_size=100",
    "/api/opportunities",
    "/opportunities/",
    "/pipeline/",
    "/",
    "/activities/",
    "/api/activities",
    "/accounts/",
    "/api/accounts",
    "/reports/stalled/",
    "/api/reports/stalled",
)


# --- discovery ---------------------------------------------------------------------------------


def allowed_methods(view: Callable[..., Any]) -> set[str] | None:
    """The HTTP methods a page view accepts, read from its decorators (require_GET, require_POST,
    require_http_methods keep the list in their closure) or its class-based view; None if it does
    not say (it is then requested, and its answer shows)."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    func: Any = view
    while func is not None:
        code = getattr(func, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars and func.__closure__:
            cell = func.__closure__[code.co_freevars.index("request_method_list")]
            return {m.upper() for m in cell.cell_contents}
        func = getattr(func, "__wrapped__", None)
    return None


def _walk(patterns: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


ARG = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Target:
    """A URL to request: `label` names it with placeholders ({opportunity}…), `template` is filled per
    persona from their records."""

    label: str
    template: str
    kind: str  # "page" or "api"
    records: tuple[str, ...] = ()  # the records its arguments need

    def url(self, ids: dict[str, int]) -> str:
        return self.template.format(**ids)


@functools.cache
def page_targets() -> tuple[list[Target], list[str]]:
    """Every page of the URL conf that answers GET (see the module docstring), and what was left out."""
    targets: list[Target] = []
    skipped: list[str] = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or pattern.name in SKIP_NAMES:
            continue
        methods = allowed_methods(pattern.callback)
        if methods is not None and "GET" not in methods:
            continue
        records = []
        template = route
        if SKIP_ARGS & set(ARG.findall(route)) or route in SKIP_ROUTES:
            continue
        for arg in ARG.findall(route):
            record = ARG_RECORDS.get(arg) or (PK_RECORDS.get(route.split("/")[0]) if arg == "pk" else None)
            if record is None:
                skipped.append(f"/{route} (no representative {arg})")
                break
            records.append(record)
            template = re.sub(rf"<(?:\w+:)?{arg}>", "{" + record + "}", template, count=1)
        else:
            path = "/" + template
            targets.append(Target(path, path, "page", tuple(records)))
    return targets, skipped


@functools.cache
def api_targets() -> tuple[list[Target], list[str]]:
    """Every GET operation of the API with its defaults; the lists (a page_size parameter) also with
    page_size=100."""
    from config.api import api

    schema = api.get_openapi_schema(path_prefix="/api/")
    targets: list[Target] = []
    skipped: list[str] = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or path in SKIP_API or path.startswith("/api/exports/"):  # bench/export.py
            continue
        params = get.get("parameters", [])
        records = []
        template = path
        missing = None
        if SKIP_ARGS & set(re.findall(r"{(\w+)}", path)):
            continue
        for name in re.findall(r"{(\w+)}", path):
            record = ARG_RECORDS.get(name)
            if record is None:
                missing = name
                break
            records.append(record)
            template = template.replace("{" + name + "}", "{" + record + "}")
        if missing:
            skipped.append(f"{path} (no representative {missing})")
            continue
        targets.append(Target(template, template, "api", tuple(records)))
        if any(p["name"] == "page_size" and p["in"] == "query" for p in params):
            url = template + "?page_size=100"
            targets.append(Target(url, url, "api", tuple(records)))
    return targets, skipped


def discover(only: str | None = None) -> tuple[list[Target], list[str]]:
    pages, skipped_pages = page_targets()
    apis, skipped_api = api_targets()
    targets = pages + apis
    if only:
        rx = re.compile(only)
        targets = [t for t in targets if rx.search(t.label)]
    return targets, skipped_pages + skipped_api


# --- personas ------------------------------------------------------------------------------------


@dataclass
class Persona:
    role: str
    user: User
    note: str = ""
    cookie: str = ""
    csrf: str = ""
    session: str = ""


def _typical_rep() -> User:
    from kadence.pipeline.models import Opportunity

    books = list(
        Opportunity.objects.filter(
            owner__role=User.Role.REP, owner__is_active=True, owner__org_unit__kind=OrgUnit.Kind.TEAM
        )
        .order_by()
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("n", "owner_id")
    )
    if not books:
        raise SystemExit("No rep in a team owns a deal: seed the database first (bench/seed_1m.sh).")
    books.sort()
    return User.objects.select_related("org_unit").get(pk=books[len(books) // 2][1])


def personas_and_records() -> tuple[dict[str, User], dict[str, int]]:
    """The rep with the median book, their team's manager, their region's director, the first admin;
    and one of the rep's open deals (preferring one with deal-control records), its account, an
    activity and a contact of it, and a target of the rep's — records every persona may see."""
    from kadence.accounts.models import Contact
    from kadence.activities.models import Activity
    from kadence.deals.models import Evidence
    from kadence.pipeline.models import Opportunity

    rep = _typical_rep()
    team = rep.org_unit
    users = {"rep": rep}
    leads = User.objects.filter(is_active=True).order_by("id")
    users["manager"] = (
        leads.filter(role=User.Role.MANAGER, managed_units=team).first()
        or leads.filter(role=User.Role.MANAGER).first()
    )
    users["director"] = (
        leads.filter(role=User.Role.DIRECTOR, managed_units=team.parent_id).first()
        or leads.filter(role=User.Role.DIRECTOR).first()
    )
    users["admin"] = leads.filter(role=User.Role.ADMIN).first()
    own = Opportunity.objects.filter(owner=rep).order_by("id")
    opp = (
        own.filter(status="open", pk__in=Evidence.objects.values("opportunity_id")).first()
        or own.filter(status="open").first()
        or own.first()
    )
    assert opp is not None
    ids = {"opportunity": opp.pk, "account": opp.account_id}
    activity = (
        Activity.objects.filter(opportunity=opp).order_by("id").first()
        or Activity.objects.filter(owner=rep).order_by("id").first()
    )
    if activity is not None:
        ids["activity"] = activity.pk
    contact = Contact.objects.filter(account_id=opp.account_id).order_by("id").first()
    if contact is not None:
        ids["contact"] = contact.pk
    target = visible_targets(rep).order_by("id").first()
    if target is not None:
        ids["target"] = target.pk
    return {role: user for role, user in users.items() if user is not None}, ids


def describe(role: str, user: User) -> str:
    """Who the persona is and how much they see (a count of their visible deals and their own)."""
    from kadence.pipeline.models import Opportunity

    scope = scope_unit_ids(user)
    units = "all units" if scope is ALL else f"{len(scope)} units" if scope else "own deals and deal teams"
    own = Opportunity.objects.filter(owner=user).count()
    visible = visible_opportunities(user).count()
    unit = user.org_unit.name if user.org_unit_id else "-"
    return f"{role}: {user.username} ({user.label}, {unit}; {units}): owns {own:,}, sees {visible:,} deals"


# --- HTTP ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen:
    """`kadence serve` as production runs it (gunicorn, `workers` workers), against DATABASE_URL."""
    kadence = Path(sys.executable).parent / "kadence"
    argv = [str(kadence)] if kadence.exists() else [sys.executable, "-m", "kadence.cli"]
    argv += [
        "serve",
        "--no-collectstatic",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    env = {k: v for k, v in os.environ.items() if k != "KADENCE_WEB_PROCESS"}  # wsgi.py sets it itself
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            status, _ms, _body, _headers = request(port, "/healthz")
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"gunicorn did not answer /healthz in 60 s:\n{log.read_text()[-3000:]}")


def request(
    port: int,
    path: str,
    cookie: str = "",
    method: str = "GET",
    body: bytes | None = None,
    headers: dict | None = None,
) -> tuple[int, float, bytes, list[tuple[str, str]]]:
    """One request on a new connection (gunicorn's sync workers close each one): status, ms, body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S)
    all_headers = {"Cookie": cookie, **(headers or {})} if cookie else dict(headers or {})
    try:
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        content = response.read()
        ms = (time.perf_counter() - start) * 1000
        return response.status, ms, content, response.getheaders()
    finally:
        conn.close()


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in headers:
        if name.lower() == "set-cookie":
            jar.load(value)
    return {k: m.value for k, m in jar.items()}


class _CsrfField(HTMLParser):
    token = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name") == "csrfmiddlewaretoken":
            self.token = values.get("value") or ""


def sign_in(port: int, persona: Persona, password: str) -> None:
    """Through the sign-in form, as a browser does; keeps the session and CSRF cookies."""
    status, _ms, body, headers = request(port, "/login/")
    csrf_cookie = _cookies(headers).get(settings.CSRF_COOKIE_NAME, "")
    parser = _CsrfField()
    parser.feed(body.decode("utf-8", "replace"))
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": parser.token, "username": persona.user.username, "password": password}
    ).encode()
    status, _ms, _body, headers = request(
        port,
        "/login/",
        cookie=f"{settings.CSRF_COOKIE_NAME}={csrf_cookie}",
        method="POST",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    cookies = _cookies(headers)
    session = cookies.get(settings.SESSION_COOKIE_NAME)
    if status != 302 or not session:
        raise SystemExit(f"Signing in as {persona.user.username} failed (HTTP {status}); set PASSWORD?")
    persona.csrf = cookies.get(settings.CSRF_COOKIE_NAME, csrf_cookie)
    persona.session = session
    persona.cookie = f"{settings.CSRF_COOKIE_NAME}={persona.csrf}; {settings.SESSION_COOKIE_NAME}={session}"


def sign_out(port: int, persona: Persona) -> None:
    """POST /logout/: deletes the session row the sign-in wrote."""
    status, _ms, body, _headers = request(port, "/", cookie=persona.cookie)
    parser = _CsrfField()
    parser.feed(body.decode("utf-8", "replace"))
    request(
        port,
        "/logout/",
        cookie=persona.cookie,
        method="POST",
        body=urllib.parse.urlencode({"csrfmiddlewaretoken": parser.token or persona.csrf}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": persona.csrf},
    )


# --- measurements --------------------------------------------------------------------------------


def p95(times: list[float]) -> float:
    """The 95th percentile by nearest rank (of 7 samples, the slowest)."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class Row:
    what: str
    persona: str
    statuses: Counter = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    queries: int | None = None
    floor_ms: float | None = None
    rps: float | None = None
    conc_p95: float | None = None
    conc_statuses: Counter = field(default_factory=Counter)
    error: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def p95(self) -> float | None:
        return p95(self.times) if self.times else None

    def flags(self) -> list[str]:
        flags = []
        bad = sorted(s for s in {*self.statuses, *self.conc_statuses} if not (200 <= s < 400))
        if bad:
            flags.append("HTTP " + ",".join(map(str, bad)))
        if self.error:
            flags.append(self.error)
        median, high = self.median, self.p95
        if median is not None and median >= TARGET_MEDIAN_MS:
            flags.append(f"median≥{TARGET_MEDIAN_MS}")
        if high is not None and high >= TARGET_P95_MS:
            flags.append(f"p95≥{TARGET_P95_MS}")
        if self.times and max(self.times) > TARGET_MAX_MS:
            flags.append(">1 s")
        return flags


def time_sequential(port: int, cookie: str, url: str, repeat: int, row: Row) -> None:
    """One warm-up, then `repeat` requests, or fewer once BUDGET_S is spent (at least one)."""
    status, _warm, _body, _headers = request(port, url, cookie)  # warm-up (not counted)
    row.statuses[status] += 1
    while len(row.times) < repeat and (not row.times or sum(row.times) < BUDGET_S * 1000):
        status, ms, _body, _headers = request(port, url, cookie)
        row.statuses[status] += 1
        row.times.append(ms)


def time_concurrent(port: int, cookie: str, url: str, clients: int, per_client: int, row: Row) -> None:
    times: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    start = time.perf_counter()

    def client() -> None:
        for _ in range(per_client):
            if times and time.perf_counter() - start > 2 * BUDGET_S:
                break
            try:
                status, ms, _body, _headers = request(port, url, cookie)
            except OSError:
                status, ms = 0, float(HTTP_TIMEOUT_S * 1000)
            with lock:
                times.append(ms)
                statuses[status] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    row.rps = len(times) / elapsed
    row.conc_p95 = p95(times)
    row.conc_statuses = statuses


def count_queries(client: Client, url: str) -> tuple[int, int]:
    """(status, queries) of one request in process."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response.status_code, len(ctx.captured_queries)


def in_process_client(session_key: str) -> Client:
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


# --- the hand-written SQL floors -------------------------------------------------------------------


def floor_queries(user: User, today: Any) -> dict[str, list[tuple[str, dict]]]:
    """The statements of each main list's floor for `user`, by the URL they stand beside."""
    from kadence.pipeline.models import ProcessTemplate

    scope = scope_unit_ids(user)
    params: dict[str, Any] = {"u": user.pk, "units": sorted(scope or ()), "today": today}
    template = ProcessTemplate.objects.filter(is_default=True).first() or ProcessTemplate.objects.first()
    params["template"] = template.pk if template else 0
    if scope is ALL:
        visible = "TRUE"
    else:
        # Owned, on the deal team (a short id list), or in the units: a BitmapOr of three index scans.
        visible = (
            "(o.owner_id = %(u)s OR o.id = ANY(ARRAY(SELECT opportunity_id FROM pipeline_opportunityteammember "
            "WHERE user_id = %(u)s))" + (" OR o.team_id = ANY(%(units)s))" if scope else ")")
        )
    seller = user.role in ("rep", "inside")
    mine = "o.owner_id = %(u)s" if seller else visible

    opp_page = (
        "SELECT o.id, o.name, o.amount, o.probability, o.status, o.expected_close_date, o.updated_at, "
        "a.name, u.username, u.display_name, s.name_zh, s.name_en, l.code, t.name_zh, pt.name_zh "
        "FROM pipeline_opportunity o JOIN accounts_account a ON a.id = o.account_id "
        "JOIN core_user u ON u.id = o.owner_id JOIN pipeline_stage s ON s.id = o.stage_id "
        "LEFT JOIN pipeline_probabilitylevel l ON l.id = o.level_id LEFT JOIN core_orgunit t ON t.id = o.team_id "
        "JOIN pipeline_processtemplate pt ON pt.id = o.template_id "
        f"WHERE {visible} ORDER BY o.updated_at DESC, o.id DESC LIMIT %(size)s"
    )
    opp_count = f"SELECT count(*) FROM pipeline_opportunity o WHERE {visible}"

    # Accounts: owned, of a deal owned or on its deal team, or in the units.
    if scope is ALL:
        accounts = "TRUE"
    else:
        # Owned, in the units, or the account of a deal owned or on the deal team (a short id list).
        deal_accounts = (
            "SELECT account_id FROM pipeline_opportunity WHERE owner_id = %(u)s UNION "
            "SELECT o.account_id FROM pipeline_opportunityteammember m JOIN pipeline_opportunity o "
            "ON o.id = m.opportunity_id WHERE m.user_id = %(u)s"
        )
        accounts = f"(c.owner_id = %(u)s OR c.id = ANY(ARRAY({deal_accounts}))" + (
            " OR c.team_id = ANY(%(units)s))" if scope else ")"
        )

    account_page = (
        "SELECT c.id, c.name, i.name_zh, r.name_zh, u.username FROM accounts_account c "
        "LEFT JOIN accounts_industry i ON i.id = c.industry_id LEFT JOIN core_orgunit r ON r.id = c.region_id "
        "LEFT JOIN core_user u ON u.id = c.owner_id "
        f"WHERE {accounts} ORDER BY c.name, c.id LIMIT 25"
    )
    account_count = f"SELECT count(*) FROM accounts_account c WHERE {accounts}"

    # Activities: bench/activities.py's floor (the union of the user's id sets) for a seller. For a
    # manager or director, whose units' deals make the union big, the page walks the date index testing
    # each row against hashed id sets (it stops after a few hundred rows), and the count reads the union
    # once (no refetch).
    if scope is ALL:
        activity = "TRUE"
        activity_count = "SELECT count(*) FROM activities_activity x"
    else:
        parts = [
            "SELECT id FROM activities_activity WHERE owner_id = %(u)s",
            "SELECT a.id FROM activities_activity a JOIN accounts_account c ON c.id = a.account_id "
            "WHERE c.owner_id = %(u)s",
            "SELECT a.id FROM activities_activity a JOIN pipeline_opportunity o ON o.id = a.opportunity_id "
            "WHERE o.owner_id = %(u)s",
            "SELECT a.id FROM activities_activity a JOIN pipeline_opportunityteammember m "
            "ON m.opportunity_id = a.opportunity_id WHERE m.user_id = %(u)s",
        ]
        if scope:
            parts += [
                "SELECT id FROM activities_activity WHERE team_id = ANY(%(units)s)",
                "SELECT a.id FROM activities_activity a JOIN pipeline_opportunity o "
                "ON o.id = a.opportunity_id WHERE o.team_id = ANY(%(units)s)",
            ]
            activity = (
                "(x.owner_id = %(u)s OR x.team_id = ANY(%(units)s) "
                "OR x.account_id IN (SELECT id FROM accounts_account WHERE owner_id = %(u)s) "
                "OR x.opportunity_id IN (SELECT id FROM pipeline_opportunity WHERE owner_id = %(u)s "
                "OR team_id = ANY(%(units)s) UNION SELECT opportunity_id FROM pipeline_opportunityteammember "
                "WHERE user_id = %(u)s))"
            )
        else:
            activity = f"x.id IN ({' UNION '.join(parts)})"
        activity_count = f"SELECT count(*) FROM ({' UNION '.join(parts)}) ids"
    activity_page = (
        "SELECT x.id, x.date, x.kind, x.subject, c.name, o.name, u.username FROM activities_activity x "
        "LEFT JOIN accounts_account c ON c.id = x.account_id "
        "LEFT JOIN pipeline_opportunity o ON o.id = x.opportunity_id JOIN core_user u ON u.id = x.owner_id "
        f"WHERE {activity} ORDER BY x.date DESC, x.id DESC LIMIT 25"
    )

    # Home: the next ten open deals by close date and the open totals (the seller's own; the list rule
    # for the others).
    home = [
        (
            "SELECT o.id, o.name, o.amount, o.expected_close_date, a.name, u.username, s.name_zh "
            "FROM pipeline_opportunity o JOIN accounts_account a ON a.id = o.account_id "
            "JOIN core_user u ON u.id = o.owner_id JOIN pipeline_stage s ON s.id = o.stage_id "
            f"WHERE o.status = 'open' AND {mine} ORDER BY o.expected_close_date, o.id LIMIT 10",
            params,
        ),
        (
            "SELECT count(*), coalesce(sum(o.amount), 0), coalesce(sum(o.amount * o.probability / 100), 0) "
            f"FROM pipeline_opportunity o WHERE o.status = 'open' AND {mine}",
            params,
        ),
    ]
    # Board: per-stage totals of the open deals of the default template, and ten cards per stage.
    board = [
        (
            "SELECT o.stage_id, count(*), sum(o.amount), sum(o.amount * o.probability / 100) "
            f"FROM pipeline_opportunity o WHERE o.status = 'open' AND o.template_id = %(template)s AND {visible} "
            "GROUP BY o.stage_id",
            params,
        ),
        (
            "SELECT s.id, c.* FROM pipeline_stage s CROSS JOIN LATERAL ("
            "  SELECT o.id, o.name, o.amount, a.name AS account, u.username FROM pipeline_opportunity o"
            "  JOIN accounts_account a ON a.id = o.account_id JOIN core_user u ON u.id = o.owner_id"
            f"  WHERE o.stage_id = s.id AND o.status = 'open' AND {visible}"
            "  ORDER BY o.amount DESC, o.id LIMIT 10) c "
            "WHERE s.template_id = %(template)s AND NOT s.is_won",
            params,
        ),
    ]
    return {
        "/api/opportunities?page_size=100": [(opp_page, {**params, "size": 100}), (opp_count, params)],
        "/api/opportunities": [(opp_page, {**params, "size": 25}), (opp_count, params)],
        "/opportunities/": [(opp_page, {**params, "size": 25}), (opp_count, params)],
        "/accounts/": [(account_page, params), (account_count, params)],
        "/api/accounts": [(account_page, params), (account_count, params)],
        "/activities/": [(activity_page, params), (activity_count, params)],
        "/api/activities": [(activity_page, params), (activity_count, params)],
        "/": home,
        "/pipeline/": board,
    }


def time_floor(conn: Any, statements: list[tuple[str, dict]], repeat: int) -> float:
    def run() -> None:
        with conn.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()

    run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure_floors(personas: list[Persona], repeat: int) -> dict[tuple[str, str], float]:
    """The floor of each main list per persona (ms), by (role, URL label); none off PostgreSQL."""
    import psycopg
    from django.utils import timezone

    if connection.vendor != "postgresql":
        return {}
    result = {}
    today = timezone.localdate()
    with floor_connection() as conn:
        for p in personas:
            for label, statements in floor_queries(p.user, today).items():
                try:
                    result[(p.role, label)] = time_floor(conn, statements, repeat)
                except psycopg.Error as exc:
                    log(f"floor {p.role:<8} {label:<40} failed: {exc}")
                    continue
                log(f"floor {p.role:<8} {label:<40} {result[(p.role, label)]:8.1f} ms")
    return result


def floor_connection() -> Any:
    """A psycopg connection of its own to the same database, with the app's connection options."""
    import psycopg

    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        options=db.get("OPTIONS", {}).get("options", "-c jit=off"),
        autocommit=True,
    )


# --- the table ----------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def render_table(rows: list[Row]) -> str:
    lines = [
        "| what | persona | status | median ms | p95 ms | queries | floor ms | 4-client req/s | 4-client p95 ms | flags |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        status = "/".join(str(s) for s, _n in row.statuses.most_common()) or "-"
        samples = f" (n={len(row.times)})" if row.times and len(row.times) < REPEAT else ""
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{row.what}`",
                    row.persona,
                    status,
                    _ms(row.median) + samples,
                    _ms(row.p95),
                    "" if row.queries is None else str(row.queries),
                    _ms(row.floor_ms),
                    "" if row.rps is None else f"{row.rps:.1f}",
                    _ms(row.conc_p95),
                    " ".join(f"**{f}**" for f in row.flags()),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    timed = [r for r in rows if r.times]
    if not timed:
        return "Nothing timed."
    slow_median = [r for r in timed if r.median is not None and r.median >= TARGET_MEDIAN_MS]
    slow_p95 = [r for r in timed if r.p95 is not None and r.p95 >= TARGET_P95_MS]
    over = [r for r in timed if max(r.times) > TARGET_MAX_MS]
    errors = [r for r in rows if any(not (200 <= s < 400) for s in {*r.statuses, *r.conc_statuses})]
    worst = sorted(timed, key=lambda r: r.median or 0, reverse=True)[:5]
    return "\n".join(
        [
            f"- {len(timed)} (URL, persona) pairs timed; "
            f"median ≥ {TARGET_MEDIAN_MS} ms: {len(slow_median)}; p95 ≥ {TARGET_P95_MS} ms: {len(slow_p95)}; "
            f"a request over 1 s: {len(over)}; answers other than 200/30x: {len(errors)}.",
            "- slowest medians: " + "; ".join(f"`{r.what}` {r.persona} {_ms(r.median)} ms" for r in worst),
        ]
    )


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="a regular expression: only the URLs it matches")
    parser.add_argument("--personas", default=",".join(ROLES), help="rep,manager,director,admin")
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, help="client threads (0: none)")
    parser.add_argument("--per-client", type=int, default=PER_CLIENT, help="requests per client thread")
    parser.add_argument("--concurrent-all", action="store_true", help="concurrent clients on every URL")
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn workers")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--no-queries", action="store_true")
    parser.add_argument("--floors-only", action="store_true", help="only the SQL floors (no server)")
    parser.add_argument("--out", help="also write the table to this markdown file")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    from kadence.demo.catalogues import DEMO_PASSWORD
    from kadence.pipeline.models import Opportunity

    args = parse_args(argv)
    global REPEAT
    REPEAT = args.repeat
    started = time.monotonic()
    roles = [r.strip() for r in args.personas.split(",") if r.strip()]
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        log("warning: not PostgreSQL; the figures say little about production")
    users, ids = personas_and_records()
    deals = Opportunity.objects.count()
    header = [
        f"database {db['NAME']} ({connection.vendor}): {deals:,} opportunities; commit {_commit()}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"gunicorn {args.workers} workers; {args.repeat} sequential requests after a warm-up; "
        f"{args.concurrency} clients × {args.per_client} requests; {os.cpu_count()} CPUs",
    ]
    personas = [Persona(role, users[role]) for role in roles if role in users]
    for p in personas:
        p.note = describe(p.role, p.user)
        header.append("- " + p.note)
    header.append("- records for the detail pages: " + ", ".join(f"{k} {v}" for k, v in sorted(ids.items())))
    targets, skipped = discover(args.only)
    skipped += [
        f"{t.label} (no {', '.join(r for r in t.records if r not in ids)})"
        for t in targets
        if not set(t.records) <= ids.keys()
    ]
    targets = [t for t in targets if set(t.records) <= ids.keys()]
    header.append(f"- {len(targets)} URLs; left out: " + ("; ".join(skipped) or "none"))
    for line in header:
        log(line)

    floors = {} if args.no_floor else measure_floors(personas, args.repeat)
    if args.floors_only:
        print("| floor of | persona | ms |\n|---|---|---:|")
        for (role, label), ms in floors.items():
            print(f"| `{label}` | {role} | {_ms(ms)} |")
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kadence-pages-") as tmp:
        server = start_server(port, args.workers, Path(tmp) / "gunicorn.log")
        rows: list[Row] = []
        try:
            for p in personas:
                sign_in(port, p, os.environ.get("PASSWORD", DEMO_PASSWORD))
            for p in personas:
                client = None if args.no_queries else in_process_client(p.session)
                for target in targets:
                    row = Row(target.label, p.role)
                    rows.append(row)
                    row.floor_ms = floors.get((p.role, target.label))
                    url = target.url(ids)
                    if client is not None:
                        try:
                            _status, row.queries = count_queries(client, url)
                        except Exception as exc:  # noqa: BLE001 - reported in the table, the run goes on
                            row.error = f"in-process {type(exc).__name__}"
                    try:
                        time_sequential(port, p.cookie, url, args.repeat, row)
                    except OSError as exc:
                        row.error = f"HTTP {type(exc).__name__}"
                        continue
                    conc = args.concurrent_all or target.label in MAIN_LISTS
                    if args.concurrency > 0 and conc:
                        time_concurrent(port, p.cookie, url, args.concurrency, args.per_client, row)
                    log(
                        f"{p.role:<8} {target.label:<60} {'/'.join(map(str, row.statuses))} "
                        f"{_ms(row.median):>8} ms  q={row.queries}"
                        + (f"  {row.rps:.1f} req/s" if row.rps else "")
                    )
        finally:
            for p in personas:
                if p.cookie:
                    try:
                        sign_out(port, p)
                    except OSError:
                        pass
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            errors = [
                line
                for line in (Path(tmp) / "gunicorn.log").read_text(errors="replace").splitlines()
                if "Traceback" in line or "WORKER TIMEOUT" in line or "Statement timeout" in line
            ]
            if errors:
                log(f"gunicorn log: {len(errors)} errors / timeouts, e.g. {errors[:3]}")

    rows.sort(key=lambda r: (r.what, ROLES.index(r.persona) if r.persona in ROLES else 9))
    table = render_table(rows)
    header.append(f"- wall time {time.monotonic() - started:.0f} s")
    text = "\n".join(header) + "\n\n" + table + "\n\n" + summary(rows) + "\n"
    print(text)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        log(f"written to {out}")


if __name__ == "__main__":
    main()
