"""The key-account app's models, one module per part, each imported here so that Django finds them."""

from kadence.keyaccounts.value.models import (  # noqa: E402, F401
    AbcClass,
    BuyingPower,
    BuyingPowerHistory,
    KamMarginRate,
    KamValuePolicy,
    RadCell,
)
