"""The rhythm's background jobs (found by kadence.core.jobs.jobs()): one import per part."""

from kadence.rhythm.notify import tasks as notify  # noqa: F401
