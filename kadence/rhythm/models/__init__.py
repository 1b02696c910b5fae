"""The rhythm's models, one module per part, each imported here so that Django finds them."""

from kadence.rhythm.plans.models import *  # noqa: F403
