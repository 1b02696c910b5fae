"""The rhythm's admin pages: each part's module, imported here so that Django's admin finds them."""

from kadence.rhythm.quotas import admin as quotas_admin  # noqa: F401
