"""Shared API schemas: ids, money, references to users, units and configuration rows, the page
envelope, the error body, and the base classes for request bodies."""

from __future__ import annotations

import re
import types
import typing
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from django.utils.translation import gettext as _
from ninja import Field, P, PathEx, Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    ModelWrapValidatorHandler,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kadence.core.pagination import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_NUMBER, MAX_PAGE_SIZE, Page
from kadence.core.validation import (
    MAX_ID,
    MAX_MONEY,
    MAX_VERSION,
    control_character_error,
    date_range_error,
    money_error,
)
from kadence.core.visibility import is_admin

# Ids and versions (kadence.core.validation.MAX_ID, MAX_VERSION) are bounded so that no database ever
# sees an out-of-range integer.

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = PathEx[int, P(ge=1, le=MAX_ID)]  # an id in the URL path, bounded as Id
Version = Annotated[
    int, Field(ge=1, le=MAX_VERSION, description="The version you read; a stale one answers 409.")
]
Reason = Annotated[str, Field(max_length=500, description="Why (kept in the history and audit trail).")]


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: Any) -> Any:
    """Only YYYY-MM-DD text (or a date) is a date: pydantic would also read numbers as Unix
    timestamps (`as_of=0` as 1970-01-01) and datetimes cut to their day."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("date_format", _("Enter a date as YYYY-MM-DD."))


def _in_year_range(value: date) -> date:
    problem = date_range_error(value)
    if problem:
        raise PydanticCustomError("date_out_of_range", problem)
    return value


Day = Annotated[date, BeforeValidator(_iso_date_text), AfterValidator(_in_year_range)]
"""Every date an API client sends (body or query): ISO 8601, within the accepted years
(kadence.core.validation.year_range), else 422."""


def _money_in(value: Decimal) -> Decimal:
    problem = money_error(value)
    if problem:
        raise PydanticCustomError("money", problem)
    return value


def _positive_money_in(value: Decimal) -> Decimal:
    problem = money_error(value, positive=True)
    if problem:
        raise PydanticCustomError("money", problem)
    return value


MoneyIn = Annotated[Decimal, Field(ge=0, lt=MAX_MONEY), AfterValidator(_money_in)]
"""Money an API client sends: a number or a decimal string, from 0 up to (not including) 10¹²
(kadence.core.validation.MAX_MONEY); the services round it to cents."""

PositiveMoneyIn = Annotated[Decimal, Field(gt=0, lt=MAX_MONEY), AfterValidator(_positive_money_in)]
"""Money that must be at least one cent once rounded (an amount spent, an average deal size)."""

CENT = Decimal("0.01")


def decimal_text(value: Decimal) -> str:
    """A decimal as a plain string, exactly as stored (never a float, never an exponent)."""
    return format(value, "f")


Money = Annotated[
    Decimal,
    PlainSerializer(decimal_text, return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "format": "decimal", "examples": ["1200000.00"]}),
]
"""Money and percentages in responses: a decimal string, e.g. "1200000.00"."""


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# A response schema that its endpoint fills with plain dicts (a report's thousands of seller rows): a
# dict is validated as it is, as pydantic reads any mapping, instead of through ninja's attribute getter
# (DjangoGetter), which costs a Python call per field of every row (about 0.1 s for a company's
# capacity rows). Whatever is not a dict, and a schema with resolve_ methods, take Schema's way. No
# docstring: it would become a description in the OpenAPI document.
class DictOut(Schema):
    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        if isinstance(values, dict) and not cls._ninja_resolvers:
            return handler(values)
        if cls.model_config.get("extra") == "forbid" or cls.model_config.get("validate_assignment", False):
            handler(values)
        return handler(DjangoGetter(values, cls, info.context))


class ErrorOut(Schema):
    """Every 4xx answer: a message people can act on and a stable code; some codes add fields
    (`errors`, `current_version`, `missing`)."""

    model_config = ConfigDict(extra="allow")

    detail: str
    code: str


# A record by its id and display name (a unit, a seller, a stage). No docstring: it would become the
# component's description in the OpenAPI document, which stays as it was.
class RefOut(Schema):
    id: int
    name: str


class NamedOut(Schema):
    """A configuration row named in Chinese and English; `name` is the one in the active language."""

    id: int
    code: str
    name: str
    name_zh: str
    name_en: str


class UnitRef(NamedOut):
    kind: str


class UnitOut(UnitRef):
    """A node of the organisation tree; `path` is the chain of ids from the company ("/1/4/9/")."""

    parent_id: int | None
    path: str


class UserRef(Schema):
    id: int
    username: str
    display_name: str

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return obj.label


class UserOut(UserRef):
    role: str
    org_unit: UnitRef | None


class MeOut(UserOut):
    language: str
    is_admin: bool

    @staticmethod
    def resolve_is_admin(obj: Any) -> bool:
        return is_admin(obj)


T = TypeVar("T")


class PageOut(Schema, Generic[T]):
    """One page of a list: `count` is the total the user may see with these filters — exact up to
    KADENCE_EXACT_COUNT_LIMIT (10,000), above it the database's estimate (`count_exact` false).
    Lists that take a `cursor` answer `next_cursor`: pass it back for the next page (null: the last
    page); `page` is null on a page fetched by cursor."""

    items: list[T]
    count: int
    count_exact: bool = True
    page: int | None
    page_size: int
    pages: int
    next_cursor: str | None = None


def page_out(page: Page) -> dict[str, Any]:
    return {
        "items": page.items,
        "count": page.count,
        "count_exact": page.count_exact,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
        "next_cursor": page.next_cursor,
    }


def bad_text(value: Any) -> str | None:
    """The first string in `value` (also inside lists and dicts, keys included) with a control
    character (kadence.core.validation.control_character_error), else None."""
    if isinstance(value, str):
        return value if control_character_error(value) else None
    if isinstance(value, dict):
        return next(filter(None, (bad_text(k) or bad_text(v) for k, v in value.items())), None)
    if isinstance(value, list | tuple):
        return next(filter(None, (bad_text(v) for v in value)), None)
    return None


def text_problem(value: Any) -> PydanticCustomError | None:
    """The error for the first string in `value` that cannot be stored: "nul_character" (PostgreSQL
    cannot store NUL) or "control_character" (spreadsheets refuse the others)."""
    text = bad_text(value)
    if text is None:
        return None
    if "\x00" in text:
        return PydanticCustomError("nul_character", _("Text may not contain NUL characters."))
    return PydanticCustomError("control_character", control_character_error(text) or "")


class Clean(Schema):
    """Input whose strings may not contain control characters. Tabs and line breaks pass here; the
    services refuse them in single-line text (kadence.core.validation.clean_text)."""

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_control_characters(cls, value: Any) -> Any:
        problem = text_problem(value)
        if problem:
            raise problem
        return value


class PageQuery(Clean):
    page: int = Field(1, ge=1, le=MAX_PAGE_NUMBER, description="1-based; past the end gives the last page.")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class CursorPageQuery(PageQuery):
    """A list that also pages by position (keyset): as fast a thousand pages deep as on the first."""

    cursor: str | None = Field(
        None,
        max_length=MAX_CURSOR_LENGTH,
        description="The `next_cursor` of the previous page, for the rows after it (then `page` is ignored). "
        "Keep the same filters and sort.",
    )


def _is_bool_field(annotation: Any) -> bool:
    return annotation is bool or (
        typing.get_origin(annotation) in (types.UnionType, typing.Union)
        and bool in typing.get_args(annotation)
    )


class In(Clean):
    """A request body: unknown fields are refused rather than silently ignored, and a yes/no field takes
    only true or false (pydantic would read 0, 1, "yes" or "off" as booleans)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _strict_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if (
            field is not None
            and _is_bool_field(field.annotation)
            and value is not None
            and not isinstance(value, bool)
        ):
            raise PydanticCustomError("bool_type", _("Enter true or false."))
        return value


class PatchIn(In):
    """A partial update: only the fields sent are changed. Only the fields named in `nullable`
    may be sent as null (to clear them); null for any other field is refused."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise PydanticCustomError(
                "null_not_allowed", _("This field cannot be null; leave it out to keep it.")
            )
        return value

    def changes(self, *exclude: str) -> dict[str, Any]:
        """The fields the client sent, minus `exclude`."""
        return {f: getattr(self, f) for f in self.model_fields_set if f not in exclude}


class Timestamps(Schema):
    created_at: datetime
    updated_at: datetime
