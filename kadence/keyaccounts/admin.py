"""The key-account app's admin registrations (found by Django's admin autodiscovery): one import per part."""

from kadence.keyaccounts.kam import admin as kam  # noqa: F401
