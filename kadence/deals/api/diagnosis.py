"""Deal control over the API: diagnosis (work in progress)."""

from ninja import Router

router = Router(tags=["deal control"])
