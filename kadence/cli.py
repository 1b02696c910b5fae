"""The `kadence` console script: every Django management command, Kadence's own included."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        # `kadence forecast-snapshot` and `kadence forecast_snapshot` are the same command.
        args = [args[0].replace("-", "_"), *args[1:]]
    execute_from_command_line(["kadence", *args])


if __name__ == "__main__":
    main()
