"""What the pipeline tells the apps above it. Those apps keep copies of a deal's facts on their own
rows (an activity carries its deal's team); pipeline does not import them (apps in layers), so it
announces the change and they connect a receiver in their AppConfig.ready(). Sent inside the
service's transaction: the copies change atomically with the deal."""

from __future__ import annotations

from django.dispatch import Signal

opportunity_team_changed = Signal()
"""An opportunity moved to another team (reassigned to an owner of another team). Keyword arguments:
`opportunity_id`, `team_id` (the new team)."""
