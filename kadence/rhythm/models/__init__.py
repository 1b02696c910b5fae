"""The rhythm's models, one module per part, each imported here so that Django finds them."""

from kadence.rhythm.notify.models import DigestRecord, Notification, NotifyChannels  # noqa: F401
