"""API bearer tokens from the command line.

    kadence token create USERNAME [--name NAME]    print a new token (once) on stdout, its id on stderr
    kadence token list [--user USERNAME] [--all]   id, prefix, user, name, created, last used (--all: revoked too)
    kadence token revoke TOKEN [--user USERNAME]   TOKEN is a token id, the whole token, or its whole
                                                   8-character prefix matching exactly one active token
    kadence token revoke --user USERNAME [--all]   that user's only active token (--all: every one of theirs)

Revoking never matches by a partial prefix: `revoke kd_` once revoked every user's tokens. An identifier
that is too short or matches several tokens is refused with the matching ids, so the caller names one.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kadence.core.models import ApiToken, User

PREFIX_LENGTH = 8  # ApiToken.prefix: "kd_" and the first five characters of the secret


class Command(BaseCommand):
    help = "Create, list or revoke API bearer tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a token for USERNAME and print it (shown once).")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        listing = sub.add_parser("list", help="List active tokens (all users, or one with --user).")
        listing.add_argument("--user", dest="user", default=None)
        listing.add_argument(
            "--all", dest="include_revoked", action="store_true", help="Include revoked tokens."
        )
        revoke = sub.add_parser(
            "revoke",
            help="Revoke one token by id, whole token or whole 8-character prefix; or --user NAME [--all].",
        )
        revoke.add_argument("token", nargs="?", default=None)
        revoke.add_argument("--user", dest="user", default=None)
        revoke.add_argument(
            "--all",
            dest="every",
            action="store_true",
            help="With --user: revoke every active token of that user.",
        )

    def handle(self, *args, action, **options):
        if action == "create":
            self.create(options["username"], options["name"])
        elif action == "list":
            self.list_tokens(options["user"], options["include_revoked"])
        else:
            self.revoke(options["token"], options["user"], options["every"])

    def create(self, username: str, name: str) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        row, token = ApiToken.issue(user, name)
        self.stdout.write(token)
        self.stderr.write(f"Token id {row.pk} ({row.prefix}…) for {user.username}; it is shown only once.")

    def list_tokens(self, username: str | None, include_revoked: bool) -> None:
        rows = ApiToken.objects.select_related("user").order_by("user__username", "id")
        if username is not None:
            rows = rows.filter(user=self._user(username))
        if not include_revoked:
            rows = rows.filter(revoked=False)
        self.stdout.write("id\tprefix\tuser\tname\tcreated\tlast used\tstate")
        for row in rows:
            used = row.last_used_at.isoformat(timespec="minutes") if row.last_used_at else "-"
            state = "revoked" if row.revoked else "active"
            self.stdout.write(
                f"{row.pk}\t{row.prefix}\t{row.user.username}\t{row.name}\t"
                f"{row.created_at.isoformat(timespec='minutes')}\t{used}\t{state}"
            )

    @transaction.atomic
    def revoke(self, identifier: str | None, username: str | None, every: bool) -> None:
        active = ApiToken.objects.select_for_update().filter(revoked=False).select_related("user")
        if username is not None:
            active = active.filter(user=self._user(username))
        if identifier is None:
            if username is None:
                raise CommandError(
                    "Name the token to revoke (its id, or the whole token) or a user with --user."
                )
            rows = list(active.order_by("id"))
            if not rows:
                raise CommandError(f"{username!r} has no active token.")
            if len(rows) > 1 and not every:
                raise CommandError(
                    f"{username!r} has {len(rows)} active tokens ({self._ids(rows)}): name one by id, "
                    "or add --all to revoke every one of them."
                )
        else:
            if every:
                raise CommandError(
                    "--all goes with --user and no token: it revokes every token of that user."
                )
            rows = self._match(active, identifier.strip())
        ApiToken.objects.filter(pk__in=[row.pk for row in rows]).update(revoked=True)
        for row in rows:
            self.stdout.write(f"Revoked token {row.pk} ({row.prefix}…) of {row.user.username}.")

    def _match(self, active, identifier: str) -> list[ApiToken]:
        """The one active token the identifier names: an id, the whole token, or the whole stored prefix."""
        if identifier.isdigit():
            rows = list(active.filter(pk=int(identifier)))
        elif len(identifier) > PREFIX_LENGTH:
            rows = list(active.filter(digest=ApiToken.hash(identifier)))
        elif len(identifier) == PREFIX_LENGTH:
            rows = list(active.filter(prefix=identifier).order_by("id"))
            if len(rows) > 1:
                raise CommandError(
                    f"The prefix {identifier!r} matches {len(rows)} active tokens ({self._ids(rows)}): "
                    "revoke one by its id (see `kadence token list`)."
                )
        else:
            raise CommandError(
                f"{identifier!r} is too short to name one token: give its id (see `kadence token "
                f"list`), the whole token, or its whole {PREFIX_LENGTH}-character prefix."
            )
        if not rows:
            raise CommandError(f"No active token matches {identifier!r}.")
        return rows

    @staticmethod
    def _ids(rows: list[ApiToken]) -> str:
        return ", ".join(f"id {row.pk} of {row.user.username}" for row in rows)

    @staticmethod
    def _user(username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user
