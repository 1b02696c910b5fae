from kadence.performance.sizing.models import SizingAssumption  # noqa: F401
