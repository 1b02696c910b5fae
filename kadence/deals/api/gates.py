"""Deal control over the API: gates (work in progress)."""

from ninja import Router

router = Router(tags=["deal control"])
