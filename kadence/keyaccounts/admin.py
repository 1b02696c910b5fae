"""The key-account parts' Django admin, one module per part."""

from kadence.keyaccounts.plans import admin as plans  # noqa: F401
