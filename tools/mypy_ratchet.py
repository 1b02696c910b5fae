"""mypy over the whole package against a baseline that may only shrink.

    .venv/bin/python tools/mypy_ratchet.py             # fails on a new error, or on a fixed one still listed
    .venv/bin/python tools/mypy_ratchet.py --update    # drops the fixed errors from the baseline

mypy runs with the configuration in pyproject.toml ([tool.mypy]: the kadence package with django-stubs,
the domain strict). Each error is keyed by file, error code and message, not by line, so an edit elsewhere
in a file does not disturb the errors already listed; the same error twice in a file is listed twice.
An error not in tools/mypy-baseline.txt fails the run: fix it (or, where mypy cannot follow the code, a
`# type: ignore[code]` with the reason beside it). An error that is gone must leave the baseline too
(`--update`), so it cannot come back unnoticed. `--update --accept-new` also adds the new errors: only
for a reviewed reason (a mypy or django-stubs upgrade), since the diff of the baseline then grows.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tools" / "mypy-baseline.txt"
HEADER = (
    "# mypy errors accepted for now (tools/mypy_ratchet.py): file: [code] message, one line per error.\n"
    "# This list may only shrink. Fix an error, then run `.venv/bin/python tools/mypy_ratchet.py --update`.\n"
)
# Line numbers inside a message ("defined on line 12") move with unrelated edits: key without them.
LINE_IN_MESSAGE = re.compile(r"\bline \d+\b")


def errors(count: int) -> str:
    return f"{count} error{'' if count == 1 else 's'}"


def run_mypy() -> tuple[Counter[str], dict[str, list[str]]]:
    """The errors of one mypy run: their keys counted, and each key's located lines for the report."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--output", "json", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode not in (0, 1):  # 2: mypy itself failed (a bad configuration, a crash)
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"mypy failed to run (exit {proc.returncode})")
    keys: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue
        error = json.loads(line)
        if error["severity"] != "error":
            continue
        message = LINE_IN_MESSAGE.sub("line N", error["message"]).replace("\n", " ")
        key = f"{error['file']}: [{error['code']}] {message}"
        keys[key] += 1
        where.setdefault(key, []).append(
            f"{error['file']}:{error['line']}: [{error['code']}] {error['message']}"
        )
    return keys, where


def read_baseline() -> Counter[str]:
    if not BASELINE.exists():
        return Counter()
    lines = BASELINE.read_text(encoding="utf-8").splitlines()
    return Counter(line for line in lines if line and not line.startswith("#"))


def write_baseline(keys: Counter[str]) -> None:
    body = "".join(f"{key}\n" for key in sorted(keys.elements()))
    BASELINE.write_text(HEADER + body, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--update", action="store_true", help="drop the errors that are gone from the baseline"
    )
    parser.add_argument(
        "--accept-new",
        action="store_true",
        help="with --update: add the new errors too (reviewed upgrades only)",
    )
    args = parser.parse_args()
    if args.accept_new and not args.update:
        parser.error("--accept-new goes with --update")

    current, where = run_mypy()
    baseline = read_baseline()
    new = current - baseline
    gone = baseline - current

    if args.update:
        kept = current if args.accept_new else current & baseline
        write_baseline(kept)
        print(f"mypy: {errors(current.total())}; baseline now {kept.total()} (was {baseline.total()})")
        if new and not args.accept_new:
            print("new errors, not added to the baseline:")
            for key in sorted(new):
                print("\n".join(f"  {line}" for line in where[key]))
            return 1
        return 0

    status = 0
    if new:
        status = 1
        print(f"mypy: {errors(new.total())} not in {BASELINE.relative_to(ROOT)} (fix them):")
        for key in sorted(new):
            lines = where[key]
            # The same key already listed n times and found m > n times: any of the m lines may be the new one.
            print("\n".join(f"  {line}" for line in lines))
    if gone:
        status = 1
        print(
            f"mypy: {errors(gone.total())} of the baseline fixed; shrink it with"
            " `.venv/bin/python tools/mypy_ratchet.py --update`:"
        )
        for key in sorted(gone.elements()):
            print(f"  {key}")
    if not status:
        print(f"mypy: {errors(current.total())}, all in the baseline (which may only shrink)")
    return status


if __name__ == "__main__":
    sys.exit(main())
