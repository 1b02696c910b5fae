"""Shipped defaults of the team sale (METHODOLOGY §1c, §6): for every stage of the four templates, the
deal-team roles it needs and its task list (任务清单), each task with its completion standard (达成标准),
the role that does it and how many days after entering the stage it is due.

Roles follow seed 001: early stages are led by the account manager; technical exchange needs
pre-sales; requirements research a consultant / expert; project evaluation executive resources;
negotiation commercial, finance and legal; signing an executive, and delivery takes the handover.
A task named by an exit criterion of kind "task" ({"task": "<code>"}) has that code here, on the
same stage.

Loaded by a data migration; afterwards an admin edits stages, roles and tasks in the admin and this
file is only the starting point of a new installation.
"""

from typing import TypedDict

AM, PS, CO, EX = "account_manager", "presales", "consultant", "executive"
CM, FI, LE, DE = "commercial", "finance", "legal", "delivery"

# Task: (code, 中文, English, standard 中文, standard English, role, due days after entering the stage)
Task = tuple[str, str, str, str, str, str, int]


class StageSpec(TypedDict):
    roles: list[str]
    tasks: list[Task]


_NEGOTIATION: list[Task] = [
    (
        "commercial_terms",
        "商务条款谈判",
        "Negotiate the commercial terms",
        "价格、付款方式、交付期等关键条款双方书面确认",
        "Price, payment terms and delivery dates confirmed in writing by both sides",
        CM,
        10,
    ),
    (
        "finance_review",
        "财务审核（毛利、付款与回款风险）",
        "Finance review (margin, payment and collection risk)",
        "财务签字确认毛利和付款条件符合公司政策",
        "Finance signs off that margin and payment terms meet company policy",
        FI,
        14,
    ),
    (
        "legal_review",
        "法务审核合同",
        "Legal review of the contract",
        "法务审核意见已处理，合同文本定稿",
        "Legal comments resolved and the contract text final",
        LE,
        18,
    ),
]
_SIGNING: list[Task] = [
    (
        "signing_ceremony",
        "高层参与签约",
        "Executive attends the signing",
        "合同经双方授权代表签字盖章，我方高层出席或致函",
        "Contract signed and stamped by both sides' authorised representatives; our executive attended or wrote",
        EX,
        3,
    ),
    (
        "handover",
        "向实施部门移交",
        "Hand over to delivery",
        "移交会议纪要（范围、联系人、承诺事项）经实施负责人签字",
        "Handover minutes (scope, contacts, commitments) signed by the delivery lead",
        DE,
        7,
    ),
]

# {template code: {stage code: {"roles": [role codes], "tasks": [task, ...]}}}
STAGE_TASKS: dict[str, dict[str, StageSpec]] = {
    "tianlong8": {
        "plan_call": {
            "roles": [AM],
            "tasks": [
                (
                    "account_plan",
                    "制定客户规划",
                    "Write the account plan",
                    "客户规划已填写：组织结构、潜在需求、关键人和拜访目标",
                    "Account plan filled in: org structure, potential needs, key people and call objectives",
                    AM,
                    5,
                ),
                (
                    "call_key_people",
                    "电话邀约关键人",
                    "Call key people for a meeting",
                    "至少与一位关键人约定首次会面的时间和地点",
                    "A first meeting agreed with at least one key person (date and place)",
                    AM,
                    10,
                ),
                (
                    "first_meeting_minutes",
                    "首次会面并记录纪要",
                    "Hold the first meeting and record the minutes",
                    "会面纪要记录客户提出的问题和需求，并已上传",
                    "Minutes record the problems and needs the customer raised, and are uploaded",
                    AM,
                    14,
                ),
            ],
        },
        "visit_discovery": {
            "roles": [AM],
            "tasks": [
                (
                    "discovery_visit",
                    "拜访客户并初步调研",
                    "Visit the customer and do the initial discovery",
                    "调研记录包括现状、痛点、需求与时间框架",
                    "Discovery notes cover the current state, pain points, need and timeframe",
                    AM,
                    10,
                ),
                (
                    "org_chart",
                    "绘制客户组织结构图",
                    "Draw the customer's org chart",
                    "组织结构图标明决策者、影响者和使用者，C139 中 C3 已确认",
                    "Org chart marks decision makers, influencers and users; C3 confirmed in C139",
                    AM,
                    14,
                ),
                (
                    "budget_feasibility",
                    "了解可行性研究与预算",
                    "Learn about the feasibility study and the budget",
                    "预算范围、资金来源和预计立项时间已记录",
                    "Budget range, funding source and expected approval date recorded",
                    AM,
                    21,
                ),
            ],
        },
        "proposal_sent": {
            "roles": [AM, PS],
            "tasks": [
                (
                    "preliminary_proposal",
                    "编写并送出初步方案",
                    "Write and send the preliminary proposal",
                    "初步方案已发送给客户项目负责人，并确认收到",
                    "Preliminary proposal sent to the customer's project lead, receipt confirmed",
                    PS,
                    14,
                ),
                (
                    "decision_criteria",
                    "了解立项原因和每位决策人的决策点",
                    "Learn why the project exists and each decision maker's criteria",
                    "立项原因与每位决策人的决策点已记录（C5），资金来源已确认（C6）",
                    "Reasons and each decision maker's criteria recorded (C5); funding confirmed (C6)",
                    AM,
                    25,
                ),
                (
                    "approval_followup",
                    "跟进立项与采购小组组建",
                    "Follow up the project approval and the buying team",
                    "取得立项通知（或会议纪要），采购小组成员已登记到购买中心",
                    "Approval notice (or minutes) obtained; buying team members recorded in the buying centre",
                    AM,
                    30,
                ),
            ],
        },
        "demo_exchange": {
            "roles": [AM, PS],
            "tasks": [
                (
                    "demo_plan",
                    "准备方案演示与技术交流",
                    "Prepare the demo and the technical exchange",
                    "交流议程与演示脚本经客户确认，针对客户的采购标准",
                    "Agenda and demo script confirmed with the customer, aimed at their buying criteria",
                    PS,
                    7,
                ),
                (
                    "technical_exchange",
                    "举行方案演示与技术交流",
                    "Hold the demo and the technical exchange",
                    "交流纪要记录客户技术负责人认可的差异化要点",
                    "Minutes record the differentiators the customer's technical lead accepts",
                    PS,
                    21,
                ),
                (
                    "competitor_analysis",
                    "分析竞争对手",
                    "Analyse the competitors",
                    "竞争对手已登记，每家的优劣势和推进活动已记录（C8）",
                    "Competitors recorded with their strengths, weaknesses and activities (C8)",
                    AM,
                    25,
                ),
            ],
        },
        "formal_proposal": {
            "roles": [AM, PS, CO],
            "tasks": [
                (
                    "requirements_research",
                    "需求调研与可行性确认",
                    "Requirements research and feasibility check",
                    "需求调研报告经顾问 / 专家确认技术可行，并得到客户认可",
                    "Requirements report confirmed feasible by the consultant / expert and accepted by the customer",
                    CO,
                    20,
                ),
                (
                    "formal_proposal",
                    "编写正式方案与投标文件",
                    "Write the formal proposal and the tender documents",
                    "正式方案 / 投标文件按招标要求完成并按时递交",
                    "Formal proposal / tender documents complete as the tender requires and submitted on time",
                    PS,
                    35,
                ),
                (
                    "short_list_check",
                    "确认入围",
                    "Confirm the short-list",
                    "取得入围通知或名单，C139 至少 7 个 C",
                    "Short-list notice or list obtained; C139 at least 7 Clears",
                    AM,
                    45,
                ),
            ],
        },
        "deal_review": {
            "roles": [AM, EX],
            "tasks": [
                (
                    "c139_review",
                    "与教练确认 C139 评估",
                    "Confirm the C139 assessment with the coach",
                    "C139 每项已与教练确认，结果达到 8C1F0W 或写明差距",
                    "Every C139 item confirmed with the coach; result 8C1F0W or the gap stated",
                    AM,
                    7,
                ),
                (
                    "bid_decision",
                    "完成投标决策（争取 / 放弃）",
                    "Make the bid / no-bid decision",
                    "四个问题已打分，决策为争取、继续论证或放弃，并写明理由",
                    "The four questions scored; decision pursue, qualify further or abandon, with reasons",
                    AM,
                    10,
                ),
                (
                    "executive_sponsor",
                    "申请并安排高层资源",
                    "Request and schedule executive resources",
                    "我方高层与客户决策者的会面已安排或完成，并有会面记录",
                    "A meeting of our executive with the customer's decision maker scheduled or held, with a record",
                    EX,
                    21,
                ),
            ],
        },
        "negotiation": {
            "roles": [AM, CM, FI, LE],
            "tasks": [
                *_NEGOTIATION,
                (
                    "contract_submitted",
                    "提交合同",
                    "Submit the contract",
                    "定稿合同已提交客户并确认收到",
                    "Final contract submitted to the customer, receipt confirmed",
                    AM,
                    21,
                ),
            ],
        },
        "signed": {
            "roles": [EX, DE],
            "tasks": [
                *_SIGNING,
                (
                    "customer_file",
                    "更新客户档案",
                    "Update the customer file",
                    "客户档案已更新：签约信息、关键人和后续潜在项目",
                    "Customer file updated: contract, key people and follow-on opportunities",
                    AM,
                    7,
                ),
            ],
        },
    },
    "funnel7": {
        "target_segment": {
            "roles": [AM],
            "tasks": [
                (
                    "segment_fit",
                    "按目标客户画像筛选",
                    "Screen against the target profile",
                    "行业、规模、地区符合目标客户画像，并已登记在客户档案",
                    "Industry, size and region match the target profile and are recorded on the account",
                    AM,
                    7,
                ),
                (
                    "first_contact",
                    "首次接触客户",
                    "First contact with the customer",
                    "有一次电话或拜访记录，找到对口联系人",
                    "One call or visit logged and a counterpart contact found",
                    AM,
                    21,
                ),
            ],
        },
        "potential": {
            "roles": [AM],
            "tasks": [
                (
                    "customer_basics",
                    "收集客户基本信息",
                    "Collect the customer's basics",
                    "行业、背景、规模、人员已登记",
                    "Industry, background, size and staff recorded",
                    AM,
                    10,
                ),
                (
                    "need_budget",
                    "了解需求与预算",
                    "Learn the need and the budget",
                    "需求描述和预算金额已填写",
                    "Need described and budget amount entered",
                    AM,
                    20,
                ),
                (
                    "competitors_team",
                    "识别竞争对手和客户项目组",
                    "Identify the competitors and the customer's project team",
                    "参与的竞争对手已登记，客户项目组成员已加入购买中心",
                    "Competitors involved recorded; the customer's project team added to the buying centre",
                    AM,
                    30,
                ),
            ],
        },
        "confirm_intent": {
            "roles": [AM],
            "tasks": [
                (
                    "intent_meeting",
                    "确认客户意向的会谈",
                    "Meeting to confirm the customer's intent",
                    "会谈记录写明客户对我方产品和服务的兴趣及初步需求",
                    "Meeting record states the customer's interest in our products and services and the initial need",
                    AM,
                    14,
                ),
                (
                    "vendor_contacts",
                    "了解客户接触的厂商和顾问",
                    "Learn which vendors and consultants the customer talks to",
                    "客户已接触的厂商或顾问名单已记录",
                    "List of vendors or consultants the customer talks to recorded",
                    AM,
                    21,
                ),
            ],
        },
        "drive_approval": {
            "roles": [AM, PS],
            "tasks": [
                (
                    "project_team",
                    "组建我方项目团队",
                    "Form our project team",
                    "售前等角色已加入交易团队，项目已按我方项目标准评估",
                    "Pre-sales and the other roles added to the deal team; the deal evaluated against our project criteria",
                    AM,
                    7,
                ),
                (
                    "leadership_briefing",
                    "向客户领导介绍方案",
                    "Brief the customer's leadership",
                    "有客户领导出席的方案介绍会记录",
                    "Record of a briefing attended by the customer's leadership",
                    PS,
                    30,
                ),
                (
                    "approval_timetable",
                    "推动立项并确认时间表",
                    "Drive the approval and confirm the timetable",
                    "客户立项时间表和初步预算已确认",
                    "The customer's approval timetable and initial budget confirmed",
                    AM,
                    40,
                ),
            ],
        },
        "win_acceptance": {
            "roles": [AM, PS, CO],
            "tasks": [
                (
                    "requirements_fit",
                    "确认方案满足需求",
                    "Confirm the solution meets the requirements",
                    "客户书面或在会议上确认我方产品满足需求",
                    "The customer confirms in writing or at a meeting that our product meets the requirements",
                    CO,
                    20,
                ),
                (
                    "quote_submitted",
                    "提交报价并入围",
                    "Submit the quote and get short-listed",
                    "报价已提交并确认收到，已取得入围通知",
                    "Quote submitted and receipt confirmed; short-list notice obtained",
                    PS,
                    30,
                ),
                (
                    "likelihood_review",
                    "评估三个月内签约可能性",
                    "Assess the likelihood of signing within 3 months",
                    "C139 至少 7 个 C，签约可能性 ≥ 50% 的依据已记录",
                    "C139 at least 7 Clears; the reasons for a likelihood of 50 % or more recorded",
                    AM,
                    40,
                ),
            ],
        },
        "negotiate": {
            "roles": [AM, EX, CM, FI, LE],
            "tasks": [
                (
                    "objection_handling",
                    "处理异议与详细演示",
                    "Handle objections and give detailed demos",
                    "客户的每项异议已记录并答复",
                    "Every objection of the customer recorded and answered",
                    AM,
                    10,
                ),
                (
                    "formal_quote",
                    "正式报价与合同谈判",
                    "Formal quote and contract negotiation",
                    "正式报价和合同草案经商务、财务、法务审核",
                    "Formal quote and draft contract reviewed by commercial, finance and legal",
                    CM,
                    20,
                ),
                (
                    "executive_visit",
                    "高层拜访",
                    "Executive visit",
                    "我方高层与客户决策者会面并有记录",
                    "Our executive met the customer's decision maker, with a record",
                    EX,
                    25,
                ),
            ],
        },
        "close": {
            "roles": [AM, FI, DE],
            "tasks": [
                (
                    "contract_signing",
                    "签订合同",
                    "Sign the contract",
                    "合同双方签字盖章并归档",
                    "Contract signed and stamped by both sides and filed",
                    AM,
                    3,
                ),
                (
                    "payment_shipment",
                    "付款、订货与发货",
                    "Payment, order and shipment",
                    "客户按合同付款（付款凭证），已向总部订货并发货（发货单）",
                    "Customer paid per contract (payment receipt); ordered from HQ and shipped (shipping note)",
                    FI,
                    14,
                ),
                (
                    "delivery_handover",
                    "移交实施交付",
                    "Hand over to delivery",
                    "移交记录经实施负责人确认",
                    "Handover record confirmed by the delivery lead",
                    DE,
                    14,
                ),
            ],
        },
    },
    "standard6": {
        "initiation": {
            "roles": [AM],
            "tasks": [
                (
                    "initiation_form",
                    "填写项目立项表",
                    "Fill in the project initiation form",
                    "立项表（客户、需求、预算、时间、竞争）经销售经理确认",
                    "Form (customer, need, budget, timing, competition) confirmed by the sales manager",
                    AM,
                    7,
                ),
                (
                    "capture_plan",
                    "制定项目推进计划",
                    "Plan the capture of the project",
                    "推进计划列出里程碑、负责人和资源需求",
                    "Capture plan lists milestones, owners and resource needs",
                    AM,
                    14,
                ),
            ],
        },
        "deep_contact": {
            "roles": [AM],
            "tasks": [
                (
                    "key_person_visits",
                    "完成关键人拜访",
                    "Visit every key person",
                    "每位关键人至少一次面对面拜访记录",
                    "One face-to-face visit logged per key person",
                    AM,
                    21,
                ),
                (
                    "decision_chain",
                    "识别决策链",
                    "Identify the decision chain",
                    "决策机构成员的影响力、定位和倾向已记录（C3、C4）",
                    "Influence, role and leaning of each member of the decision body recorded (C3, C4)",
                    AM,
                    21,
                ),
                (
                    "develop_coach",
                    "发展教练",
                    "Develop a coach",
                    "购买中心中有一位支持我方的教练",
                    "A supportive coach in the buying centre",
                    AM,
                    30,
                ),
            ],
        },
        "technical_exchange": {
            "roles": [AM, PS],
            "tasks": [
                (
                    "exchange_plan",
                    "准备技术交流",
                    "Prepare the technical exchange",
                    "交流议程和材料经客户确认",
                    "Agenda and materials confirmed by the customer",
                    PS,
                    7,
                ),
                (
                    "technical_exchange",
                    "售前完成技术交流",
                    "Pre-sales completes the technical exchange",
                    "交流纪要经客户技术负责人确认",
                    "Exchange minutes confirmed by the customer's technical lead",
                    PS,
                    21,
                ),
                (
                    "buying_criteria",
                    "影响采购标准",
                    "Shape the buying criteria",
                    "客户的采购标准包含我方优势项",
                    "The customer's buying criteria include our strengths",
                    AM,
                    30,
                ),
            ],
        },
        "solution_confirmed": {
            "roles": [PS, CO],
            "tasks": [
                (
                    "requirements_research",
                    "需求调研",
                    "Requirements research",
                    "调研报告经顾问 / 专家确认可行",
                    "Research report confirmed feasible by the consultant / expert",
                    CO,
                    14,
                ),
                (
                    "solution_review",
                    "客户方案评审",
                    "Solution review with the customer",
                    "客户评审会纪要确认方案",
                    "Minutes of the customer's review confirm the solution",
                    PS,
                    25,
                ),
                (
                    "c139_clears",
                    "更新 C139 评估",
                    "Update the C139 assessment",
                    "C139 至少 7 个 C，并已与教练确认",
                    "C139 at least 7 Clears, confirmed with the coach",
                    AM,
                    30,
                ),
            ],
        },
        "executive": {
            "roles": [AM, EX],
            "tasks": [
                (
                    "executive_meeting",
                    "安排双方高层会面",
                    "Arrange a meeting of both sides' executives",
                    "有双方高层会面记录，客户最高决策者已表态",
                    "Record of the executives' meeting; the customer's top decision maker stated a position",
                    EX,
                    14,
                ),
                (
                    "win_review",
                    "项目评估（8C1F0W）",
                    "Deal review (8C1F0W)",
                    "C139 达到 8C1F0W 或更好，投标决策为争取",
                    "C139 at 8C1F0W or better; bid decision pursue",
                    AM,
                    21,
                ),
            ],
        },
        "negotiation": {"roles": [AM, CM, FI, LE], "tasks": list(_NEGOTIATION)},
        "won": {"roles": [EX, DE], "tasks": list(_SIGNING)},
    },
    "lenovo5": {
        "identified": {
            "roles": [AM],
            "tasks": [
                (
                    "key_people",
                    "收集信息并识别关键人",
                    "Collect information and identify the key people",
                    "关键人和组织结构已记录，C3 已确认",
                    "Key people and org structure recorded; C3 confirmed",
                    AM,
                    14,
                ),
                (
                    "need_equipment",
                    "了解需求和现有设备",
                    "Learn the need and the current equipment",
                    "需求与现有设备状况已记录，并有初步判断",
                    "Need and current equipment recorded, with a first judgement",
                    AM,
                    21,
                ),
                (
                    "appointment",
                    "拜访并预约",
                    "Visit and make an appointment",
                    "有拜访记录，已预约下次会面",
                    "Visit recorded; next meeting booked",
                    AM,
                    30,
                ),
            ],
        },
        "contacted": {
            "roles": [AM],
            "tasks": [
                (
                    "bring_in_roles",
                    "引入所有决策者、影响者和最终用户",
                    "Bring in every decision maker, influencer and end user",
                    "购买中心覆盖所需角色（≥ 75%）",
                    "The buying centre covers the required roles (75 % or more)",
                    AM,
                    21,
                ),
                (
                    "critical_need",
                    "确认最关键的需求",
                    "Confirm the most critical need",
                    "会议记录写明最关键的需求、问题和潜在方案",
                    "Meeting record states the most critical need, the problem and a possible solution",
                    AM,
                    21,
                ),
                (
                    "buying_schedule",
                    "确认日程",
                    "Confirm the schedule",
                    "客户的采购日程已记录为里程碑",
                    "The customer's buying schedule recorded as milestones",
                    AM,
                    30,
                ),
            ],
        },
        "qualified": {
            "roles": [AM, PS, CO],
            "tasks": [
                (
                    "solution_benefits",
                    "确认方案与客户收益",
                    "Confirm the solution and the customer's benefits",
                    "需求已同意，方案和客户收益已书面确认",
                    "Need agreed; solution and benefits confirmed in writing",
                    PS,
                    21,
                ),
                (
                    "financial_capacity",
                    "确认财务能力",
                    "Confirm the financial capacity",
                    "资金来源和付款能力已确认（C6）",
                    "Funding source and ability to pay confirmed (C6)",
                    AM,
                    30,
                ),
                (
                    "installation_plan",
                    "交付与安装方案",
                    "Delivery and installation plan",
                    "交付与安装方案经顾问 / 专家确认",
                    "Delivery and installation plan confirmed by the consultant / expert",
                    CO,
                    40,
                ),
            ],
        },
        "developed": {
            "roles": [AM, PS, EX],
            "tasks": [
                (
                    "proposal_challenge",
                    "客户评审并质询方案",
                    "The customer reviews and challenges the proposal",
                    "已召开质询会，客户的问题均已答复",
                    "Challenge meeting held; every question of the customer answered",
                    PS,
                    14,
                ),
                (
                    "quote_approval",
                    "报价获客户批准",
                    "Quote approved by the customer",
                    "客户批准报价 / 方案，价格已同意",
                    "The customer approved the quote / solution; price agreed",
                    AM,
                    25,
                ),
                (
                    "executive_support",
                    "高层支持",
                    "Executive support",
                    "我方高层已与客户决策者沟通",
                    "Our executive has talked to the customer's decision maker",
                    EX,
                    30,
                ),
            ],
        },
        "committed": {"roles": [AM, CM, FI, LE], "tasks": list(_NEGOTIATION)},
        "won": {"roles": [EX, DE], "tasks": list(_SIGNING)},
    },
}


def load(apps) -> None:
    """Add the shipped roles and tasks to the templates and stages that exist (matched by code). A
    stage's required roles are set only when it has none; a task is created only when the stage has
    no task with its code: rows an admin edited are never touched."""
    Template = apps.get_model("pipeline", "ProcessTemplate")
    Stage = apps.get_model("pipeline", "Stage")
    StageTask = apps.get_model("pipeline", "StageTask")
    DealRole = apps.get_model("pipeline", "DealRole")

    roles = {role.code: role for role in DealRole.objects.all()}
    for template_code, stages in STAGE_TASKS.items():
        template = Template.objects.filter(code=template_code).first()
        if template is None:
            continue
        for stage_code, spec in stages.items():
            stage = Stage.objects.filter(template=template, code=stage_code).first()
            if stage is None:
                continue
            if not stage.required_roles.exists():
                stage.required_roles.set([roles[c] for c in spec["roles"] if c in roles])
            for order, (code, zh, en, std_zh, std_en, role, days) in enumerate(spec["tasks"], start=1):
                StageTask.objects.get_or_create(
                    stage=stage,
                    code=code,
                    defaults=dict(
                        order=order,
                        name_zh=zh,
                        name_en=en,
                        standard_zh=std_zh,
                        standard_en=std_en,
                        role=roles.get(role),
                        due_days=days,
                    ),
                )
