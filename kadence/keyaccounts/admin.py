"""The key-account parts' Django admin, one module per part."""

from kadence.keyaccounts.coverage import admin as coverage  # noqa: F401
from kadence.keyaccounts.kam import admin as kam  # noqa: F401
from kadence.keyaccounts.plans import admin as plans  # noqa: F401
from kadence.keyaccounts.platforms import admin as platforms  # noqa: F401
