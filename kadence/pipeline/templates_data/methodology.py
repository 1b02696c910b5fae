"""Shipped defaults of the methodology (METHODOLOGY §1, §1d, §2, §6): the probability ladder, the four
process templates with their stages and exit criteria, deal roles and loss reasons.

Loaded once by a data migration; afterwards an admin edits them in the admin and this file is only
the starting point of a new installation. Tuples are (code, 中文, English, ...).
"""

from typing import Any, TypedDict

# (code, short, zh, en, order, probability %, is_won, is_lost, default forecast category, conditions zh, conditions en)
LADDER = [
    (
        "I",
        "I",
        "识别",
        "Identified",
        1,
        10,
        False,
        False,
        "pipeline",
        "听到商机，可以去接触客户；收集信息，识别关键人；确认组织结构并定期更新；了解需求和现有设备状况并作出初步判断；拜访客户并预约，引发兴趣。",
        "Heard of a chance and may contact; info collected and key people identified; org structure confirmed; need and current equipment known; visited, appointment made, interest raised.",
    ),
    (
        "C",
        "C",
        "接触",
        "Contacted",
        2,
        25,
        False,
        False,
        "pipeline",
        "识别所有决策者、政策制定者、影响者和最终用户并引入会议；确认日程；确认最关键的需求；确认问题和潜在解决方案；所有会议记录在客户资料库。",
        "All decision makers, policy makers, influencers and end users identified and brought into meetings; schedule confirmed; most critical need confirmed; problem and potential solution confirmed; every meeting recorded.",
    ),
    (
        "Q",
        "Q",
        "有资格的",
        "Qualified",
        3,
        50,
        False,
        False,
        "pipeline",
        "“我可以让客户的需求得到满意的解决”：需求已同意；客户的好处；哪种方案带来好处；财务能力；发货和安装进程；安装方案。",
        "\"I can solve the customer's need\": need agreed; customer's benefits; which solution delivers them; financial capacity; delivery and installation process; installation plan.",
    ),
    (
        "D",
        "D",
        "已经发展的",
        "Developed",
        4,
        75,
        False,
        False,
        "best_case",
        "客户回顾了提议/解决方案/设计；召开质询提议的会议；我们的报价/方案已得到客户批准，价格同意。",
        "Customer reviewed the proposal; a meeting to challenge it was held; our quote/solution approved by the customer, price agreed.",
    ),
    (
        "C90",
        "C90",
        "已经承诺的",
        "Committed",
        5,
        90,
        False,
        False,
        "commit",
        "客户说我们是最好的并满意；财务和技术合同条款双方同意；客户决定了合作对象；正在签订合同。",
        "Customer says we are the best and is satisfied; financial and technical terms agreed; partner chosen; contract being signed.",
    ),
    ("WON", "Won", "赢单", "Won", 6, 100, True, False, "booked", "已签约。", "Signed."),
    (
        "LOST",
        "Lost",
        "丢单",
        "Lost",
        7,
        0,
        False,
        True,
        "omitted",
        "丢单，记录原因和赢单竞争对手。",
        "Lost, with a loss reason and the winning competitor.",
    ),
]

# The rungs the rules name (kadence.domain.ladder), by the code of the shipped rung that carries each mark.
LADDER_MARKS = {"C": "contacted", "Q": "qualified", "D": "developed"}

DEAL_ROLES = [
    ("account_manager", "客户经理", "Account manager"),
    ("inside_sales", "内部销售", "Inside sales"),
    ("presales", "售前工程师", "Pre-sales engineer"),
    ("consultant", "顾问 / 专家", "Consultant / expert"),
    ("executive", "高层", "Executive sponsor"),
    ("commercial", "商务", "Commercial"),
    ("finance", "财务", "Finance"),
    ("legal", "法务", "Legal"),
    ("delivery", "实施交付", "Delivery"),
]

LOSS_REASONS = [
    ("price", "价格没有优势", "Price not competitive"),
    ("technical", "技术方案不满足", "Solution did not fit"),
    ("spec_bias", "参数倾向竞争对手", "Specification written for a competitor"),
    ("relationship", "客户关系不足", "Relationship too weak"),
    ("budget", "预算取消或不足", "Budget cancelled or short"),
    ("no_decision", "项目延期 / 客户未决策", "Project postponed / no decision"),
    ("other", "其他", "Other"),
]

# Criterion: (code, kind, zh, en, config)
E, F, A, P, T = "evidence", "field", "assessment", "approval", "task"

# Stage: (code, zh, en, buying step zh, buying step en, default level, standard days, is_won, [criteria])
# Criterion: (code, kind, zh, en, config)
CriterionRow = tuple[str, str, str, str, dict[str, Any]]
StageRow = tuple[str, str, str, str, str, str, int, bool, list[CriterionRow]]


class TemplateSpec(TypedDict):
    code: str
    zh: str
    en: str
    default: bool
    source: str
    description: str
    stages: list[StageRow]


TEMPLATES: list[TemplateSpec] = [
    {
        "code": "tianlong8",
        "zh": "天龙八部（八阶段）",
        "en": "Eight-stage process (Tianlong Babu)",
        "default": True,
        "source": "seed 001",
        "description": "八个销售阶段对应客户的八个采购步骤。 Eight sales stages mapped to the customer's eight buying steps.",
        "stages": [
            (
                "plan_call",
                "客户规划与电话邀约",
                "Account planning & call for meeting",
                "发现问题，提出需求",
                "Problem found, need raised",
                "I",
                14,
                False,
                [
                    (
                        "first_meeting",
                        E,
                        "首次会面已举行（会面纪要）",
                        "First meeting held (minutes)",
                        {"evidence": "meeting_minutes"},
                    ),
                ],
            ),
            (
                "visit_discovery",
                "客户拜访与初步调研",
                "Visit & initial discovery",
                "研究可行性，确定预算",
                "Feasibility, budget",
                "I",
                21,
                False,
                [
                    (
                        "need_timeframe",
                        F,
                        "需求与时间框架已知（预计成交日期）",
                        "Need and timeframe known (expected close date)",
                        {"field": "expected_close_date"},
                    ),
                    (
                        "org_structure",
                        A,
                        "已了解组织结构（C3）",
                        "Org structure known (C3)",
                        {"assessment": "c139_items", "items": ["C3"]},
                    ),
                    (
                        "discovery_notes",
                        E,
                        "初步调研记录",
                        "Discovery notes",
                        {"evidence": "discovery_notes"},
                    ),
                ],
            ),
            (
                "proposal_sent",
                "送出初步方案",
                "Preliminary proposal sent",
                "项目立项，组建采购小组",
                "Project approved, buying team formed",
                "C",
                30,
                False,
                [
                    (
                        "project_approved",
                        E,
                        "项目已立项（立项通知）",
                        "Project approved (approval notice)",
                        {"evidence": "project_approval"},
                    ),
                    ("budget_known", F, "预算金额已知", "Budget known (amount)", {"field": "amount"}),
                    (
                        "c5_c6",
                        A,
                        "已清楚立项原因、决策点和资金来源（C5、C6）",
                        "Why, decision criteria and funding clear (C5, C6)",
                        {"assessment": "c139_items", "items": ["C5", "C6"]},
                    ),
                ],
            ),
            (
                "demo_exchange",
                "方案演示与技术交流",
                "Demo & technical exchange",
                "建立采购标准",
                "Buying criteria set",
                "C",
                30,
                False,
                [
                    (
                        "differentiation_accepted",
                        E,
                        "客户认可我们的技术差异化",
                        "Customer accepts our technical differentiation",
                        {"evidence": "technical_acceptance"},
                    ),
                    (
                        "competitors_known",
                        F,
                        "竞争对手已登记",
                        "Competitors recorded",
                        {"field": "competitors"},
                    ),
                ],
            ),
            (
                "formal_proposal",
                "需求分析与正式方案设计",
                "Requirements & formal proposal",
                "招标，初步筛选",
                "Tender / short-list",
                "Q",
                45,
                False,
                [
                    (
                        "short_listed",
                        E,
                        "已入围（入围通知或名单）",
                        "On the short-list (notice or list)",
                        {"evidence": "short_list"},
                    ),
                    (
                        "seven_clears",
                        A,
                        "C139 至少 7 个 C",
                        "C139 at least 7 Clears",
                        {"assessment": "c139", "min_clear": 7},
                    ),
                ],
            ),
            (
                "deal_review",
                "项目评估",
                "Deal review",
                "确定偏好供应商",
                "Preferred supplier chosen",
                "D",
                21,
                False,
                [
                    (
                        "c139_8c1f0w",
                        A,
                        "C139 达到 8C1F0W 或更好",
                        "C139 at 8C1F0W or better",
                        {"assessment": "c139", "min": "8C1F0W"},
                    ),
                    (
                        "bid_pursue",
                        A,
                        "投标决策为争取",
                        "Bid decision is pursue",
                        {"assessment": "bid_decision", "equals": "pursue"},
                    ),
                    (
                        "manager_review",
                        P,
                        "销售经理评审通过",
                        "Sales manager approved the review",
                        {"role": "manager"},
                    ),
                ],
            ),
            (
                "negotiation",
                "商务谈判",
                "Negotiation",
                "商务谈判",
                "Negotiation",
                "C90",
                21,
                False,
                [
                    ("key_terms", E, "关键条款已同意", "Key terms agreed", {"evidence": "terms_agreed"}),
                    (
                        "contract_submitted",
                        E,
                        "合同已提交",
                        "Contract submitted",
                        {"evidence": "contract_draft"},
                    ),
                ],
            ),
            (
                "signed",
                "签约成交并移交实施部门",
                "Sign & hand over to delivery",
                "签约",
                "Signing",
                "WON",
                7,
                True,
                [
                    ("contract_signed", E, "合同已签署", "Contract signed", {"evidence": "signed_contract"}),
                    (
                        "handover",
                        T,
                        "向实施部门移交记录",
                        "Handover record to delivery",
                        {
                            "task": "handover",
                            "standard": "移交会议纪要经实施负责人签字 / minutes signed by the delivery lead",
                        },
                    ),
                ],
            ),
        ],
    },
    {
        "code": "funnel7",
        "zh": "七阶段销售漏斗",
        "en": "Seven-stage sales funnel",
        "default": False,
        "source": "seed 003",
        "description": "从目标客户群到完成成交的七个阶段。 Seven stages from target segment to close.",
        "stages": [
            (
                "target_segment",
                "定位目标客户群",
                "Target segment",
                "",
                "",
                "I",
                30,
                False,
                [
                    (
                        "fits_profile",
                        F,
                        "符合目标客户画像（行业、规模）",
                        "Fits our target profile (industry, size)",
                        {"field": "account.industry"},
                    ),
                ],
            ),
            (
                "potential",
                "发掘潜在商机",
                "Potential opportunity",
                "发现问题",
                "Problem found",
                "I",
                30,
                False,
                [
                    (
                        "basics_known",
                        E,
                        "客户基本信息、竞争对手、需求与预算、客户项目组已收集",
                        "Customer basics, competitors, need and budget, project team collected",
                        {"evidence": "account_profile"},
                    ),
                    (
                        "need_budget",
                        F,
                        "需求与预算（金额）已知",
                        "Need and budget (amount) known",
                        {"field": "amount"},
                    ),
                    (
                        "financially_sound",
                        A,
                        "客户财务状况良好（C6）",
                        "Customer financially sound (C6)",
                        {"assessment": "c139_items", "items": ["C6"]},
                    ),
                ],
            ),
            (
                "confirm_intent",
                "确认客户意向",
                "Confirm intent",
                "开始接触厂商",
                "Talking to vendors",
                "C",
                30,
                False,
                [
                    (
                        "intent_confirmed",
                        E,
                        "客户表示有兴趣并有初步需求（会谈记录）",
                        "Customer interested with an initial need (meeting record)",
                        {"evidence": "meeting_minutes"},
                    ),
                ],
            ),
            (
                "drive_approval",
                "引导客户立项",
                "Drive project approval",
                "项目立项",
                "Project approval",
                "Q",
                45,
                False,
                [
                    (
                        "project_team",
                        A,
                        "已组建项目团队并评估",
                        "Project team formed and evaluated",
                        {"assessment": "buying_centre", "min_coverage": 0.5},
                    ),
                    (
                        "timetable",
                        F,
                        "客户有时间表（预计成交日期）",
                        "Customer has a timetable (close date)",
                        {"field": "expected_close_date"},
                    ),
                    (
                        "leadership",
                        E,
                        "客户领导重视（高层会面记录）",
                        "Customer leadership engaged (executive meeting record)",
                        {"evidence": "executive_meeting"},
                    ),
                ],
            ),
            (
                "win_acceptance",
                "赢得客户认可",
                "Win acceptance",
                "初步筛选",
                "Short-list",
                "D",
                45,
                False,
                [
                    (
                        "short_listed",
                        E,
                        "入围并已提交报价",
                        "Short-listed and quote submitted",
                        {"evidence": "quote_submitted"},
                    ),
                    (
                        "likely_3m",
                        A,
                        "三个月内签约可能性 ≥ 50%（C139 ≥ 7C）",
                        "≥50% likely to sign within 3 months (C139 ≥ 7C)",
                        {"assessment": "c139", "min_clear": 7},
                    ),
                ],
            ),
            (
                "negotiate",
                "进行商务谈判",
                "Negotiate",
                "商务谈判",
                "Negotiation",
                "C90",
                30,
                False,
                [
                    (
                        "sole_vendor",
                        A,
                        "唯一或入围供应商，投标决策为争取",
                        "Sole or short-listed vendor; bid decision pursue",
                        {"assessment": "bid_decision", "equals": "pursue"},
                    ),
                    (
                        "formal_quote",
                        E,
                        "正式报价与合同谈判记录",
                        "Formal quote and contract negotiation record",
                        {"evidence": "contract_draft"},
                    ),
                    ("supervisor", P, "销售主管批准", "Sales supervisor approved", {"role": "manager"}),
                ],
            ),
            (
                "close",
                "完成销售成交",
                "Close",
                "签约、付款",
                "Signing, payment",
                "WON",
                14,
                True,
                [
                    ("signed", E, "合同已签署", "Contract signed", {"evidence": "signed_contract"}),
                    (
                        "paid",
                        T,
                        "客户按合同付款，已向总部订货并发货",
                        "Customer paid per contract; ordered from HQ and shipped",
                        {
                            "task": "payment_shipment",
                            "standard": "付款凭证与发货单 / payment receipt and shipping note",
                        },
                    ),
                ],
            ),
        ],
    },
    {
        "code": "standard6",
        "zh": "标准化业务流程（六阶段）",
        "en": "Standardised six-stage process",
        "default": False,
        "source": "seed 000",
        "description": "每个阶段有进度、成功标准、任务清单、达成标准和辅助工具包。 Each stage has progress, success criteria, a task list with completion standards and a toolkit.",
        "stages": [
            (
                "initiation",
                "项目立项",
                "Project initiation",
                "发现需求",
                "Need found",
                "I",
                21,
                False,
                [
                    (
                        "opportunity_brief",
                        T,
                        "填写项目立项表",
                        "Fill in the project initiation form",
                        {
                            "task": "initiation_form",
                            "standard": "立项表经销售经理确认 / form confirmed by the sales manager",
                        },
                    ),
                    (
                        "manager_ok",
                        P,
                        "销售经理同意立项",
                        "Sales manager approves initiation",
                        {"role": "manager"},
                    ),
                ],
            ),
            (
                "deep_contact",
                "深度接触",
                "Deep contact",
                "内部酝酿",
                "Internal discussion",
                "C",
                30,
                False,
                [
                    (
                        "org_map",
                        A,
                        "决策链已识别（C3、C4）",
                        "Decision chain identified (C3, C4)",
                        {"assessment": "c139_items", "items": ["C3", "C4"]},
                    ),
                    (
                        "coach",
                        A,
                        "已发展教练",
                        "A coach is developed",
                        {"assessment": "buying_centre", "roles": ["coach"]},
                    ),
                    (
                        "visit_log",
                        T,
                        "完成关键人拜访",
                        "Visit every key person",
                        {
                            "task": "key_person_visits",
                            "standard": "每位关键人至少一次面对面拜访记录 / one face-to-face visit logged per key person",
                        },
                    ),
                ],
            ),
            (
                "technical_exchange",
                "技术交流",
                "Technical exchange",
                "建立采购标准",
                "Buying criteria set",
                "C",
                30,
                False,
                [
                    (
                        "exchange_minutes",
                        E,
                        "技术交流纪要",
                        "Technical exchange minutes",
                        {"evidence": "technical_minutes"},
                    ),
                    (
                        "presales_task",
                        T,
                        "售前完成技术交流",
                        "Pre-sales completes the exchange",
                        {
                            "task": "technical_exchange",
                            "standard": "客户技术负责人确认 / confirmed by the customer's technical lead",
                        },
                    ),
                ],
            ),
            (
                "solution_confirmed",
                "方案确认",
                "Solution confirmation",
                "方案评审",
                "Solution review",
                "Q",
                30,
                False,
                [
                    (
                        "solution_accepted",
                        E,
                        "客户确认方案",
                        "Customer confirms the solution",
                        {"evidence": "solution_acceptance"},
                    ),
                    (
                        "seven_clears",
                        A,
                        "C139 至少 7 个 C",
                        "C139 at least 7 Clears",
                        {"assessment": "c139", "min_clear": 7},
                    ),
                ],
            ),
            (
                "executive",
                "高层攻关",
                "Executive engagement",
                "确定供应商",
                "Supplier chosen",
                "D",
                21,
                False,
                [
                    (
                        "exec_meeting",
                        E,
                        "双方高层会面记录",
                        "Executive meeting record",
                        {"evidence": "executive_meeting"},
                    ),
                    (
                        "c139_8c1f0w",
                        A,
                        "C139 达到 8C1F0W 或更好",
                        "C139 at 8C1F0W or better",
                        {"assessment": "c139", "min": "8C1F0W"},
                    ),
                ],
            ),
            (
                "negotiation",
                "商务谈判",
                "Negotiation",
                "商务谈判",
                "Negotiation",
                "C90",
                21,
                False,
                [
                    (
                        "terms_agreed",
                        E,
                        "商务条款已同意",
                        "Commercial terms agreed",
                        {"evidence": "terms_agreed"},
                    ),
                    (
                        "finance_legal",
                        P,
                        "商务 / 财务 / 法务审核",
                        "Commercial, finance and legal review",
                        {"role": "manager"},
                    ),
                ],
            ),
            (
                "won",
                "签约成交",
                "Signed",
                "签约",
                "Signing",
                "WON",
                7,
                True,
                [
                    ("signed", E, "合同已签署", "Contract signed", {"evidence": "signed_contract"}),
                ],
            ),
        ],
    },
    {
        "code": "lenovo5",
        "zh": "漏斗级别（I-C-Q-D-C）",
        "en": "Funnel levels (I-C-Q-D-C)",
        "default": False,
        "source": "seed 004",
        "description": "按联想漏斗级别推进：识别、接触、有资格、已发展、已承诺。 Stages are the ladder's levels.",
        "stages": [
            (
                "identified",
                "识别",
                "Identified",
                "发现需求",
                "Need found",
                "I",
                30,
                False,
                [
                    (
                        "key_people",
                        A,
                        "已识别关键人和组织结构（C3）",
                        "Key people and org structure identified (C3)",
                        {"assessment": "c139_items", "items": ["C3"]},
                    ),
                    (
                        "appointment",
                        E,
                        "拜访并预约（拜访记录）",
                        "Visited, appointment made (visit record)",
                        {"evidence": "visit_record"},
                    ),
                ],
            ),
            (
                "contacted",
                "接触",
                "Contacted",
                "内部讨论",
                "Internal discussion",
                "C",
                30,
                False,
                [
                    (
                        "decision_makers",
                        A,
                        "所有决策者、影响者、最终用户已引入",
                        "All decision makers, influencers, end users brought in",
                        {"assessment": "buying_centre", "min_coverage": 0.75},
                    ),
                    (
                        "critical_need",
                        E,
                        "最关键需求已确认（会议记录）",
                        "Most critical need confirmed (meeting record)",
                        {"evidence": "meeting_minutes"},
                    ),
                ],
            ),
            (
                "qualified",
                "有资格的",
                "Qualified",
                "确定预算",
                "Budget set",
                "Q",
                45,
                False,
                [
                    (
                        "need_agreed",
                        E,
                        "需求已同意，解决方案与安装方案",
                        "Need agreed, solution and installation plan",
                        {"evidence": "solution_plan"},
                    ),
                    (
                        "financial_capacity",
                        A,
                        "财务能力已确认（C6）",
                        "Financial capacity confirmed (C6)",
                        {"assessment": "c139_items", "items": ["C6"]},
                    ),
                ],
            ),
            (
                "developed",
                "已经发展的",
                "Developed",
                "评估方案",
                "Evaluating proposals",
                "D",
                30,
                False,
                [
                    (
                        "quote_approved",
                        E,
                        "报价 / 方案已得到客户批准",
                        "Quote / solution approved by the customer",
                        {"evidence": "quote_approved"},
                    ),
                    ("price_agreed", F, "价格（金额）已确认", "Price (amount) agreed", {"field": "amount"}),
                ],
            ),
            (
                "committed",
                "已经承诺的",
                "Committed",
                "签约",
                "Signing",
                "C90",
                21,
                False,
                [
                    (
                        "terms_agreed",
                        E,
                        "财务与技术合同条款已同意",
                        "Financial and technical terms agreed",
                        {"evidence": "terms_agreed"},
                    ),
                    (
                        "manager_commit",
                        P,
                        "销售经理确认承诺",
                        "Sales manager confirms the commit",
                        {"role": "manager"},
                    ),
                ],
            ),
            (
                "won",
                "赢单",
                "Won",
                "已签约",
                "Signed",
                "WON",
                7,
                True,
                [
                    ("signed", E, "合同已签署", "Contract signed", {"evidence": "signed_contract"}),
                ],
            ),
        ],
    },
]


def load(apps) -> None:
    """Create whatever of the defaults is missing (by code); never touch rows that exist."""
    Level = apps.get_model("pipeline", "ProbabilityLevel")
    Template = apps.get_model("pipeline", "ProcessTemplate")
    Stage = apps.get_model("pipeline", "Stage")
    Criterion = apps.get_model("pipeline", "ExitCriterion")
    DealRole = apps.get_model("pipeline", "DealRole")
    LossReason = apps.get_model("pipeline", "LossReason")

    levels = {}
    for code, short, zh, en, order, p, won, lost, cat, czh, cen in LADDER:
        levels[code], _ = Level.objects.get_or_create(
            code=code,
            defaults=dict(
                short=short,
                name_zh=zh,
                name_en=en,
                order=order,
                probability=p,
                is_won=won,
                is_lost=lost,
                default_forecast_category=cat,
                conditions_zh=czh,
                conditions_en=cen,
            ),
        )
    for order, (code, zh, en) in enumerate(DEAL_ROLES):
        DealRole.objects.get_or_create(code=code, defaults=dict(name_zh=zh, name_en=en, order=order))
    for order, (code, zh, en) in enumerate(LOSS_REASONS):
        LossReason.objects.get_or_create(code=code, defaults=dict(name_zh=zh, name_en=en, order=order))
    for spec in TEMPLATES:
        template, created = Template.objects.get_or_create(
            code=spec["code"],
            defaults=dict(
                name_zh=spec["zh"],
                name_en=spec["en"],
                is_default=spec["default"] and not Template.objects.filter(is_default=True).exists(),
                description=spec["description"],
                source=spec["source"],
            ),
        )
        if not created:
            continue
        for order, (code, zh, en, bzh, ben, level, days, is_won, criteria) in enumerate(
            spec["stages"], start=1
        ):
            stage = Stage.objects.create(
                template=template,
                order=order,
                code=code,
                name_zh=zh,
                name_en=en,
                buying_step_zh=bzh,
                buying_step_en=ben,
                default_level=levels[level],
                standard_days=days,
                is_won=is_won,
            )
            for c_order, (c_code, kind, c_zh, c_en, config) in enumerate(criteria, start=1):
                Criterion.objects.create(
                    stage=stage,
                    order=c_order,
                    code=c_code,
                    kind=kind,
                    name_zh=c_zh,
                    name_en=c_en,
                    config=config,
                )
