"""The key-account jobs (found by kadence.core.jobs through Django's autodiscovery of `tasks` modules):
each part's tasks module is imported here."""

from kadence.keyaccounts.importance import tasks as importance  # noqa: F401
from kadence.keyaccounts.platforms import tasks as platforms  # noqa: F401
from kadence.keyaccounts.value import tasks as value  # noqa: F401
