"""Deal control over the API: tasks (work in progress)."""

from ninja import Router

router = Router(tags=["deal control"])
