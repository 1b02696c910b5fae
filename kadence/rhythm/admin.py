"""The rhythm's admin pages: one import per part (Django's admin discovers this module only)."""

import kadence.rhythm.cadence.admin  # noqa: F401
