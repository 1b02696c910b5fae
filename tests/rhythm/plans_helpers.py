"""Shared set-up for the weekly plan tests."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from kadence.accounts.models import Contact
from kadence.activities import services as activity_services
from kadence.domain.plans import week_start


def this_monday() -> date:
    return week_start(timezone.localdate())


def next_monday() -> date:
    return this_monday() + timedelta(weeks=1)


def contact(account, name: str = "王工") -> Contact:
    return Contact.objects.create(account=account, name=name)


def done(user, account, day: date, kind: str = "visit"):
    return activity_services.activity_create(
        user, account_id=account.pk, kind=kind, subject=f"{kind} {day}", date=day, done=True
    )
