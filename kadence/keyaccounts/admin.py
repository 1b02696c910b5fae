"""The key-account parts' Django admin, one module per part."""

from kadence.keyaccounts.kam import admin as kam  # noqa: F401
from kadence.keyaccounts.plans import admin as plans  # noqa: F401
