"""Reads of the weekly 1x1 pack: the week asked for, the sections, the manager's note and the actions
in force that week (agreed then or before, not done before it), and the list of packs a viewer may
open. The section data comes from the reports the sections reuse (kadence.rhythm.pack.builtin)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_date
from kadence.core.visibility import access_pack_rep, can_mark_pack_action, can_write_pack, pack_reps
from kadence.domain.periods import week_start as monday_of
from kadence.rhythm.pack.models import PackAction, PackNote
from kadence.rhythm.pack.sections import Section, pack_scope, sections


def last_pack_week(today: date) -> date:
    """The latest week a pack can be opened for: next week's, to prepare the next 1x1."""
    return monday_of(today) + timedelta(days=7)


def parse_week(value: Any, today: date | None = None) -> date:
    """The Monday of the week asked for (any day of it, as YYYY-MM-DD or a date), up to next week (the
    pack the next 1x1 is prepared on: the actions carried over); later weeks are refused (422)."""
    today = today or timezone.localdate()
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise ValidationFailed(
                _("Enter a date as YYYY-MM-DD."), {"week": [_("Enter a date as YYYY-MM-DD.")]}
            ) from None
    clean_date(day, "week")
    monday = monday_of(day)
    if monday > last_pack_week(today):
        raise ValidationFailed(
            _("A pack is for next week or an earlier one."),
            {"week": [_("Choose next week or an earlier one.")]},
        )
    return monday


def week_bounds(week_start: date) -> tuple[datetime, datetime]:
    """The week's first and last moment (local time)."""
    start = timezone.make_aware(datetime.combine(week_start, time.min))
    return start, start + timedelta(days=7)


def actions_in_force(rep_id: int, week_start: date) -> QuerySet[PackAction]:
    """The actions of the rep's pack of that week: agreed in the week or before it, and not done before
    it started (an action done during the week shows there as done, and not in the weeks after)."""
    start, _end = week_bounds(week_start)
    return (
        PackAction.objects.filter(rep_id=rep_id, week_start__lte=week_start)
        .filter(Q(done_at__isnull=True) | Q(done_at__gte=start))
        .select_related("owner", "done_by")
        .order_by("done_at", "due_on", "week_start", "id")
    )


@dataclass
class SectionView:
    section: Section
    context: dict[str, Any]
    error: str = ""

    @property
    def key(self) -> str:
        return self.section.key

    @property
    def title(self) -> str:
        return str(self.section.title)


@dataclass(frozen=True)
class ActionRow:
    action: PackAction
    can_mark: bool
    carried: bool  # agreed in an earlier week's pack
    overdue: bool


@dataclass
class Pack:
    rep: User
    week_start: date
    week_end: date
    as_of: date
    sections: list[SectionView]
    note: PackNote | None
    actions: list[ActionRow]
    can_write: bool
    viewer: User
    owners: list[User] = field(default_factory=list)

    @property
    def previous_week(self) -> date:
        return self.week_start - timedelta(days=7)

    @property
    def next_week(self) -> date | None:
        following = self.week_start + timedelta(days=7)
        return following if following <= last_pack_week(timezone.localdate()) else None


def build_sections(
    rep: User, week_start: date, viewer: User, only: set[str] | None = None
) -> list[SectionView]:
    views = []
    with pack_scope():
        for section in sections():
            if only is not None and section.key not in only:
                continue
            try:
                views.append(SectionView(section, section.context(rep, week_start, viewer)))
            except DomainError as exc:  # a window out of reach, say: the section says so, the pack stands
                views.append(SectionView(section, {}, str(exc.detail)))
    return views


def pack(viewer: User, rep_id: int, week: Any, *, with_sections: bool = True) -> Pack:
    """The pack of `rep_id` for the week holding `week`, as `viewer` may read it (404 otherwise)."""
    rep = access_pack_rep(viewer, rep_id)
    week_start = parse_week(week)
    today = timezone.localdate()
    end = week_start + timedelta(days=6)
    writer = can_write_pack(viewer, rep)
    owners = [rep, viewer] if writer else []
    return Pack(
        rep=rep,
        week_start=week_start,
        week_end=end,
        as_of=min(end, today),
        sections=build_sections(rep, week_start, viewer) if with_sections else [],
        note=PackNote.objects.filter(rep=rep, week_start=week_start).select_related("written_by").first(),
        actions=[
            ActionRow(
                a,
                can_mark_pack_action(viewer, rep, a.owner_id),
                a.week_start < week_start,
                a.done_at is None and a.due_on is not None and a.due_on < min(end, today),
            )
            for a in actions_in_force(rep.pk, week_start)
        ],
        can_write=writer,
        viewer=viewer,
        owners=owners,
    )


@dataclass(frozen=True)
class PackListRow:
    rep: User
    open_actions: int


def pack_list(viewer: User) -> list[PackListRow]:
    """The sellers whose packs `viewer` may open (their own, for a seller), with their open actions
    (two queries)."""
    reps = list(pack_reps(viewer))
    counts: dict[int, int] = {}
    if reps:
        rows = (
            PackAction.objects.filter(rep_id__in=[r.pk for r in reps], done_at__isnull=True)
            .values("rep_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts = {row["rep_id"]: row["n"] for row in rows}
    return [PackListRow(r, counts.get(r.pk, 0)) for r in reps]
