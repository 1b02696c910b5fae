"""The key-account app's background jobs (found by kadence.core.jobs.jobs()): one import per part."""

from kadence.keyaccounts.value import tasks as value  # noqa: F401
