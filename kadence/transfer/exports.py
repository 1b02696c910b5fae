"""What each list exports: its columns and its rows, read with the list's own filters, order and
visibility (the selectors' `*_rows`), as plain dicts in chunks (kadence.core.export streams them).

Names of configuration rows (stages, teams, regions, industries) are written in the active language;
people by their display name; amounts as numbers with their currency in a column of its own; the level's
probability as a percentage; dates as dates. Each list has the columns a sales team keeps in its sheet,
with the ids last, so a file can come back in through the importer."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import date
from typing import Any, get_args, get_type_hints

from django.db import connection
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import QueryDict
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kadence.accounts.forms import AccountFilterForm
from kadence.accounts.models import Account, Contact
from kadence.accounts.selectors import AccountFilters, account_rows, contact_rows
from kadence.activities.forms import ActivityFilterForm
from kadence.activities.models import Activity
from kadence.activities.selectors import ActivityFilters, activity_rows
from kadence.core.export import Column
from kadence.core.i18n import chinese_active
from kadence.core.models import User
from kadence.core.validation import parse_int
from kadence.pipeline.forms import OpportunityFilterForm
from kadence.pipeline.models import ForecastCategory, Opportunity, ProbabilityLevel
from kadence.pipeline.selectors import DEFAULT_SORT, SORTS, OpportunityFilters, opportunity_rows

CHUNK = 2000  # rows read from the database at a time


@contextmanager
def whole_result_plans() -> Iterator[None]:
    """PostgreSQL: cursors opened inside are planned for their whole result (put back after)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1.0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET cursor_tuple_fraction")


def _name(prefix: str) -> Any:
    """A bilingual row's name in the active language (English falls back to the Chinese name, which is
    always filled in: kadence.core.i18n.in_language)."""
    if chinese_active():
        return F(f"{prefix}__name_zh")
    return Coalesce(NullIf(F(f"{prefix}__name_en"), Value("")), F(f"{prefix}__name_zh"))


def _person(prefix: str) -> Any:
    """A person's label as the pages show it: display name, else login."""
    return Coalesce(NullIf(F(f"{prefix}__display_name"), Value("")), F(f"{prefix}__username"))


def _labels(choices: Any) -> Callable[[str], Callable[[Mapping[str, Any]], Any]]:
    labels = dict(choices)
    return lambda key: lambda row: labels.get(row.get(key), row.get(key))


@dataclass(frozen=True)
class ListExport:
    """One list's export: `filename` (ASCII), `title` (the sheet's), `columns()`, `select(user, filters,
    sort)` (the list's selector: the rows the user may see, filtered, in order), `read(queryset)` (those
    rows as dicts, streamed), `from_page(user, query)` (the selector's arguments from the list page's GET
    parameters, as the page reads them) and `filters_type` (the filters' dataclass, to store them in a
    background export and read them back: see filters_data)."""

    filename: str
    title: Callable[[], str]
    columns: Callable[[], list[Column]]
    select: Callable[[User, Any, str], QuerySet[Any]]
    read: Callable[[QuerySet[Any]], Iterator[Mapping[str, Any]]]
    from_page: Callable[[User, QueryDict], tuple[Any, str]]
    filters_type: type

    def rows(self, user: User, filters: Any, sort: str) -> Iterator[Mapping[str, Any]]:
        """Every row `user` may see that `filters` select, in the list's order, as dicts."""
        return self.read(self.select(user, filters, sort))

    def count(self, user: User, filters: Any, sort: str, *, limit: int | None = None) -> int:
        """How many rows the export writes; with `limit`, counted no further than limit + 1 (a bounded
        count: ``SELECT count(*) FROM (… LIMIT n)``, enough to tell "more than limit")."""
        qs = self.select(user, filters, sort).order_by()
        return (qs[: limit + 1] if limit is not None else qs).count()

    def filters_data(self, filters: Any) -> dict[str, Any]:
        """The filters as JSON data (dates as ISO text), for a background export to store."""
        return {
            f.name: v.isoformat() if isinstance(v, date) else v
            for f in dataclass_fields(filters)
            if (v := getattr(filters, f.name)) is not None and v != "" and v != {}
        }

    def filters_from(self, data: Mapping[str, Any]) -> Any:
        """The filters stored by filters_data, as the selector takes them."""
        hints = get_type_hints(self.filters_type)
        known = {f.name for f in dataclass_fields(self.filters_type)}
        values = {}
        for name, value in data.items():
            if name not in known:
                continue
            hint = hints[name]
            if isinstance(value, str) and (hint is date or date in get_args(hint)):
                value = date.fromisoformat(value)
            values[name] = value
        return self.filters_type(**values)


def _read(qs: QuerySet[Any], fields: list[str], **expressions: Any) -> Iterator[Mapping[str, Any]]:
    """`fields` as they are, `expressions` computed; read `CHUNK` rows at a time (a server-side cursor on
    PostgreSQL), planned for reading them all: PostgreSQL plans a cursor for its first tenth of rows by
    default (`cursor_tuple_fraction`), which picks index probes that are fast to start and, at a million
    rows, six times slower to finish than the joins it picks for a whole result."""
    with whole_result_plans():
        yield from qs.values(*fields, **expressions).iterator(chunk_size=CHUNK)


# --- opportunities -------------------------------------------------------------------------------


def opportunity_columns() -> list[Column]:
    status, category = _labels(Opportunity.Status.choices), _labels(ForecastCategory.choices)
    levels = {level.pk: level.badge for level in ProbabilityLevel.objects.all()}  # a handful of rungs
    return [
        Column(_("Opportunity"), "name", width=36),
        Column(_("Account"), "account_name", width=30),
        Column(_("Owner"), "owner_name", width=14),
        Column(_("Team"), "team_name", width=16),
        Column(_("Process"), "template_name", width=16),
        Column(_("Stage"), "stage_name", width=20),
        Column(_("Level"), lambda row: levels.get(row["level_id"]), width=8),
        Column(_("Probability"), "probability", "percent"),
        Column(_("Amount"), "amount", "money"),
        Column(_("Currency"), "currency", width=8),
        Column(_("Expected close date"), "expected_close_date", "date"),
        Column(_("Status"), status("status"), width=10),
        Column(_("Closed on"), "closed_on", "date"),
        Column(_("Forecast category"), category("forecast_category"), width=14),
        Column(_("Next step"), "next_step", width=30),
        Column(capfirst(_("created")), "created_at", "datetime"),
        Column(_("Updated"), "updated_at", "datetime"),
        Column(_("ID"), "id", "int"),
        Column(_("Account ID"), "account_id", "int"),
    ]


def opportunity_page_filters(user: User, query: QueryDict) -> tuple[OpportunityFilters, str]:
    sort = query.get("sort") or DEFAULT_SORT
    return OpportunityFilterForm(user, query).filters(), sort if sort in SORTS else DEFAULT_SORT


def opportunity_select(user: User, filters: OpportunityFilters, sort: str) -> QuerySet[Opportunity]:
    return opportunity_rows(user, filters, sort=sort)


def opportunity_read(qs: QuerySet[Opportunity]) -> Iterator[Mapping[str, Any]]:
    return _read(
        qs,
        [
            "id",
            "name",
            "account_id",
            "level_id",
            "probability",
            "amount",
            "currency",
            "expected_close_date",
            "status",
            "closed_on",
            "forecast_category",
            "next_step",
            "created_at",
            "updated_at",
        ],
        account_name=F("account__name"),
        owner_name=_person("owner"),
        team_name=_name("team"),
        template_name=_name("template"),
        stage_name=_name("stage"),
    )


# --- accounts and contacts -----------------------------------------------------------------------


def account_columns() -> list[Column]:
    status, size = _labels(Account.Status.choices), _labels(Account.Size.choices)
    return [
        Column(_("Account"), "name", width=30),
        Column(_("Industry"), "industry_name", width=14),
        Column(_("Region"), "region_name", width=12),
        Column(_("Size"), size("size"), width=8),
        Column(_("Business status"), status("status"), width=10),
        Column(_("Buying power"), "buying_power", "money"),
        Column(_("Currency"), "currency", width=8),
        Column(_("Owner"), "owner_name", width=14),
        Column(_("Address"), "address", width=30),
        Column(capfirst(_("created")), "created_at", "datetime"),
        Column(_("Updated"), "updated_at", "datetime"),
        Column(_("ID"), "id", "int"),
    ]


def account_page_filters(user: User, query: QueryDict) -> tuple[AccountFilters, str]:
    form = AccountFilterForm(query, user=user)
    return form.filters(), form.ordering()


def account_select(user: User, filters: AccountFilters, sort: str) -> QuerySet[Account]:
    return account_rows(user, filters, sort=sort)


def account_read(qs: QuerySet[Account]) -> Iterator[Mapping[str, Any]]:
    return _read(
        qs,
        ["id", "name", "size", "status", "buying_power", "currency", "address", "created_at", "updated_at"],
        industry_name=_name("industry"),
        region_name=_name("region"),
        owner_name=_person("owner"),
    )


def contact_columns() -> list[Column]:
    attitude, influence = _labels(Contact.Attitude.choices), _labels(Contact.Influence.choices)
    roles = dict(Contact.BuyingRole.choices)
    return [
        Column(_("Contact"), "name", width=14),
        Column(capfirst(_("title")), "title", width=16),
        Column(_("Account"), "account_name", width=30),
        Column(_("Phone"), "phone", width=16),
        Column(_("E-mail"), "email", width=24),
        Column(
            _("Buying roles"), lambda row: "、".join(str(roles.get(r, r)) for r in row["buying_roles"] or [])
        ),
        Column(_("Attitude"), attitude("attitude"), width=10),
        Column(_("Influence"), influence("influence"), width=10),
        Column(_("ID"), "id", "int"),
        Column(_("Account ID"), "account_id", "int"),
    ]


@dataclass(frozen=True)
class ContactFilters:
    account_id: int | None = None
    q: str = ""


def contact_page_filters(user: User, query: QueryDict) -> tuple[ContactFilters, str]:
    return ContactFilters(parse_int(query.get("account_id")), (query.get("q") or "")[:100]), ""


def contact_select(user: User, filters: ContactFilters, sort: str) -> QuerySet[Contact]:
    return contact_rows(user, account_id=filters.account_id, q=filters.q)


def contact_read(qs: QuerySet[Contact]) -> Iterator[Mapping[str, Any]]:
    return _read(
        qs,
        ["id", "name", "title", "account_id", "phone", "email", "buying_roles", "attitude", "influence"],
        account_name=F("account__name"),
    )


# --- activities ----------------------------------------------------------------------------------


def activity_columns() -> list[Column]:
    kind = _labels(Activity.Kind.choices)
    result = _labels(Activity.Result.choices)
    return [
        Column(_("Date"), "date", "date"),
        Column(_("Kind"), kind("kind"), width=10),
        Column(_("Subject"), "subject", width=30),
        Column(_("Account"), "account_name", width=30),
        Column(_("Opportunity"), "opportunity_name", width=30),
        Column(_("Owner"), "owner_name", width=14),
        Column(_("Done"), lambda row: _("yes") if row["done"] else _("no"), width=6),
        Column(_("Result"), lambda row: result("result")(row) if row["result"] else "", width=14),
        Column(_("Effective"), lambda row: _("yes") if row["is_effective"] else _("no"), width=6),
        Column(_("Outcome"), "outcome", width=40),
        Column(_("Next step"), "next_step", width=30),
        Column(_("Next step date"), "next_step_date", "date"),
        Column(_("ID"), "id", "int"),
    ]


def activity_page_filters(user: User, query: QueryDict) -> tuple[ActivityFilters, str]:
    return ActivityFilterForm(query, user=user).filters(), ""


def activity_select(user: User, filters: ActivityFilters, sort: str) -> QuerySet[Activity]:
    return activity_rows(user, filters)


def activity_read(qs: QuerySet[Activity]) -> Iterator[Mapping[str, Any]]:
    return _read(
        qs,
        [
            "id",
            "date",
            "kind",
            "subject",
            "done",
            "result",
            "is_effective",
            "outcome",
            "next_step",
            "next_step_date",
        ],
        account_name=F("account__name"),
        opportunity_name=F("opportunity__name"),
        owner_name=_person("owner"),
    )


EXPORTS: dict[str, ListExport] = {
    "opportunities": ListExport(
        "opportunities",
        lambda: _("Opportunities"),
        opportunity_columns,
        opportunity_select,
        opportunity_read,
        opportunity_page_filters,
        OpportunityFilters,
    ),
    "accounts": ListExport(
        "accounts",
        lambda: _("Accounts"),
        account_columns,
        account_select,
        account_read,
        account_page_filters,
        AccountFilters,
    ),
    "contacts": ListExport(
        "contacts",
        lambda: _("Contacts"),
        contact_columns,
        contact_select,
        contact_read,
        contact_page_filters,
        ContactFilters,
    ),
    "activities": ListExport(
        "activities",
        lambda: _("Activities"),
        activity_columns,
        activity_select,
        activity_read,
        activity_page_filters,
        ActivityFilters,
    ),
}
