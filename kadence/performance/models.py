"""The performance app's models, one module per part, each imported here so that Django finds them."""

from kadence.performance.grid.models import GridRow, TargetGrid  # noqa: F401
