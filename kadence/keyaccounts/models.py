"""The key-account app's models, one module per part, each imported here so that Django finds them."""

from kadence.keyaccounts.groups.models import MergedAccount  # noqa: F401,E402
