"""Deal control over the API: milestones (work in progress)."""

from ninja import Router

router = Router(tags=["deal control"])
