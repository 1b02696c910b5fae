"""`kadence token create USERNAME [--name NAME]`: issue an API token and print it (once).
`kadence token revoke PREFIX`: revoke tokens starting with PREFIX."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kadence.core.models import ApiToken, User


class Command(BaseCommand):
    help = "Create or revoke API bearer tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a token for USERNAME and print it.")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        revoke = sub.add_parser("revoke", help="Revoke the token(s) whose prefix is PREFIX.")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        if action == "create":
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user named {options['username']!r}.")
            _row, token = ApiToken.issue(user, options["name"])
            self.stdout.write(token)
        else:
            count = ApiToken.objects.filter(prefix__startswith=options["prefix"][:8], revoked=False).update(revoked=True)
            if not count:
                raise CommandError("No active token with that prefix.")
            self.stdout.write(f"Revoked {count} token(s).")
