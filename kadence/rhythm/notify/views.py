"""Notification pages: the list (/rhythm/notifications/), mark read (one or all), the channels and the
calendar feed token (/rhythm/notifications/channels/), and the feed itself (/calendar/<token>.ics, no
sign-in: the token is the key)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.core.prg import redirect_invalid_form, refill
from kadence.core.requests import PageRequest
from kadence.rhythm.notify import selectors, services
from kadence.rhythm.notify.calendar import feed_calendar
from kadence.rhythm.notify.forms import ChannelsForm

SHOWS = ("open", "unread", "all")


@login_required
@require_GET
def notification_list(request: PageRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    show = show if show in SHOWS else "open"
    page = selectors.notification_page(request.user, show=show, page=request.GET.get("page", 1))
    return render(
        request,
        "rhythm/notify/list.html",
        {"section": "rhythm_notifications", "page": page, "show": show, "shows": SHOWS},
    )


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("rhythm_notifications")
    return HttpResponseRedirect(target or reverse("rhythm_notifications"))


@login_required
@require_POST
def notification_read(request: PageRequest, notification_id: int) -> HttpResponse:
    services.notification_read(request.user, notification_id)
    return _back(request)


@login_required
@require_POST
def notifications_read_all(request: PageRequest) -> HttpResponse:
    count = services.notifications_read_all(request.user)
    messages.success(request, _("%(count)s marked read.") % {"count": count})
    return _back(request)


@login_required
def notification_channels(request: PageRequest) -> HttpResponse:
    """The channels: the app (always), the daily e-mail digest (on/off), the calendar feed (a private
    URL: make a new one, or switch it off). A new feed URL is shown once, right after it is made."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "feed_issue":
            token = services.feed_token_issue(user)
            request.session["rhythm_feed_url"] = services.feed_url(request, token)
            messages.success(request, _("Your new calendar address is below; the old one no longer works."))
        elif action == "feed_revoke":
            services.feed_token_revoke(user)
            messages.success(request, _("The calendar feed is off; its address no longer works."))
        else:
            form = ChannelsForm(request.POST)
            if not form.is_valid():
                return redirect_invalid_form(request, reverse("rhythm_notification_channels"), form)
            services.channels_update(
                user, email_digest=form.cleaned_data["email_digest"], version=form.cleaned_data["version"]
            )
            messages.success(request, _("Channels saved."))
        return HttpResponseRedirect(reverse("rhythm_notification_channels"))
    channels = selectors.channels_of(user)
    refilled = refill(request, ChannelsForm)
    form = (
        refilled.form
        if refilled
        else ChannelsForm(initial={"email_digest": channels.email_digest, "version": channels.version or 1})
    )
    return render(
        request,
        "rhythm/notify/channels.html",
        {
            "section": "rhythm_notifications",
            "channels": channels,
            "form": form,
            "new_feed_url": request.session.pop("rhythm_feed_url", None),
            "has_email": bool(user.email),
        },
    )


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's open items as an iCalendar feed; an unknown or revoked token answers 404."""
    user = selectors.feed_owner(services.feed_digest(token))
    if user is None:
        raise Http404
    body = feed_calendar(user, selectors.feed_items(user), user.language or settings.LANGUAGE_CODE)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kadence.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response
