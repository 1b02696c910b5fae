"""Deal control over the API: buying_centre (work in progress)."""

from ninja import Router

router = Router(tags=["deal control"])
