"""Shipped defaults of deal control (METHODOLOGY §3, §6): the wording of the 13 C139 items and the
expense categories. Loaded once by a data migration; afterwards an admin edits them."""

# (code, tier, order, 中文, English)
C139_QUESTIONS = [
    ("C1", "clear", 1, "我们的推进流程和关键节点", "Our selling process and milestones for this project"),
    ("C2", "clear", 2, "客户的采购流程和关键节点", "The customer's buying process and milestones"),
    ("C3", "clear", 3, "客户的组织结构／主要成员共鸣点", "Org structure; what each key member cares about"),
    (
        "C4",
        "clear",
        4,
        "决策机构及成员的影响力／定位／倾向",
        "The decision body: each member's influence, role, leaning",
    ),
    ("C5", "clear", 5, "立项原因及每个人的决策点", "Why the project exists; each decision maker's criteria"),
    (
        "C6",
        "clear",
        6,
        "付款信誉／付款习惯／资金来源及到位",
        "Payment credit and habits; funding source and availability",
    ),
    ("C7", "clear", 7, "各参与者可利用的资源及作用", "Resources each bidder can use and their effect"),
    (
        "C8",
        "clear",
        8,
        "各参与者的推进活动／SWOT（含客户眼中的SWOT）",
        "Each bidder's activities and SWOT, including as the customer sees it",
    ),
    ("C9", "clear", 9, "关键人的个人诉求（个人赢）", "Key persons' personal wins"),
    (
        "F1",
        "first",
        10,
        "最高决策者及关键人认为我们价值匹配度最高",
        "Top decision maker and key members rate our value fit highest",
    ),
    (
        "F2",
        "first",
        11,
        "关键人主动协助我们策划、实施项目获取过程",
        "Key members actively help us plan and run the capture",
    ),
    ("F3", "first", 12, "决策机构中的多数人选定我们", "A majority of the decision body selects us"),
    (
        "W1",
        "win",
        13,
        "最高决策者选定我们或主动协助我们",
        "The top decision maker selects us or actively drives our capture",
    ),
]

# (code, order, 中文, English)
EXPENSE_CATEGORIES = [
    ("travel", 1, "差旅", "Travel"),
    ("entertainment", 2, "招待", "Entertainment"),
    ("demo", 3, "演示 / 样机", "Demo / samples"),
    ("bidding", 4, "投标", "Bidding"),
    ("consultant", 5, "顾问 / 专家", "Consultant / expert"),
    ("other", 6, "其他", "Other"),
]


def load(apps) -> None:
    """Create the policy row, the C139 items and the expense categories (idempotent)."""
    apps.get_model("deals", "ControlPolicy").objects.get_or_create(pk=1)
    question = apps.get_model("deals", "C139Question")
    for code, tier, order, zh, en in C139_QUESTIONS:
        question.objects.update_or_create(
            code=code, defaults={"tier": tier, "order": order, "name_zh": zh, "name_en": en}
        )
    category = apps.get_model("deals", "ExpenseCategory")
    for code, order, zh, en in EXPENSE_CATEGORIES:
        category.objects.update_or_create(code=code, defaults={"order": order, "name_zh": zh, "name_en": en})
