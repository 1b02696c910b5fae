"""The key-account app's background jobs (found by kadence.core.jobs.jobs()): one import per part."""

from kadence.keyaccounts.importance import tasks as importance  # noqa: F401
