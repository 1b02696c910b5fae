"""Activity use cases (writes), shared by API, pages and CLI.

A write that may change which done customer-side activity of a deal is the last (logging one, editing
its kind, date or done flag, marking it done) takes the deal's row lock before it writes and then
recomputes the deal's stall summary (kadence.activities.stall, kadence.pipeline.stall).

`is_effective` is not written by callers: it is the effective-visit rule (kadence.domain.quotas.is_effective
over the configured EffectiveVisitRule) applied to the activity's kind, done flag and `result`, computed
when an activity is logged and whenever one of those three changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, TypedDict, Unpack

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.models import Contact
from kadence.accounts.services import required_error
from kadence.activities.models import Activity
from kadence.activities.selectors import effective_visit_rule
from kadence.activities.stall import counts, is_customer_side, refresh_last_activity
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_bool, clean_date, clean_ids, clean_text
from kadence.core.visibility import access_account, access_activity, access_opportunity, in_scope
from kadence.domain.quotas import is_effective
from kadence.pipeline.stall import lock


class ActivityFields(TypedDict, total=False):
    """What activity_create sets and activity_update changes; a field not given stays as it is."""

    kind: str
    subject: str
    date: date
    done: bool
    result: str
    outcome: str
    next_step: str
    next_step_date: date | None


# Callers may also pass a dict (`**form.service_kwargs()`): a key outside these is refused.
FIELDS = tuple(ActivityFields.__annotations__)
# The fields that decide whether (and when) the activity counts for its deal's stall summary.
STALL_FIELDS = frozenset({"kind", "date", "done"})
# The fields the effective-visit rule reads: a change to one of them judges the activity again.
RULE_FIELDS = frozenset({"kind", "done", "result"})


def _clean(values: ActivityFields) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for field, value in values.items():
        if field not in FIELDS:
            raise ValidationFailed(
                _("Field %(field)s cannot be set here.") % {"field": field}, {field: [_("Not editable.")]}
            )
        clean[field] = value
    if "kind" in clean and clean["kind"] not in Activity.Kind.values:
        raise ValidationFailed(
            _("Unknown activity kind."), {"kind": [_("Choose visit, call, meeting, demo or e-mail.")]}
        )
    if "done" in clean:
        clean["done"] = clean_bool(clean["done"], "done")
    if "result" in clean:
        clean["result"] = clean["result"] or ""
        if clean["result"] not in Activity.Result.values:
            raise ValidationFailed(
                _("Unknown result."),
                {"result": [_("Choose found, advanced, solved, or nothing of the three.")]},
            )
    if "outcome" in clean:
        clean["outcome"] = clean_text(clean["outcome"], "outcome", 20000, multiline=True)
    if "subject" in clean:
        subject = clean_text(clean["subject"], "subject", 200).strip()
        if not subject:
            raise ValidationFailed(
                _("The activity needs a subject."), {"subject": [_("This field is required.")]}
            )
        clean["subject"] = subject
    if "date" in clean and not isinstance(clean["date"], date):
        raise ValidationFailed(_("Enter the activity's date."), {"date": [_("Required.")]})
    for key in ("date", "next_step_date"):
        clean_date(clean.get(key), key)
    if "next_step" in clean:
        clean["next_step"] = clean_text(clean["next_step"], "next_step", 300)
    if clean.get("next_step_date") and clean.get("date") and clean["next_step_date"] < clean["date"]:
        raise ValidationFailed(
            _("The next step cannot be before the activity."), {"next_step_date": [_("Too early.")]}
        )
    return clean


def _contacts(account_id: int, contact_ids: Iterable[int] | None) -> list[Contact] | None:
    if contact_ids is None:
        return None
    ids = clean_ids(contact_ids, "contact_ids")
    rows = list(Contact.objects.filter(pk__in=ids, account_id=account_id))
    if len(rows) != len(ids):
        raise ValidationFailed(
            _("Contacts must belong to the activity's account."), {"contact_ids": [_("Unknown contact.")]}
        )
    return rows


@transaction.atomic
def activity_create(
    user: User,
    *,
    account_id: int | None = None,
    opportunity_id: int | None = None,
    contact_ids: Iterable[int] | None = None,
    owner: User | None = None,
    **values: Unpack[ActivityFields],
) -> Activity:
    """Log (or plan) an activity at an account the user sees, optionally on one of its opps.
    Given only an opportunity, the activity takes the opportunity's account. `owner` logs it for a
    colleague (an import of a team's activities): someone placed in the user's units; the activity
    is booked to the owner's team."""
    opp = access_opportunity(user, opportunity_id) if opportunity_id else None
    if account_id is None:
        if opp is None:
            raise ValidationFailed(
                _("Choose an account or an opportunity."), {"account_id": [_("Required.")]}
            )
        account_id = opp.account_id
    account = access_account(user, account_id)
    if opp is not None and opp.account_id != account.pk:
        raise ValidationFailed(
            _("The opportunity belongs to another account."), {"opportunity_id": [_("Wrong account.")]}
        )
    clean = _clean(values)
    for field in ("kind", "subject"):
        if field not in clean:
            raise required_error(Activity, field)
    clean.setdefault("date", timezone.localdate())
    owner = owner or user
    if owner.pk != user.pk and not in_scope(user, owner.org_unit_id):
        raise PermissionDenied(_("You can only log activities for people in your own units."))
    if owner.org_unit_id is None:
        raise ValidationFailed(
            _("You belong to no team; an admin must place you in one first.")
            if owner.pk == user.pk
            else _("The owner belongs to no team; an admin must place them in one first."),
            code="no_team",
        )
    counted = opp is not None and is_customer_side(clean["kind"], clean.get("done", True))
    if counted:
        lock([opportunity_id])
    clean["is_effective"] = is_effective(
        effective_visit_rule(),
        kind=clean["kind"],
        done=clean.get("done", True),
        result=clean.get("result", ""),
    )
    now = timezone.now()
    activity = Activity.objects.create(
        account=account,
        opportunity=opp,
        owner=owner,
        team_id=owner.org_unit_id,
        created_at=now,
        updated_at=now,
        **clean,
    )
    contacts = _contacts(account.pk, contact_ids)
    if contacts:
        activity.contacts.set(contacts)
    if counted:
        refresh_last_activity([activity.opportunity_id])
    return activity


@transaction.atomic
def activity_update(
    user: User,
    activity_id: int,
    *,
    version: int,
    contact_ids: Iterable[int] | None = None,
    **values: Unpack[ActivityFields],
) -> Activity:
    activity = access_activity(user, activity_id, for_write=True)
    clean = _clean(values)
    if (
        "next_step_date" in clean
        and clean["next_step_date"]
        and "date" not in clean
        and clean["next_step_date"] < activity.date
    ):
        raise ValidationFailed(
            _("The next step cannot be before the activity."), {"next_step_date": [_("Too early.")]}
        )
    if not RULE_FIELDS.isdisjoint(clean):
        clean["is_effective"] = is_effective(
            effective_visit_rule(),
            kind=clean.get("kind", activity.kind),
            done=clean.get("done", activity.done),
            result=clean.get("result", activity.result),
        )
    counted = counts(activity)
    summarised = activity.opportunity_id is not None and not STALL_FIELDS.isdisjoint(clean)
    if summarised:
        lock([activity.opportunity_id])
    versioned_update(activity, version, clean)
    if summarised and (counted or counts(activity)):
        refresh_last_activity([activity.opportunity_id])
    contacts = _contacts(activity.account_id, contact_ids)
    if contacts is not None:
        activity.contacts.set(contacts)
    return activity


@transaction.atomic
def activity_mark_done(user: User, activity_id: int, *, version: int | None) -> Activity:
    """Mark a planned activity as done (idempotent: an activity already done is returned unchanged)."""
    version = require_version(version)
    activity = access_activity(user, activity_id, for_write=True)
    if activity.done:
        return activity
    if activity.opportunity_id is not None:
        lock([activity.opportunity_id])
    effective = is_effective(effective_visit_rule(), kind=activity.kind, done=True, result=activity.result)
    versioned_update(activity, version, {"done": True, "is_effective": effective})
    if counts(activity):
        refresh_last_activity([activity.opportunity_id])
    return activity
