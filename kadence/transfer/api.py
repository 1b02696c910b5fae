"""The API of data in and out: each list exported whole (CSV or xlsx), with the list's own filters."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Query, Router
from ninja.responses import codes_4xx

from kadence.accounts.schemas import AccountFiltersQuery, ContactFiltersQuery
from kadence.activities.schemas import ActivityFiltersQuery
from kadence.core.api import ApiRequest
from kadence.core.export import export_response
from kadence.core.schemas import ErrorOut
from kadence.pipeline.schemas import OpportunityFiltersQuery
from kadence.transfer.exports import EXPORTS, ContactFilters

router = Router(tags=["exports"])

Format = Literal["csv", "xlsx"]
FORMAT_HELP = "csv (UTF-8 with a byte-order mark, streamed) or xlsx."
FILE = {
    "responses": {
        200: {
            "description": "The file: every row the list's filters select that you may see, in the list's order.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
}


class OpportunityExportQuery(OpportunityFiltersQuery):
    format: Format = Field("csv", description=FORMAT_HELP)


class AccountExportQuery(AccountFiltersQuery):
    format: Format = Field("csv", description=FORMAT_HELP)


class ContactExportQuery(ContactFiltersQuery):
    format: Format = Field("csv", description=FORMAT_HELP)


class ActivityExportQuery(ActivityFiltersQuery):
    format: Format = Field("csv", description=FORMAT_HELP)


def _export(request: ApiRequest, name: str, fmt: str, filters: Any, sort: str) -> Any:
    export = EXPORTS[name]
    return export_response(
        fmt, export.filename, export.title(), export.columns(), export.rows(request.auth, filters, sort)
    )


@router.get("/exports/opportunities", response={codes_4xx: ErrorOut}, openapi_extra=FILE)
def export_opportunities(request: ApiRequest, query: Query[OpportunityExportQuery]) -> Any:
    """The opportunities you may see, with the filters of `GET /api/opportunities`, as one file."""
    return _export(request, "opportunities", query.format, query.filters(), query.sort)


@router.get("/exports/accounts", response={codes_4xx: ErrorOut}, openapi_extra=FILE)
def export_accounts(request: ApiRequest, query: Query[AccountExportQuery]) -> Any:
    """The accounts you may see, with the filters of `GET /api/accounts`, as one file."""
    return _export(request, "accounts", query.format, query.filters(), query.sort)


@router.get("/exports/contacts", response={codes_4xx: ErrorOut}, openapi_extra=FILE)
def export_contacts(request: ApiRequest, query: Query[ContactExportQuery]) -> Any:
    """The contacts you may see, with the filters of `GET /api/contacts`, as one file."""
    return _export(request, "contacts", query.format, ContactFilters(query.account_id, query.q), "")


@router.get("/exports/activities", response={codes_4xx: ErrorOut}, openapi_extra=FILE)
def export_activities(request: ApiRequest, query: Query[ActivityExportQuery]) -> Any:
    """The activities you may see, with the filters of `GET /api/activities`, as one file."""
    return _export(request, "activities", query.format, query.filters(), "")
