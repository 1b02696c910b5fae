"""The default KAM stages with their work focus and checklists (seed 003, Millman & Wilson) and a
standard set of CSI questions, in Chinese and English. Loaded by migration 0022; an admin edits them
afterwards (Django admin)."""

from __future__ import annotations

STAGES: list[dict] = [
    {
        "code": "pre",
        "name_zh": "孕育阶段",
        "name_en": "Pre-KAM",
        "focus_zh": "研究和规划:收集客户资料、了解基本需求、客户研究、有计划的拜访、找出教练、制定销售规划(5W2H)。",
        "focus_en": "Research and planning: collect the customer's data, learn their basic needs, research "
        "them, visit to a plan, find a coach, write the sales plan (5W2H).",
        "items": [
            ("客户资料的收集", "Collect the customer's data"),
            ("了解客户的基本需求", "Learn the customer's basic needs"),
            ("客户研究", "Research the customer"),
            ("有计划的拜访(不同对象)", "Visit to a plan (different people)"),
            ("公关的建立(找出教练)", "Build relationships (find a coach)"),
            ("销售规划(人员、资源等、5W2H)", "Sales plan (people, resources, 5W2H)"),
        ],
    },
    {
        "code": "early",
        "name_zh": "初期阶段",
        "name_en": "Early KAM",
        "focus_zh": "建立信任:高频率拜访、加强公关、提供产品使用分析与技术支持、提交销售建议书。",
        "focus_en": "Build trust: frequent visits, stronger relationships, product use analysis and "
        "technical support, a sales proposal.",
        "items": [
            ("高频率的拜访", "Visit frequently"),
            ("加强公关力度", "Strengthen relationships"),
            ("提供产品的使用及分析", "Provide product use and analysis"),
            ("提供技术支持", "Provide technical support"),
            ("强化客户信任感", "Strengthen the customer's trust"),
            (
                "销售建议书(支持、投入、服务与承诺内容)",
                "Sales proposal (support, investment, service, commitments)",
            ),
        ],
    },
    {
        "code": "mid",
        "name_zh": "中期阶段",
        "name_en": "Mid KAM",
        "focus_zh": "深入渗透:深层了解组织与个人需求、渗透四种角色、执行投标、展现服务团队与承诺、签订合约。",
        "focus_en": "Penetrate: the organisation's and people's deep needs, all four buying roles, the bid, "
        "show the service team and commitment, sign the contract.",
        "items": [
            ("深层次了解客户组织与个人需求", "Understand the organisation's and people's deep needs"),
            ("全方位客户渗透(四种角色)", "Penetrate the account fully (the four roles)"),
            ("投标工作的执行", "Run the bid"),
            ("向客户展现卓越服务团队", "Show the customer an excellent service team"),
            ("向客户强化能提供之利益", "Reinforce the benefits we can deliver"),
            ("显示高度承诺与服务决心", "Show strong commitment to service"),
            ("签订合约", "Sign the contract"),
        ],
    },
    {
        "code": "partnership",
        "name_zh": "伙伴式阶段",
        "name_en": "Partnership KAM",
        "focus_zh": "维系与提升:有计划地维持关系、定期服务评估(CSI)、提升质量降低成本、改善服务流程、建立忠诚度。",
        "focus_en": "Keep and improve: planned relationship upkeep, regular service assessment (CSI), better "
        "quality at lower cost, better service processes, loyalty.",
        "items": [
            ("密切有计划地与客户维持关系", "Keep the relationship close and planned"),
            ("随时对客户进行服务评估(CSI)", "Assess our service regularly (CSI)"),
            (
                "以大客户的DNA为核心(重视其时间、效率)",
                "Work to the customer's DNA (their time, their efficiency)",
            ),
            ("定期进行全方位的沟通", "Communicate fully and regularly"),
            ("全力提升质量与降低成本", "Raise quality and lower cost"),
            ("改善服务流程为大客户创造更多利益", "Improve service processes to create more value for them"),
            ("建立大客户的忠诚度", "Build the customer's loyalty"),
        ],
    },
    {
        "code": "synergistic",
        "name_zh": "协作式阶段",
        "name_en": "Synergistic KAM",
        "focus_zh": "协同一体:共同规划、流程整合、联合业绩评估与长期规划,成为客户内部的战略资源供应商。",
        "focus_en": "Act as one: joint planning, integrated processes, joint performance reviews and "
        "long-term plans; become a strategic in-house supplier.",
        "items": [
            ("与客户共同制定业务规划", "Plan the business jointly with the customer"),
            ("双方流程整合", "Integrate both sides' processes"),
            ("联合业绩评估与长期规划", "Review performance and plan long-term together"),
            ("共同进行流程重估", "Re-engineer processes together"),
            ("派驻大客户经理小组与客户共同办公", "Place a key-account team on the customer's site"),
            ("成为客户内部战略资源的供应商", "Become a strategic in-house resource supplier"),
        ],
    },
]

CSI_QUESTIONS: list[tuple[str, str, str, str]] = [
    # code, zh, en, weight
    ("quality", "产品质量", "Product quality", "1"),
    ("delivery", "交付及时、准确", "On-time, accurate delivery", "1"),
    ("support", "技术支持", "Technical support", "1"),
    ("response", "服务响应速度", "Speed of response", "1"),
    ("team", "销售与服务团队的专业程度", "Professionalism of the sales and service team", "1"),
    ("value", "性价比", "Value for money", "1"),
    ("overall", "总体满意度", "Overall satisfaction", "2"),
    ("recommend", "向他人推荐的意愿", "Willingness to recommend us", "1"),
]
