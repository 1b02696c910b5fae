"""The personal calendar feed (ICS, RFC 5545) of a user's open notifications, built with `icalendar`: one
all-day event per item on its due date, with a UID that stays the same for the item (its key), and
SEQUENCE / DTSTAMP / LAST-MODIFIED that change when its due date does, so Outlook, Apple, Google and other
calendar apps move the event instead of adding one."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from kadence.core.models import User
from kadence.domain.notify import event_uid
from kadence.rhythm.notify.models import Notification, render_message
from kadence.rhythm.notify.services import base_url


def feed_calendar(user: User, items: list[Notification], language: str) -> bytes:
    root = base_url()
    host = urlsplit(root).hostname or "kadence"
    with translation.override(language):
        cal = Calendar()
        cal.add("prodid", "-//Kadence//Notifications//EN")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", _("Kadence: what is due"))
        cal.add("x-published-ttl", "PT1H")
        for item in items:
            event = Event()
            event.add("uid", event_uid(item.key, user.pk, host))
            event.add("summary", render_message(item.message, item.params))
            event.add("dtstart", item.due_date)
            event.add("dtend", item.due_date + timedelta(days=1))
            event.add("dtstamp", item.updated_at)
            event.add("last-modified", item.updated_at)
            event.add("created", item.created_at)
            event.add("sequence", item.sequence)
            event.add("transp", "TRANSPARENT")
            if item.url:
                event.add("url", root + item.url)
                event.add("description", root + item.url)
            cal.add_component(event)
    return cal.to_ical()
