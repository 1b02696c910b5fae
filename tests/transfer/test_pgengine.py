"""The set-based PostgreSQL import engine (kadence.transfer.pgengine): its SQL twins of the cell rules agree
with kadence.domain.cells on generated cells, and one file imported by the Python engine and by the SQL
engine leaves the same deals, history, problems, counts and undo. PostgreSQL only."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kadence.core.errors import ValidationFailed
from kadence.domain.cells import CellError, parse_amount, parse_date
from kadence.pipeline.models import Opportunity, StageChange
from kadence.transfer import pgengine, services
from kadence.transfer.models import ImportedRecord, ImportJob, ImportProblem
from kadence.transfer.tasks import execute

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL engine is PostgreSQL's"),
]

FULL = str.maketrans("0123456789", "０１２３４５６７８９")
HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _python(rule, text):
    try:
        return rule(text), None
    except CellError as exc:
        return None, exc.code


def _sql(function: str, column: str, texts: list[str]) -> list[tuple]:
    with connection.cursor() as cursor:
        pgengine.create_functions(cursor)
        cursor.execute(
            f"SELECT x.{column}, x.err FROM unnest(%s::text[]) WITH ORDINALITY AS u(v, o), "
            f"LATERAL pg_temp.{function}(u.v) AS x ORDER BY u.o",
            [texts],
        )
        return cursor.fetchall()


@st.composite
def date_cells(draw) -> str:
    form = draw(st.sampled_from(["sep", "compact", "serial", "noise"]))
    y, m, d = (
        draw(st.integers(0, 9999)),
        draw(st.integers(0, 13)),
        draw(st.integers(0, 32)),
    )
    if form == "sep":
        sep = draw(st.sampled_from(["-", "/", ".", "年", " - ", "/ "]))
        sep2 = "月" if sep == "年" and draw(st.booleans()) else sep
        end = draw(st.sampled_from(["", "日", "号", " 日"])) if sep2 == "月" else ""
        clock = draw(st.sampled_from(["", " 9:30", "T09:30:15", " 9：30：15.5", " 25"]))
        text = f"{y:04d}{sep}{m:0{draw(st.integers(1, 2))}d}{sep2}{d}{end}{clock}"
    elif form == "compact":
        text = f"{y:04d}{m:02d}{d:02d}"
    elif form == "serial":
        text = draw(st.sampled_from(["{}", "{}.5", "{}.0", "-{}"])).format(draw(st.integers(0, 3_000_000)))
    else:
        text = draw(st.text(alphabet="0123456789-/.年月日号 :T：", max_size=14))
    if draw(st.booleans()):
        text = text.translate(FULL)
    pad = draw(st.sampled_from(["", " ", "\u3000", "\t"]))
    return pad + text + pad


@st.composite
def amount_cells(draw) -> str:
    form = draw(st.sampled_from(["number", "noise"]))
    if form == "number":
        whole = draw(st.integers(0, 10**13))
        text = f"{whole:,}" if draw(st.booleans()) else str(whole)
        if draw(st.booleans()):
            text += "." + str(draw(st.integers(0, 999999)))
        text = draw(st.sampled_from(["", "¥", "￥", "RMB", "rmb ", "-", "¥-", "$"])) + text
        text += draw(st.sampled_from(["", "万", "亿", "元", "万元", "亿元", "CNY", " 人民币"]))
        if draw(st.booleans()):
            text = f"({text})"
        if draw(st.booleans()):
            text = text.replace(",", "，")
    else:
        text = draw(st.text(alphabet="0123456789,.-()¥￥万亿元RMBrmb $，", max_size=14))
    if draw(st.booleans()):
        text = text.translate(FULL)
    pad = draw(st.sampled_from(["", " ", "\u3000"]))
    return pad + text + pad


@HYPOTHESIS
@given(st.lists(date_cells(), min_size=1, max_size=40))
def test_the_sql_twin_of_parse_date_agrees_with_it(texts):
    expected = [_python(parse_date, t) for t in texts]
    assert [tuple(r) for r in _sql("kd_date", "d", texts)] == expected


@HYPOTHESIS
@given(st.lists(amount_cells(), min_size=1, max_size=40))
def test_the_sql_twin_of_parse_amount_agrees_with_it(texts):
    expected = [_python(parse_amount, t) for t in texts]
    got = _sql("kd_amount", "a", texts)
    assert [(None if a is None else Decimal(a), e) for a, e in got] == expected


def test_the_twins_on_the_forms_the_docs_name():
    dates = [
        "2026-11-07",
        "2026/11/07",
        "2026年11月7日",
        "2026年11月7号",
        "20261107",
        "45000",
        "60",
        "2026-02-30",
    ]
    assert [tuple(r) for r in _sql("kd_date", "d", dates)] == [_python(parse_date, t) for t in dates]
    amounts = ["1,234,567.89", "¥35万元", "1.2亿元", "(1,000)", "1,5", "120万", "-¥100", "很多"]
    got = [(None if a is None else Decimal(a), e) for a, e in _sql("kd_amount", "a", amounts)]
    assert got == [_python(parse_amount, t) for t in amounts]


# --- the two engines on one file ----------------------------------------------------------------------

TODAY = date.today()


class _Undo(Exception):
    """Rolls back what one engine did, so that the other starts from the same state."""


def _d(days: int, form: str = "%Y/%m/%d") -> str:
    return (TODAY + timedelta(days=days)).strftime(form)


def _deals_file(org, xlsx: bool = False):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kadence.pipeline.models import Competitor, LossReason, ProductLine, Stage

    stages = list(Stage.objects.filter(template__is_default=True, is_won=False).order_by("order"))
    reason = LossReason.objects.order_by("pk").first()
    lines = list(ProductLine.objects.order_by("pk")[:2])
    rival = Competitor.objects.order_by("pk").first()
    acct, sara_acct = org.account.name, org.sara_account.name
    serial = (TODAY + timedelta(days=40) - date(1899, 12, 30)).days
    header = [
        "商机编号", "商机名称", "客户名称", "统一社会信用代码", "负责人", "阶段", "状态", "金额", "币种",
        "预计成交日期", "成交日期", "创建日期", "进入阶段日期", "预测类别", "丢单原因", "赢单对手", "竞争对手",
        "产品线", "描述",
    ]  # fmt: skip
    s1, s3, s5 = stages[0].name_zh, stages[2].name_zh, stages[min(4, len(stages) - 1)].name_en
    lines_cell = "、".join(x.name_zh for x in lines)
    rows = [
        ["G-1", "智能电表", acct, "", "rita", s3, "", "¥120万", "", _d(60), "", _d(-90), "", "", "", "", "", lines_cell, "一期"],
        ["G-2", "配网自动化", acct, "", "tom", "", "赢单", "350,000", "cny", "", _d(-10, "%Y年%m月%d日"), _d(-200), "", "", "", "", rival.name, "", ""],
        ["G-3", "", acct, "", "rita", s3, "丢单", "8万元", "", "", _d(-5), _d(-40), "", "", reason.name_zh, rival.name, rival.name, "", ""],
        ["G-4", "调度", acct, "", "mona", s5, "", "1,234,567.89", "", str(serial), "", _d(-300, "%Y%m%d"), _d(-20), "", "", "", "", "", ""],
        ["G-5", "无日期", acct, "", "rita", s1, "进行中", "1.2亿", "", _d(30, "%Y-%m-%d"), "", "", "", "commit", "", "", "", "", ""],
        ["G-6", "赢单阶段", acct, "", "tom", "赢单", "", "500", "", _d(-3), "", _d(-30), "", "", "", "", "", "", ""],
        ["", "无编号", acct, "", "rita", s1, "", "600", "", _d(10), "", "", "", "", "", "", "", "", ""],
        ["B-1", "查无此人", acct, "", "nobody", s1, "", "100", "", _d(10), "", "", "", "", "", "", "", "", ""],
        ["B-2", "金额坏", acct, "", "rita", s1, "", "很多", "", "2026-02-30", "", "", "", "", "", "", "", "", ""],
        ["B-3", "缺日期", acct, "", "rita", s1, "", "100", "", "", "", "", "", "", "", "", "", "", ""],
        ["B-4", "赢无日期", acct, "", "rita", s1, "赢单", "100", "", "", "", "", "", "", "", "", "", "", ""],
        ["B-5", "未来成交", acct, "", "rita", s1, "赢单", "100", "", "", _d(5), _d(10), "", "", "", "", "", "", ""],
        ["B-6", "开放有原因", acct, "", "rita", s1, "", "100", "", _d(10), "", "", "", "", reason.name_zh, "", "", "", ""],
        ["B-7", "币种", acct, "", "rita", s1, "", "100", "RMBX", _d(10), "", "", "", "", "", "", "", "", ""],
        ["B-8", "币种2", acct, "", "rita", s1, "", "100", "C1Y", _d(10), "", "", "", "", "", "", "", "", ""],
        ["B-9", "无此客户", "无此客户有限公司", "", "rita", s1, "", "100", "", _d(10), "", "", "", "", "", "", "", "", ""],
        ["G-1", "重复", acct, "", "rita", s1, "", "100", "", _d(10), "", "", "", "", "", "", "", "", ""],
        ["E-1", "更新的", acct, "", "rita", s1, "", "77万", "", _d(90), "", "", "", "", "", "", "", "", "新描述"],
        ["E-2", "已关闭", acct, "", "rita", s1, "", "100", "", _d(10), "", "", "", "", "", "", "", "", ""],
        ["B-10", "", "", "", "", "无此阶段", "", "(1,000)", "", "2026-13-01", "", "", "", "", "", "", "", "", "\x07"],
        ["B-11", "x" * 201, acct, "", "rita", s1, "", "100", "", _d(10), "", "", "", "", "", "", "", "坏产品", ""],
        ["B-12", "外单位", sara_acct, "", "sara", s1, "", "100", "", _d(10), "", "", "", "", "", "", "", "", ""],
        ["C-1", "按代码", "", "91110000ABCDEFGH12", "rita", s1, "", "100", "", _d(10), "", "", "", "", "", "", "", "", ""],
    ]  # fmt: skip
    if xlsx:  # through the reader's rows (calamine), not the COPY of the file itself
        import io

        from openpyxl import Workbook

        book = Workbook()
        for row in [header, *rows]:
            book.active.append([None if c == "" else c.replace("\x07", "") for c in row])
        data = io.BytesIO()
        book.save(data)
        return SimpleUploadedFile("商机.xlsx", data.getvalue())
    quote = lambda cell: f'"{cell}"' if "," in cell else cell  # noqa: E731
    text = "\r\n".join(",".join(quote(c) for c in row) for row in [header, *rows]) + "\r\n"
    return SimpleUploadedFile("商机.csv", text.encode("utf-8"), content_type="text/csv")


def _state(job: ImportJob) -> dict:
    job.refresh_from_db()
    deals: dict[str, list] = {}  # "create anyway" leaves two deals with one external id: both, in a set order
    for opp in Opportunity.objects.exclude(external_id="").order_by("external_id"):
        deals.setdefault(opp.external_id, []).append((
            opp.name, opp.account_id, opp.owner_id, opp.team_id, opp.stage_id, opp.level_id,
            opp.probability, opp.amount, opp.currency, opp.expected_close_date, opp.forecast_category,
            opp.status, opp.loss_reason_id, opp.winning_competitor_id, opp.closed_on, opp.description,
            opp.stage_entered_at, opp.created_at, opp.version,
            sorted(opp.product_lines.values_list("pk", flat=True)),
            sorted(opp.competitors.values_list("pk", flat=True)),
        ))  # fmt: skip
    deals = {ext: sorted(found, key=repr) for ext, found in deals.items()}
    unnamed = sorted(
        (o.name, o.amount, o.status, o.created_at) for o in Opportunity.objects.filter(external_id="")
    )
    history = [
        (
            c.opportunity.external_id or c.opportunity.name,
            c.kind,
            c.from_stage_id,
            c.to_stage_id,
            c.from_stage_name,
            c.to_stage_name,
            c.from_level_id,
            c.to_level_id,
            c.probability,
            c.amount,
            c.currency,
            c.expected_close_date,
            c.status,
            c.days_in_from_stage,
            c.changed_at if c.kind != "updated" else None,  # the service's moment of writing
            c.forecast_category,
            c.owner_id,
            c.team_id,
            c.reason.replace(f"#{job.pk}", "#job"),
        )  # fmt: skip
        for c in StageChange.objects.select_related("opportunity").order_by(
            "opportunity__external_id", "changed_at", "pk"
        )
    ]
    problems = list(
        ImportProblem.objects.filter(job=job)
        .order_by("row", "id")
        .values_list("row", "column", "value", "message")
    )
    records = sorted(
        (r.entity, r.action, r.before, r.version, Opportunity.objects.filter(pk=r.object_id).values_list("external_id", flat=True).first())
        for r in ImportedRecord.objects.filter(job=job)
    )  # fmt: skip
    from kadence.deals.models import OpportunityTask

    tasks = sorted(
        OpportunityTask.objects.filter(opportunity__external_id__gt="").values_list(
            "opportunity__external_id", "stage_id", "code", "assignee_id", "due_on"
        )
    )
    return {
        "tasks": tasks,
        "status": job.status, "error": job.error, "checked": job.checked_counts, "counts": job.counts,
        "total": job.total_rows, "bad": job.bad_rows, "problems_n": job.problem_count, "deals": deals,
        "unnamed": unnamed, "history": history, "problems": problems, "records": records,
    }  # fmt: skip


def _through(engine: str, org, settings, xlsx: bool = False, **options) -> list[dict]:
    """The states after the check, the import and the undo of the file by `engine`, rolled back after."""
    settings.KADENCE_IMPORT_ENGINE = engine
    states = []
    try:
        with transaction.atomic():
            job = services.import_job_create(org.ada, kind="opportunities", upload=_deals_file(org, xlsx))
            job = services.import_job_configure(org.ada, job.pk, version=job.version, **options)
            assert pgengine.applies(job) == (engine == "auto")
            for action in ("check", "commit", "undo"):
                start = {
                    "check": services.import_check,
                    "commit": services.import_commit,
                    "undo": services.import_undo,
                }[action]
                try:
                    start(org.ada, job.pk)
                except ValidationFailed as exc:  # all or nothing, and the check found bad rows
                    states.append({"refused": str(exc.detail)})
                    break
                execute(job.pk, action)
                states.append(_state(job))
                if states[-1]["status"] == ImportJob.Status.FAILED:
                    break
            raise _Undo
    except _Undo:
        pass
    return states


@pytest.fixture
def existing(org):
    from kadence.pipeline.models import Competitor, LossReason, ProductLine

    Competitor.objects.get_or_create(name="华为")
    LossReason.objects.get_or_create(code="price-t", defaults={"name_zh": "价格高", "name_en": "Price"})
    for code, zh in (("meter-t", "电表"), ("grid-t", "配网")):
        ProductLine.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": code})
    Opportunity.objects.filter(pk=org.opp.pk).update(external_id="E-1")
    Opportunity.objects.filter(pk=org.sara_opp.pk).update(external_id="E-2", status="won", closed_on=TODAY)
    type(org.account).objects.filter(pk=org.account.pk).update(credit_code="91110000ABCDEFGH12")
    return org


@pytest.mark.parametrize(
    "options",
    [
        {"skip_invalid": True, "on_duplicate": "update"},
        {"skip_invalid": True, "on_duplicate": "skip"},
        {"skip_invalid": True, "on_duplicate": "create"},
        {"skip_invalid": False, "on_duplicate": "update"},
        {"skip_invalid": True, "on_duplicate": "update", "xlsx": True},
    ],
)
def test_both_engines_give_the_same_deals_history_problems_counts_and_undo(existing, settings, options):
    python = _through("python", existing, settings, **options)
    sql = _through("auto", existing, settings, **options)
    assert python[0]["problems"], "the file has bad rows"
    assert python[0]["checked"].get("create"), "and good ones"
    if len(python) > 1 and python[1].get("counts", {}).get("created"):
        assert python[1]["tasks"], "the imported deals have their stage tasks"
    for a, b in zip(python, sql, strict=True):
        for key in a:
            if key == "deals":
                for ext in a[key]:
                    assert a[key][ext] == b[key].get(ext), ext
            assert a[key] == b[key], key


# --- rows written without per-row foreign-key checks -------------------------------------------------


def test_references_checked_at_once_refuse_a_missing_parent(org):
    """kadence.core.bulk.references_checked_at_once: rows written without PostgreSQL's per-row checks are
    checked set-based after the block: a value not in its parent table is refused (IntegrityError, the
    transaction rolled back); with the parent there, the row stays."""
    from django.db import IntegrityError

    from kadence.core.bulk import can_skip_key_triggers, references_checked_at_once
    from kadence.transfer.models import ImportedRecord

    table = ImportedRecord._meta.db_table
    job = ImportJob.objects.create(kind="opportunities", created_by=org.ada, file_name="x.csv")

    def write(job_id: int) -> None:
        with connection.cursor() as cursor:
            assert can_skip_key_triggers(cursor, [table])
            ranges = {}
            with references_checked_at_once(cursor, lambda: ranges):
                cursor.execute(
                    f"INSERT INTO {table} (job_id, entity, object_id, action, before, version) "
                    "VALUES (%s, 'x', 1, 'created', '{}', 1) RETURNING id",
                    [job_id],
                )
                pk = cursor.fetchone()[0]
                ranges[table] = (pk, pk)

    with transaction.atomic():
        write(job.pk)
        assert ImportedRecord.objects.filter(job=job).count() == 1
    with pytest.raises(IntegrityError, match="not in"), transaction.atomic():
        write(job.pk + 1000)
    assert ImportedRecord.objects.filter(job_id=job.pk + 1000).count() == 0
