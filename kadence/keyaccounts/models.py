"""The key-account app's models, one module per part, each imported here so that Django finds them."""

from kadence.keyaccounts.coverage.models import CoveragePolicy  # noqa: E402,F401
from kadence.keyaccounts.platforms.models import PlatformCriteria, PlatformSnapshot  # noqa: E402,F401
