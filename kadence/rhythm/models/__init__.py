"""The rhythm's models, one module per part, each imported here so that Django finds them."""

from kadence.rhythm.quotas.models import ActivityQuota, QuotaSettings  # noqa: F401
