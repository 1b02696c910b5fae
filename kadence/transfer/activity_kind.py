"""Importing activities (issue 12 §1): visits, calls, meetings, demos and e-mails from a sheet, each row
one activity at an account, optionally on a deal (found by its external id) and with contacts of the
account (found by name).

- Each activity is written through kadence.activities.services.activity_create (an update through
  activity_update), so its rules, its visibility checks and the summaries it keeps are the service's:
  the deal's last customer activity (kadence.pipeline.stall) under the deal's row lock, the activity's
  `deal_team`, its team (the owner's). An activities file is thousands of rows, not millions: one
  service call a row is what keeps every summary exact without a second definition of it.
- The **owner** is a person of the importer's units (login, e-mail or name); the importer when the
  column is empty. A manager imports only their units' activities.
- The **kind** is read from Chinese or English words (拜访 / visit, 电话 / call, 来电 / inbound call,
  会议 / meeting, 演示 / demo, 邮件 / e-mail, and Kadence's own labels); a value map translates others.
- **Done** reads yes / no words (是 / 否, 已完成 / 计划, yes / no, 1 / 0, √). Without a done column an
  activity dated after today is planned, the others done.
- The **result** reads 发现商机 / found, 推进商机 / advanced, 解决问题 / solved (and Kadence's own labels);
  whether the activity is an effective visit follows from it by the effective-visit rule (the activity
  service applies it), so a file has no "effective" column.
- Without a subject an activity is called after its kind and account ("拜访 · 国网江苏电力").
- An activity is the **same** as an existing one when it has the same account, owner, kind, date and
  subject: it is updated (outcome, done, result, next step, contacts), skipped, or created anyway,
  as the import chooses. The same activity twice in the file is a problem of the second row.

An undo removes the activities the import created and restores the ones it updated, and recomputes the
last customer activity of their deals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.accounts.models import Contact
from kadence.activities import services as activity_services
from kadence.activities.models import Activity
from kadence.core.visibility import visible_opportunities
from kadence.transfer.fields import ACCOUNT_NAME, CREDIT_CODE, DATE, FIELDS, OWNER, REF, TEXT, Field
from kadence.transfer.importer import (
    AMBIGUOUS,
    CHOICES,
    KINDS,
    SEPARATORS,
    AccountRefs,
    Kind,
    Row,
    _json_value,
    is_empty,
)
from kadence.transfer.models import ImportedRecord

ENTITY = "activities.activity"

ACTIVITY_FIELDS = (
    ACCOUNT_NAME,
    CREDIT_CODE,
    Field(
        "deal",
        gettext_lazy("Deal (external id)"),
        TEXT,
        ("商机编号", "项目编号", "外部编号", "关联商机编号", "opportunity id", "deal id", "external id"),
        max_length=100,
        help=gettext_lazy("The external id a deals import gave the deal; the deal must be at the account."),
    ),
    OWNER,
    Field(
        "kind",
        gettext_lazy("Kind"),
        REF,
        ("类型", "活动类型", "拜访类型", "跟进方式", "方式", "kind", "type", "activity type"),
        required=True,
        ref="activity_kind",
        help=gettext_lazy("Visit, call, inbound call, meeting, demo or e-mail (Chinese or English)."),
    ),
    Field(
        "date",
        gettext_lazy("Date"),
        DATE,
        ("日期", "活动日期", "拜访日期", "跟进日期", "时间", "date", "activity date"),
        required=True,
    ),
    Field(
        "subject",
        gettext_lazy("Subject"),
        TEXT,
        ("主题", "标题", "事项", "subject", "title"),
        help=gettext_lazy("Without a subject, the activity is called after its kind and account."),
    ),
    Field(
        "outcome",
        gettext_lazy("Outcome"),
        TEXT,
        ("结果", "内容", "纪要", "拜访纪要", "跟进内容", "备注", "outcome", "notes", "summary"),
        max_length=20000,
    ),
    Field(
        "done",
        gettext_lazy("Done"),
        REF,
        ("已完成", "是否完成", "完成", "状态", "done", "completed", "status"),
        ref="flag",
        help=gettext_lazy("Yes or no; without it, an activity dated after today is planned."),
    ),
    Field(
        "result",
        gettext_lazy("Result"),
        REF,
        ("拜访成果", "成果", "活动成果", "拜访结果", "result", "achieved"),
        ref="activity_result",
        help=gettext_lazy(
            "Found an opportunity, advanced one, solved a problem (Chinese or English), or empty; "
            "it decides whether the activity is an effective visit."
        ),
    ),
    Field(
        "contacts",
        gettext_lazy("Contacts"),
        TEXT,
        ("联系人", "拜访对象", "参与人", "客户联系人", "contacts", "contact"),
        max_length=1000,
        help=gettext_lazy("Names of contacts of the account, separated by commas or 、."),
    ),
    Field(
        "next_step", gettext_lazy("Next step"), TEXT, ("下一步", "下一步计划", "next step"), max_length=300
    ),
    Field(
        "next_step_date",
        gettext_lazy("Next step date"),
        DATE,
        ("下一步日期", "下次跟进日期", "计划跟进日期", "next step date", "follow-up date"),
    ),
)

KIND_WORDS: dict[str, str] = {
    "拜访": Activity.Kind.VISIT,
    "上门拜访": Activity.Kind.VISIT,
    "客户拜访": Activity.Kind.VISIT,
    "面访": Activity.Kind.VISIT,
    "visit": Activity.Kind.VISIT,
    "电话": Activity.Kind.CALL_OUT,
    "去电": Activity.Kind.CALL_OUT,
    "呼出": Activity.Kind.CALL_OUT,
    "电话拜访": Activity.Kind.CALL_OUT,
    "call": Activity.Kind.CALL_OUT,
    "phone": Activity.Kind.CALL_OUT,
    "phone call": Activity.Kind.CALL_OUT,
    "来电": Activity.Kind.CALL_IN,
    "呼入": Activity.Kind.CALL_IN,
    "inbound call": Activity.Kind.CALL_IN,
    "call in": Activity.Kind.CALL_IN,
    "会议": Activity.Kind.MEETING,
    "开会": Activity.Kind.MEETING,
    "会面": Activity.Kind.MEETING,
    "meeting": Activity.Kind.MEETING,
    "演示": Activity.Kind.DEMO,
    "产品演示": Activity.Kind.DEMO,
    "demo": Activity.Kind.DEMO,
    "presentation": Activity.Kind.DEMO,
    "邮件": Activity.Kind.EMAIL,
    "电子邮件": Activity.Kind.EMAIL,
    "email": Activity.Kind.EMAIL,
    "mail": Activity.Kind.EMAIL,
}
RESULT_WORDS: dict[str, str] = {
    "发现商机": Activity.Result.FOUND,
    "发现机会": Activity.Result.FOUND,
    "新商机": Activity.Result.FOUND,
    "found": Activity.Result.FOUND,
    "推进商机": Activity.Result.ADVANCED,
    "推进": Activity.Result.ADVANCED,
    "赢得商机": Activity.Result.ADVANCED,
    "advanced": Activity.Result.ADVANCED,
    "解决问题": Activity.Result.SOLVED,
    "解决": Activity.Result.SOLVED,
    "solved": Activity.Result.SOLVED,
    "无": Activity.Result.NONE,
    "none": Activity.Result.NONE,
}
YES, NO = "yes", "no"
FLAG_WORDS: dict[str, str] = {
    **dict.fromkeys(("是", "已完成", "完成", "已", "有效", "y", "true", "1", "done", "√", "✓"), YES),
    **dict.fromkeys(
        ("否", "未完成", "计划", "计划中", "待办", "无效", "n", "false", "0", "planned", "todo"), NO
    ),
}


# The words first, the labels last: a preview shows a value by the last name it has here.
def _kind_choices() -> list[tuple[str, Any]]:
    return [*((value, word) for word, value in KIND_WORDS.items()), *Activity.Kind.choices]


def _result_choices() -> list[tuple[str, Any]]:
    return [*((value, word) for word, value in RESULT_WORDS.items()), *Activity.Result.choices]


def _flag_choices() -> list[tuple[str, Any]]:
    return [
        *((value, word) for word, value in FLAG_WORDS.items()),
        (YES, gettext_lazy("Yes")),
        (NO, gettext_lazy("No")),
    ]


class ActivityImport(Kind):
    entity = ENTITY
    SERVICE_FIELDS = activity_services.FIELDS  # what activity_create takes, defined once there
    UPDATABLE = ("done", "result", "outcome", "next_step", "next_step_date")

    def read(self, row: Row) -> None:
        super().read(row)
        v = row.values
        if "done" not in v and "date" in v:
            v["done"] = YES if v["date"] <= self.today else NO
            row.defaulted.add("done")  # not from the file: an update leaves it alone
        if v.get("next_step_date") and v.get("date") and v["next_step_date"] < v["date"]:
            row.problem("next_step_date", _("The next step cannot be before the activity."))
        owner = v.get("owner")
        if owner is None and not any(k == "owner" for k, _v, _m in row.problems):
            v["owner"] = self.user
        elif owner is not None and owner.org_unit_id is None:
            row.problem("owner", _("The owner belongs to no team; an admin must place them in one first."))
        if v.get("contacts"):
            v["contacts"] = list(
                dict.fromkeys(p.strip() for p in v["contacts"].translate(SEPARATORS).split(",") if p.strip())
            )

    # --- matching --------------------------------------------------------------------------------

    def match(self, rows: list[Row]) -> None:
        named = [r for r in rows if not is_empty(r.raw.get("account")) or r.values.get("credit_code")]
        AccountRefs.resolve(self.user, named)
        for row in named:
            missing = row.values.pop("account_missing", None)
            if missing is not None:
                row.problem("account", _("No account you can see is called “%(name)s”.") % {"name": missing})
        self._deals(rows)
        self._contacts(rows)
        self._same(rows)

    def _deals(self, rows: list[Row]) -> None:
        ids = {r.values["deal"] for r in rows if r.values.get("deal")}
        deals: dict[str, Any] = {}
        found = visible_opportunities(self.user).filter(external_id__in=ids).select_related("account")
        for opp in found.only("id", "external_id", "account_id", "account__name", "team_id", "owner_id"):
            deals[opp.external_id] = AMBIGUOUS if opp.external_id in deals else opp
        for row in rows:
            v = row.values
            key = v.get("deal")
            if key:
                deal = deals.get(key)
                if deal is None:
                    row.problem("deal", _("No deal you can see has the external id “%(id)s”.") % {"id": key})
                elif deal is AMBIGUOUS:
                    row.problem("deal", _("Several deals have this external id."))
                elif v.get("account") is None:
                    v["opportunity"], v["account"] = deal, deal.account
                elif v["account"].pk != deal.account_id:
                    row.problem("deal", _("The deal belongs to another account."))
                else:
                    v["opportunity"] = deal
            if v.get("account") is None and not any(k in ("account", "deal") for k, _v, _m in row.problems):
                row.problem("account", _("%(field)s is required.") % {"field": _("Account")})

    def _contacts(self, rows: list[Row]) -> None:
        wanted = [r for r in rows if r.values.get("contacts") and r.values.get("account") is not None]
        if not wanted:
            return
        accounts = {r.values["account"].pk for r in wanted}
        names = {name for r in wanted for name in r.values["contacts"]}
        table: dict[tuple[int, str], Any] = {}
        for pk, account_id, name in Contact.objects.filter(
            account_id__in=accounts, name__in=names
        ).values_list("pk", "account_id", "name"):
            table[(account_id, name)] = AMBIGUOUS if (account_id, name) in table else pk
        for row in wanted:
            ids = []
            for name in row.values["contacts"]:
                found = table.get((row.values["account"].pk, name))
                if found is None:
                    row.problem(
                        "contacts", _("The account has no contact called “%(name)s”.") % {"name": name}, name
                    )
                elif found is AMBIGUOUS:
                    row.problem(
                        "contacts",
                        _("Several contacts of the account are called “%(name)s”.") % {"name": name},
                        name,
                    )
                else:
                    ids.append(found)
            row.values["contact_ids"] = ids

    def _subject(self, row: Row) -> str:
        v = row.values
        if v.get("subject"):
            return str(v["subject"])
        return f"{Activity.Kind(v['kind']).label} · {v['account'].name}"[:200]

    def _same(self, rows: list[Row]) -> None:
        """Each good row's action: an existing activity with the same account, owner, kind, date and
        subject is the same activity."""
        good = [r for r in rows if not r.problems]
        for row in good:
            row.values["subject"] = self._subject(row)
        existing: dict[tuple[Any, ...], Any] = {}
        if good:
            found = Activity.objects.filter(
                account_id__in={r.values["account"].pk for r in good},
                owner_id__in={r.values["owner"].pk for r in good},
                date__in={r.values["date"] for r in good},
            ).only("id", "account_id", "owner_id", "kind", "date", "subject", "version")
            for activity in found:
                key = (activity.account_id, activity.owner_id, activity.kind, activity.date, activity.subject)
                existing[key] = AMBIGUOUS if key in existing else activity
        for row in good:
            v = row.values
            key = (v["account"].pk, v["owner"].pk, v["kind"], v["date"], v["subject"])
            again = self.seen.get(hash(key))
            if again is not None:
                row.problem("subject", _("The same activity as row %(row)s.") % {"row": again}, v["subject"])
                continue
            self.seen[hash(key)] = row.number
            match = existing.get(key)
            if match is AMBIGUOUS:
                row.problem("subject", _("Several activities like this one exist already."), v["subject"])
                continue
            self.decide(row, match)

    # --- writing ---------------------------------------------------------------------------------

    def write(self, rows: list[Row]) -> None:
        for row in rows:
            if row.action == "create":
                self._create(row)
            elif row.action == "update":
                self._update(row)
            else:
                self.counts["skipped"] += 1

    def _create(self, row: Row) -> None:
        v = row.values
        opp = v.get("opportunity")
        activity = self.run_service(
            row,
            partial(
                activity_services.activity_create,
                self.user,
                account_id=v["account"].pk,
                opportunity_id=opp.pk if opp is not None else None,
                contact_ids=v.get("contact_ids") or None,
                owner=v["owner"],
                **_service_values(v, self.SERVICE_FIELDS),
            ),
        )
        if activity is not None:
            self.record(activity, ImportedRecord.Action.CREATED)

    def _update(self, row: Row) -> None:
        v = row.values
        current = Activity.objects.select_for_update().get(pk=row.target.pk)
        keys = [k for k in self.UPDATABLE if not (k == "done" and "done" in row.defaulted)]
        values = _service_values(v, keys)
        before: dict[str, Any] = {k: _json_value(getattr(current, k)) for k in values}
        contact_ids = v.get("contact_ids")
        if contact_ids is not None:
            before["contact_ids"] = list(current.contacts.values_list("pk", flat=True))
        activity = self.run_service(
            row,
            partial(
                activity_services.activity_update,
                self.user,
                current.pk,
                version=current.version,
                contact_ids=contact_ids,
                **values,
            ),
        )
        if activity is not None:
            activity.refresh_from_db(fields=["version"])
            self.record(activity, ImportedRecord.Action.UPDATED, before)


def _service_values(values: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The row's values the service takes (the yes / no of a flag as a boolean)."""
    out = {k: values[k] for k in keys if k in values}
    if "done" in out:
        out["done"] = out["done"] == YES
    return out


def restore(user: Any, record: ImportedRecord) -> None:
    """Undo of an update: the activity's values before the import (kadence.transfer.undo)."""
    before: dict[str, Any] = dict(record.before)
    before.pop("is_effective", None)  # the rule sets it now (imports before the result column kept it)
    for key in ("date", "next_step_date"):
        if before.get(key):
            before[key] = date.fromisoformat(before[key])
    activity_services.activity_update(user, record.object_id, version=record.version, **before)


# Registered here rather than in the literal tables (see kadence.transfer.org_kind).
CHOICES["activity_kind"] = _kind_choices
CHOICES["flag"] = _flag_choices
CHOICES["activity_result"] = _result_choices
FIELDS["activities"] = ACTIVITY_FIELDS
KINDS["activities"] = ActivityImport
