"""The key-account app's admin: one module per part, each imported here."""

from kadence.keyaccounts.coverage import admin as coverage  # noqa: F401
from kadence.keyaccounts.platforms import admin as platforms  # noqa: F401
