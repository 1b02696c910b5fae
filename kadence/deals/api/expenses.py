"""Deal control over the API: expenses (work in progress)."""

from ninja import Router

router = Router(tags=["deal control"])
