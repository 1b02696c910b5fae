"""The default configuration of importance (seed 003): the nine criteria with their names, weights and
bands, and the recommended treatment of each of the five types (zh, en). Loaded by migration 0022; an
admin edits the criteria afterwards (the settings page or the API)."""

from __future__ import annotations

from kadence.domain.kam import importance as di

CRITERIA_NAMES: dict[str, tuple[str, str]] = {
    di.SALES: ("销售金额", "Sales"),
    di.PROFIT: ("销售利润", "Profit"),
    di.GROWTH: ("成长潜力", "Growth potential"),
    di.SHARE: ("客户占有", "Share of wallet"),
    di.COMPETITIVE: ("竞争策略", "Competitive importance"),
    di.MARKET: ("市场地位", "Market position"),
    di.INFLUENCE: ("行业影响", "Industry influence"),
    di.LOYALTY: ("客户忠诚", "Loyalty"),
    di.CONTINUITY: ("利益延续", "Continuity"),
}


def criteria_rows() -> list[dict]:
    return [
        {
            "code": code,
            "name_zh": CRITERIA_NAMES[code][0],
            "name_en": CRITERIA_NAMES[code][1],
            "weight": di.DEFAULT_WEIGHTS[code],
            "source": "computed" if code in di.COMPUTED else "entered",
            "bands": [str(b) for b in di.DEFAULT_BANDS.get(code, ())],
            "order": n,
        }
        for n, code in enumerate(di.CRITERIA, start=1)
    ]


TREATMENTS: dict[str, tuple[str, str]] = {
    di.PROFIT_CONTRIBUTOR: (
        "利润贡献的重要客户:企业利润的主要来源,应重点投入资源——由大客户经理专人负责,定期高层互访,"
        "保证供应与服务质量,巩固并扩大合作。",
        "The main source of our profit: put resources here — a named key-account manager, regular visits "
        "between senior managers, assured supply and service quality — and keep and widen the business.",
    ),
    di.BRAND_PROBLEM: (
        "维护品牌的问题客户:在市场或行业中有影响力,对品牌有示范作用,但利润低或问题多;应为品牌而维护,"
        "积极解决问题、控制服务成本、逐步改善盈利,不无限投入。",
        "Influential in their market or industry and a reference for our brand, but unprofitable or "
        "troublesome: keep them for the brand, solve their problems, control the cost to serve and work "
        "towards a profit — without open-ended investment.",
    ),
    di.LOYAL: (
        "忠诚购买的老客户:长期持续购买,愿意长时间使用一个品牌就等于为这个品牌投资;应维系情感关系,"
        "给予优先服务与回报,请其推荐新客户,防止竞争对手渗透。",
        "They have bought from us year after year — a customer who keeps a brand invests in it: keep the "
        "relationship, reward loyalty with priority service, ask for referrals and guard against competitors.",
    ),
    di.SMALL_GROWTH: (
        "有成长潜力的小客户:目前规模小但成长快;应识别其成长潜力,适度投入、陪伴成长,在其成长后争取更大份额。",
        "Small today but growing fast: judge their potential, invest in proportion, grow with them and win "
        "the larger share when they are big.",
    ),
    di.NEW: (
        "不断变化的新客户:新客户很不稳定,双方信任度还不高,对产品处于试探阶段,初期业务很可能没有盈利。"
        "新客户的选择必须慎重:不能为了一个还不定性的新客户大量投入资源,也不能忽视很可能成长起来的新客户。"
        "长期的关注是正确的态度。",
        "New customers are unstable: trust is still low, they are trying the product, and the first "
        "business may well not be profitable. Choose them carefully: don't pour resources into one that has "
        "not settled, nor neglect one that may grow. Long-term attention is the right attitude.",
    ),
}
