"""The rhythm's models, one module per part, each imported here so that Django finds them."""

from kadence.rhythm.cadence.models import *  # noqa: F403
from kadence.rhythm.inbox.models import *  # noqa: F401,F403
from kadence.rhythm.notify.models import DigestRecord, Notification, NotifyChannels  # noqa: F401
from kadence.rhythm.pack.models import *  # noqa: F401,F403
from kadence.rhythm.plans.models import *  # noqa: F403
from kadence.rhythm.quotas.models import ActivityQuota, QuotaSettings  # noqa: F401
