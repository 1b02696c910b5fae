"""Deal control over the API: assessments (work in progress)."""

from ninja import Router

router = Router(tags=["deal control"])
