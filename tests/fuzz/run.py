"""The API fuzzing step of CI: Schemathesis against /api/openapi.json of a real server (gunicorn, as in
production) on a scratch database holding the demo company, once as a rep and once as an admin.

    .venv/bin/python tests/fuzz/run.py --database-url postgres://postgres@127.0.0.1:5432/kadence_fuzz \
        [--redis-url redis://127.0.0.1:6379/5] [--max-examples 8]

The scratch database is created afresh and dropped at the end (its name must contain "fuzz", or
pass --force). Fails (exit 1) on any 5xx, any error answer that is not the API's JSON error body, any
status an operation does not document and any answer that violates its declared schema. Prints, per
persona, the number of requests the server answered, their statuses and the time taken; after a
failure the work directory keeps the server's log (with the traceback of any 500) and the reports.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import dj_database_url
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PERSONAS = ["rep.north1a", "admin"]  # a seller (own deals only) and the administrator (everything)
# Parameter and body field names → the dictionary of known ids (tests/fuzz/known_ids.py) they draw from.
ID_FIELDS = {
    "opp_id": "opportunity",
    "opportunity_id": "opportunity",
    "account_id": "account",
    "contact_id": "contact",
    "activity_id": "activity",
    "evidence_id": "evidence",
    "expense_id": "expense",
    "member_id": "member",
    "task_id": "task",
    "criterion_id": "criterion",
    "stage_id": "stage",
    "template_id": "template",
    "target_id": "target",
    "submission_id": "submission",
    "user_id": "user",
    "owner_id": "user",
    "assignee_id": "user",
    "unit_id": "unit",
    "org_unit_id": "unit",
    "region_id": "unit",
    "team_id": "unit",
    "industry_id": "industry",
    "product_line_id": "product_line",
    "level_id": "level",
    "loss_reason_id": "loss_reason",
    "role_id": "role",
    "winning_competitor_id": "competitor",
}
ID_LIST_FIELDS = {
    "competitor_ids": "competitor",
    "contact_ids": "contact",
    "product_line_ids": "product_line",
}
KNOWN_ID_PROBABILITY = 0.8  # the rest stays generated: unknown ids must answer 404, not 500
VERSIONS = [1, 2, 3]  # most demo records are at an early version; any other answers 409
# Values at the edges, drawn now and then for every field of their kind (libFuzzer-style dictionaries):
# random generation seldom reaches them, and each class once answered 500.
EDGES = {
    "edge_date": (0.15, ["0001-01-01", "9999-12-31", "1899-12-31", "9000-01-01", "1970-01-01", "2000-02-29"]),
    "edge_datetime": (0.15, ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-12:00"]),
    "edge_number": (0.15, [1e-300, 1e300, 99999999999999, 2**63 - 1, 0, -1, 0.005, 1e-7]),
    "edge_text": (
        0.1,
        [
            "\u0007bell",
            "³",
            "٣",
            "Ⅻ",
            "tab\there",
            "line\nbreak",
            "\u202eevil",
            "𝟘𝟙",
            "\ufeff",
            "=1+1",
            "a" * 2000,
        ],
    ),
}
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "errors_are_json",  # tests/fuzz/hooks.py
    "ignored_auth",  # the same call without the token must answer 401
    "unsupported_method",  # a method the path does not take: 405 with Allow
    "use_after_free",  # stateful: a deleted record answers 404 afterwards
    "ensure_resource_availability",  # stateful: a created record can be read back
    "negative_data_rejection",  # input the schema forbids must answer 4xx
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("FUZZ_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kadence_fuzz"),
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("FUZZ_REDIS_URL"),
        help="Serve with the Redis cache (as production does); default: local memory.",
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "8")),
        help="Test cases per operation and phase.",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument(
        "--persona", action="append", help="Demo usernames to fuzz as (default: a rep and the admin)."
    )
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="Logs and reports (default: a temporary one)."
    )
    parser.add_argument(
        "--include-path-regex",
        default=None,
        help="Fuzz only the operations whose path matches (a quick look).",
    )
    parser.add_argument("--force", action="store_true", help="Recreate a database whose name lacks 'fuzz'.")
    parser.add_argument("--keep-database", action="store_true", help="Leave the scratch database for a look.")
    return parser.parse_args()


def recreate_database(url: str, force: bool) -> None:
    config = dj_database_url.parse(url)
    name = config["NAME"]
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(name).unlink(missing_ok=True)
        return
    if "fuzz" not in name and not force:
        sys.exit(f"refusing to drop {name!r}: its name lacks 'fuzz' (use --force)")
    admin = psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).unlink(missing_ok=True)
        return
    admin = psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(config["NAME"]))
        )


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server stopped while starting; see its log")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    sys.exit(f"the server did not answer {url}/healthz within {seconds:.0f} s")


def access_statuses(log: Path, persona: str) -> collections.Counter:
    """Statuses of the requests one persona made (gunicorn's access log, format '<status> <persona>')."""
    rows = (line.split() for line in log.read_text(errors="replace").splitlines())
    return collections.Counter(row[0] for row in rows if len(row) == 2 and row[1] == persona)


def field_kinds(document: dict) -> dict[tuple[str, str], str]:
    """(location, name) → "date", "datetime", "number" or "text", for every parameter and top-level
    body field of those kinds (location "query" stands for path and query parameters)."""

    def kind(schema: dict) -> str | None:
        if "anyOf" in schema:
            kinds = [kind(s) for s in schema["anyOf"] if s.get("type") != "null"]
            return kinds[0] if kinds else None
        if schema.get("enum"):
            return None
        fmt, typ = schema.get("format"), schema.get("type")
        if typ == "string":
            return {"date": "date", "date-time": "datetime", None: "text"}.get(fmt)
        return "number" if typ == "number" else None

    kinds = {}
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if (found := kind(parameter["schema"])) is not None:
                    kinds["query", parameter["name"]] = found
            for media in operation.get("requestBody", {}).get("content", {}).values():
                schema = media["schema"]
                if "$ref" in schema:
                    schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
                for name, field in schema.get("properties", {}).items():
                    if (found := kind(field)) is not None:
                        kinds["body", name] = found
    return kinds


def fuzz_config(known: dict[str, list[int]], document: dict) -> str:
    """A schemathesis.toml that binds id parameters and body fields to the persona's known ids, versions
    to early versions, and dates, numbers and text now and then to values at the edges."""
    dictionaries = {
        **{n: (KNOWN_ID_PROBABILITY, v) for n, v in known.items()},
        "version": (KNOWN_ID_PROBABILITY, VERSIONS),
        **EDGES,
    }
    lines = ["[cache]", "enabled = false  # no replay of an earlier run's crashes: every run is the same", ""]
    for name, (_p, values) in sorted(dictionaries.items()):
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values, ensure_ascii=False)}", ""]
    lines.append("[parameters]")

    def bind(key: str, dictionary: str) -> None:
        probability, values = dictionaries[dictionary]
        if values and probability > 0:
            lines.append(
                f'{json.dumps(key)} = {{ dictionary = "{dictionary}", probability = {probability} }}'
            )

    for field, dictionary in {**ID_FIELDS, "version": "version"}.items():
        bind(field, dictionary)  # path and query parameters
        bind(f"body.{field}", dictionary)
    for field, dictionary in ID_LIST_FIELDS.items():
        bind(f"body.{field}[*]", dictionary)
    for (location, field), kind in sorted(field_kinds(document).items()):
        bind(field if location == "query" else f"body.{field}", f"edge_{kind}")
    return "\n".join(lines) + "\n"


def main() -> int:
    args = parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="kadence-fuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": args.database_url,
        "KADENCE_DATA_DIR": str(work / "data"),
        "SECRET_KEY": "fuzz-" + "k" * 60,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url

    started = time.monotonic()
    print(f"== fuzz: scratch database {dj_database_url.parse(args.database_url)['NAME']}, work dir {work}")
    recreate_database(args.database_url, args.force)
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "load_demo", "--seed", "42")
    if args.redis_url:
        manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    personas = args.persona or PERSONAS
    tokens = {name: manage(env, "token", "create", name, "--name", "fuzz").strip() for name in personas}
    known = {}
    for name in personas:
        printed = manage(
            env, "shell", "--verbosity", "0", "-c", f"from tests.fuzz.known_ids import main; main({name!r})"
        )
        known[name] = json.loads(printed.strip().splitlines()[-1])
    print(f"   demo loaded and tokens issued in {time.monotonic() - started:.0f} s")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    access_log, error_log = work / "access.log", work / "server.log"
    access_log.touch()
    server_output = error_log.open("w")  # gunicorn's own log and Django's (tracebacks of 500s)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--timeout",
            "120",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(s)s %({x-fuzz-persona}i)s",
            # No request-line or header size limit: gunicorn answers an oversized one itself (414 HTML) before
            # the app sees it; the fuzzer's long queries must reach the API. `kadence serve` keeps the limits.
            "--limit-request-line",
            "0",
            "--limit-request-field_size",
            "0",
        ],
        cwd=ROOT,
        env=env,
        stdout=server_output,
        stderr=subprocess.STDOUT,
    )
    failed = False
    try:
        wait_until_up(url, server)
        with urllib.request.urlopen(f"{url}/api/openapi.json", timeout=60) as response:
            document = json.load(response)
        # Schemathesis reads the schema from this file, not the server: it gives a schema URL a fixed 10 s,
        # and a loaded machine builds the whole schema in about 5 s per worker process
        schema_file = work / "openapi.json"
        schema_file.write_text(json.dumps(document))
        configs = {name: work / f"{name}.toml" for name in personas}
        for name, path in configs.items():
            path.write_text(fuzz_config(known[name], document))
        runs = {}
        for persona, token in tokens.items():
            command = [
                str(BIN / "schemathesis"),
                "--config-file",
                str(configs[persona]),
                "run",
                str(schema_file),
                "--url",
                url,
                "--header",
                f"Authorization: Bearer {token}",
                "--header",
                f"X-Fuzz-Persona: {persona}",  # logged by the server, to count calls per persona
                "--checks",
                ",".join(CHECKS),
                "--phases",
                args.phases,
                "--max-examples",
                str(args.max_examples),
                "--generation-deterministic",  # the same cases on every run
                "--workers",
                "1",  # one process per persona instead: ast.parse in threads trips CPython 3.11
                "--continue-on-failure",
                "--request-timeout",
                "60",
                "--suppress-health-check",
                "all",
                "--no-color",
                "--report",
                "junit",
                "--report-dir",
                str(work / persona),
            ]
            if args.include_path_regex:
                command += ["--include-path-regex", args.include_path_regex]
            shown = " ".join(c if "Bearer" not in c else "'Authorization: Bearer …'" for c in command[1:])
            print(f"== fuzz as {persona}: schemathesis {shown}")
            output = (work / f"{persona}.out").open("w")
            runs[persona] = (
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT),
                output,
                time.monotonic(),
            )
        sys.stdout.flush()
        for persona, (process, output, run_started) in runs.items():
            code = process.wait()
            output.close()
            elapsed = time.monotonic() - run_started
            print((work / f"{persona}.out").read_text(errors="replace"))
            statuses = access_statuses(access_log, persona)
            by_class = collections.Counter(f"{s[0]}xx" for s in statuses.elements())
            print(
                f"== fuzz as {persona}: {sum(statuses.values())} requests in {elapsed:.0f} s, "
                f"{dict(sorted(by_class.items()))}, 5xx: {by_class['5xx']}; schemathesis exit {code}"
            )
            failed |= code != 0
    finally:
        server.terminate()
        server.wait(timeout=60)
        server_output.close()
    print(
        f"== fuzz: {'FAILED' if failed else 'passed'} in {time.monotonic() - started:.0f} s "
        f"(server log: {error_log})"
    )
    if failed and "Traceback" in error_log.read_text(errors="replace"):
        print(error_log.read_text(errors="replace")[-20000:])
    if not args.keep_database:
        drop_database(args.database_url)
    if not failed and args.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
