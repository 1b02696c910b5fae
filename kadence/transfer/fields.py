"""What each kind of import reads: its fields, the header names a column is recognised by (Chinese and
English, as Chinese CRMs and Excel sheets name them), how a cell is read, and the reference lists a value
is looked up in. One definition: the mapping page, the API's field list, the automatic matching and the
engine (kadence.transfer.importer) all read these."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kadence.domain.cells import HeaderMatch, match_headers

# How a cell is read: text (trimmed, length-checked), date, amount (exact, ¥ / 万 / 亿), a reference (a value
# looked up in a list: `ref` names it), a list of references (separated by , ， 、 ; ；/ or |).
TEXT, DATE, AMOUNT, REF, REFS = "text", "date", "amount", "ref", "refs"


@dataclass(frozen=True)
class Field:
    """One field an import fills. `names` are the headers a column is matched by (any language; the
    field's key and its label match too); `ref` the reference list a REF/REFS value is looked up in."""

    key: str
    label: Promise
    read: str = TEXT
    names: tuple[str, ...] = ()
    required: bool = False
    max_length: int = 200
    ref: str = ""
    help: Promise | str = ""

    def header_names(self) -> tuple[str, ...]:
        return (self.key, str(self.label), *self.names)


ACCOUNT_NAME = Field(
    "account",
    _("Account"),
    REF,
    (
        "客户名称",
        "客户",
        "公司名称",
        "单位名称",
        "客户全称",
        "account",
        "account name",
        "customer",
        "company",
    ),
    ref="account",
    help=_("Matched to an existing account by name (or by the credit code column)."),
)
CREDIT_CODE = Field(
    "credit_code",
    _("Unified social credit code"),
    TEXT,
    ("统一社会信用代码", "信用代码", "社会信用代码", "税号", "credit code", "uscc"),
    max_length=18,
)
OWNER = Field(
    "owner",
    _("Owner"),
    REF,
    (
        "负责人",
        "销售",
        "销售代表",
        "客户经理",
        "所属销售",
        "owner",
        "sales rep",
        "sales agent",
        "salesperson",
    ),
    ref="user",
    help=_("A user's login, e-mail or display name; the owner must be in your units."),
)

ACCOUNT_FIELDS = (
    Field(
        "name", _("Name"), TEXT, ("客户名称", "客户", "公司名称", "单位名称", "account", "account name"), True
    ),
    CREDIT_CODE,
    Field("industry", _("Industry"), REF, ("行业", "所属行业", "sector", "industry"), ref="industry"),
    Field("region", _("Region"), REF, ("区域", "大区", "地区", "region", "regional office"), ref="region"),
    Field("address", _("Address"), TEXT, ("地址", "办公地址", "address", "office location"), max_length=300),
    Field("size", _("Size"), REF, ("规模", "企业规模", "size"), ref="account_size"),
    Field("status", _("Business status"), REF, ("客户状态", "状态", "status"), ref="account_status"),
    Field(
        "buying_power",
        _("Buying power"),
        AMOUNT,
        ("采购潜力", "年采购额", "采购额", "buying power", "bp", "revenue"),
    ),
    Field("currency", _("Currency"), TEXT, ("币种", "货币", "currency"), max_length=3),
    OWNER,
    Field("notes", _("Notes"), TEXT, ("备注", "说明", "notes", "remarks"), max_length=20000),
)

CONTACT_FIELDS = (
    ACCOUNT_NAME,
    CREDIT_CODE,
    Field(
        "name",
        _("Name"),
        TEXT,
        ("联系人", "姓名", "联系人姓名", "contact", "contact name", "name"),
        True,
        100,
    ),
    Field("title", _("Title"), TEXT, ("职务", "职位", "title", "position", "job title"), max_length=100),
    Field(
        "phone", _("Phone"), TEXT, ("手机", "手机号", "电话", "联系电话", "mobile", "phone"), max_length=40
    ),
    Field("email", _("E-mail"), TEXT, ("邮箱", "电子邮箱", "email", "e-mail"), max_length=254),
    Field(
        "buying_roles",
        _("Buying roles"),
        REFS,
        ("采购角色", "角色", "buying roles", "buying role", "role"),
        ref="buying_role",
    ),
    Field("attitude", _("Attitude"), REF, ("态度", "立场", "attitude"), ref="attitude"),
    Field("influence", _("Influence"), REF, ("影响力", "influence"), ref="influence"),
    Field("notes", _("Notes"), TEXT, ("备注", "说明", "notes", "remarks"), max_length=20000),
)

OPPORTUNITY_FIELDS = (
    Field(
        "external_id",
        _("External id"),
        TEXT,
        ("商机编号", "项目编号", "编号", "外部编号", "opportunity id", "deal id", "id"),
        max_length=100,
        help=_("The deal's id in the file's system: a second import finds the deal again by it."),
    ),
    Field(
        "name",
        _("Name"),
        TEXT,
        ("商机名称", "项目名称", "商机", "项目", "opportunity", "opportunity name", "deal", "deal name"),
        help=_("Without a name column, a deal is named after its account and external id."),
    ),
    ACCOUNT_NAME,
    CREDIT_CODE,
    OWNER,
    Field(
        "stage",
        _("Stage"),
        REF,
        ("阶段", "销售阶段", "商机阶段", "stage", "deal stage", "sales stage"),
        ref="stage",
        help=_("A stage of the process, or won / lost."),
    ),
    Field("status", _("Status"), REF, ("状态", "商机状态", "输赢", "status"), ref="status"),
    Field(
        "amount",
        _("Amount"),
        AMOUNT,
        (
            "金额",
            "预计金额",
            "商机金额",
            "合同金额",
            "成交金额",
            "amount",
            "value",
            "close value",
            "deal value",
        ),
        required=True,
    ),
    Field("currency", _("Currency"), TEXT, ("币种", "货币", "currency"), max_length=3),
    Field(
        "expected_close_date",
        _("Expected close date"),
        DATE,
        (
            "预计成交日期",
            "预计签约日期",
            "预计结单日期",
            "预计成交时间",
            "expected close date",
            "expected close",
        ),
    ),
    Field(
        "closed_on",
        _("Closed on"),
        DATE,
        (
            "成交日期",
            "结单日期",
            "签约日期",
            "关闭日期",
            "实际成交日期",
            "close date",
            "closed on",
            "closed date",
        ),
        help=_("For won and lost deals; their expected close date when empty."),
    ),
    Field(
        "created",
        _("Created on"),
        DATE,
        (
            "创建日期",
            "创建时间",
            "立项日期",
            "发现日期",
            "created",
            "created date",
            "created on",
            "created at",
        ),
    ),
    Field(
        "stage_entered_on",
        _("Entered its stage on"),
        DATE,
        ("进入阶段日期", "阶段日期", "stage entered", "stage date", "engage date"),
    ),
    Field(
        "forecast_category",
        _("Forecast category"),
        REF,
        ("预测类别", "预测分类", "forecast category"),
        ref="forecast_category",
    ),
    Field("loss_reason", _("Loss reason"), REF, ("丢单原因", "输单原因", "loss reason"), ref="loss_reason"),
    Field(
        "winning_competitor",
        _("Winning competitor"),
        REF,
        ("赢单对手", "中标厂商", "winning competitor", "won by"),
        ref="competitor",
    ),
    Field("competitors", _("Competitors"), REFS, ("竞争对手", "competitors", "competitor"), ref="competitor"),
    Field(
        "product_lines",
        _("Product lines"),
        REFS,
        ("产品线", "产品", "product lines", "product line", "product", "products"),
        ref="product_line",
    ),
    Field(
        "description",
        _("Description"),
        TEXT,
        ("描述", "备注", "项目描述", "description", "notes"),
        max_length=10000,
    ),
    Field("next_step", _("Next step"), TEXT, ("下一步", "下一步计划", "next step"), max_length=300),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    "accounts": ACCOUNT_FIELDS,
    "contacts": CONTACT_FIELDS,
    "opportunities": OPPORTUNITY_FIELDS,
}


def fields_of(kind: str) -> dict[str, Field]:
    return {f.key: f for f in FIELDS[kind]}


def guess_columns(kind: str, headers: list[str]) -> dict[str, str]:
    """field → header, matched from the headers' names (kadence.domain.cells.match_headers)."""
    matches: list[HeaderMatch] = match_headers(headers, {f.key: f.header_names() for f in FIELDS[kind]})
    return {m.field: m.header for m in matches}
