"""The demo company and the large benchmark data set, generated deterministically.

One generator serves two management commands:

- ``load_demo`` builds 华工智能装备有限公司 (Huagong Intelligent Equipment), an industrial-solutions
  vendor: four regions, eight teams, 41 users, 320 accounts with contacts, 1,600 opportunities with
  their stage history, deal teams and product lines, and ~12k activities;
- ``seed --opportunities N`` adds N opportunities (and N/20 accounts) for benchmarks, on top of
  whatever organisation exists.

With deal control on (the demo's default; the seed's up to 5,000 deals) every deal also gets the
proof its stage history implies (``DealControlGenerator``): evidence, approvals, C139 and bid
assessments, buying centre, milestones, tasks and expenses, with a visible minority of problem deals;
the open deals are then rechecked by the gate services, which derive their level and staging flag.

Everything random comes from ``random.Random`` instances seeded from the ``seed`` argument, and every
date is relative to the ``today`` argument: the same seed and day give the same data. Every
opportunity's life is simulated stage by stage (``OpportunitySimulator``), so its status, stage,
level, probability, forecast category and history rows agree with each other and with the
probability ladder. Rows are written with ids allocated here (``BulkWriter``): PostgreSQL gets them
through COPY, other databases through ``bulk_create``.
"""

from __future__ import annotations

import json
import math
import random
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from kadence.accounts.models import Account, Contact, Industry
from kadence.activities.models import Activity
from kadence.core.models import OrgUnit, User
from kadence.deals.models import (
    BidAssessment,
    BuyingCentreMember,
    C139Answer,
    C139Assessment,
    ControlPolicy,
    Evidence,
    Expense,
    ExpenseBudget,
    ExpenseCategory,
    GateApproval,
    Milestone,
    OpportunityTask,
)
from kadence.deals.selectors.assessments import bid_rules, c139_rules
from kadence.domain import bid as bid_domain
from kadence.domain import buying_centre as buying_centre_domain
from kadence.domain import c139 as c139_domain
from kadence.domain import forecast as fc
from kadence.domain.c139 import CLEAR_ITEMS, FIRST_ITEMS, ITEMS, BandRules, C139Score, parse_score
from kadence.domain.periods import Period, add_months, next_week_starts, period_containing, week_start
from kadence.pipeline.expressions import WEIGHTED
from kadence.pipeline.ladder import level_ladder
from kadence.pipeline.models import (
    Competitor,
    DealRole,
    ExitCriterion,
    ForecastCategory,
    LossReason,
    Opportunity,
    OpportunityTeamMember,
    ProbabilityLevel,
    ProcessTemplate,
    ProductLine,
    Stage,
    StageChange,
    StageTask,
)
from kadence.planning.models import ForecastSnapshot, ForecastSubmission, OrderForecast, Target
from kadence.planning.selectors.forecast import deals_behind, period_groups
from kadence.planning.services.calibration import calibration_recompute
from kadence.planning.services.forecast import forecast_snapshot_take

DEMO_PASSWORD = "kadence-demo"
COMPANY_CODE = "company"
DEMO_ACCOUNTS = 320
DEMO_OPPORTUNITIES = 1600
HISTORY_DAYS = 730  # opportunities are created over the two years before `today`

# --- the organisation ------------------------------------------------------------------------------

COMPANY = ("华工智能装备有限公司", "Huagong Intelligent Equipment Co., Ltd.")

# (code, 中文, English, director, [(team 中文, team English, manager, [reps])], inside sales)
# People are (username suffix, display name); usernames are "<role>.<suffix>".
REGIONS: list[tuple[str, str, str, str, list[tuple[str, str, str, list[str]]], str]] = [
    (
        "north",
        "华北大区",
        "North China",
        "赵建国",
        [
            ("华北一部", "North team 1", "周海涛", ["张伟", "李娜", "刘洋"]),
            ("华北二部", "North team 2", "吴敏", ["陈杰", "杨帆", "黄磊"]),
        ],
        "何静",
    ),
    (
        "east",
        "华东大区",
        "East China",
        "钱晓东",
        [
            ("华东一部", "East team 1", "郑磊", ["王芳", "徐明", "孙浩然"]),
            ("华东二部", "East team 2", "王静", ["马俊杰", "朱丽萍", "胡志强"]),
        ],
        "林雪梅",
    ),
    (
        "south",
        "华南大区",
        "South China",
        "孙丽华",
        [
            ("华南一部", "South team 1", "冯涛", ["郭建华", "罗佳怡", "梁振华"]),
            ("华南二部", "South team 2", "陈红", ["谢宇", "宋思远", "唐晓峰"]),
        ],
        "曾玉兰",
    ),
    (
        "west",
        "西部大区",
        "West China",
        "李志强",
        [
            ("西部一部", "West team 1", "褚明", ["韩鹏", "邓欣", "曹文博"]),
            ("西部二部", "West team 2", "卫东", ["彭斌", "田雨婷", "董永刚"]),
        ],
        "袁海燕",
    ),
]
ADMIN_NAME = "王建华"

# --- catalogue -------------------------------------------------------------------------------------

# (code, 中文, English, amount factor, [project names])
PRODUCT_LINES = [
    (
        "automation",
        "工业自动化",
        "Industrial automation",
        1.0,
        ["DCS控制系统改造", "PLC控制系统升级", "生产线自动化改造", "SCADA系统建设", "智能仓储自动化"],
    ),
    (
        "mes",
        "智能制造MES",
        "Smart manufacturing (MES)",
        1.3,
        ["MES系统建设", "数字化车间建设", "智能工厂一期", "生产执行系统升级", "质量追溯系统"],
    ),
    (
        "iiot",
        "工业物联网",
        "Industrial IoT",
        0.8,
        ["设备物联网平台", "工业互联网平台", "能耗在线监测系统", "设备预测性维护", "智慧园区物联网"],
    ),
    (
        "power",
        "电力设备",
        "Power equipment",
        1.4,
        ["配电自动化改造", "变电站综合自动化", "开关柜更新改造", "储能系统建设", "智能配电房改造"],
    ),
    (
        "datacenter",
        "数据中心",
        "Data centre",
        1.5,
        ["数据中心机房建设", "UPS及精密空调更新", "模块化数据中心", "机房动环监控系统", "灾备中心建设"],
    ),
    (
        "services",
        "运维服务",
        "O&M services",
        0.4,
        ["年度运维服务", "设备维保服务", "系统运维外包", "备品备件框架协议", "驻场运维服务"],
    ),
]
COMPETITORS = ["西门子", "施耐德电气", "ABB", "霍尼韦尔", "华为", "浙江中控", "和利时", "罗克韦尔"]
# Which competitors usually show up against which product line.
COMPETITORS_BY_LINE = {
    "automation": ["西门子", "ABB", "罗克韦尔", "施耐德电气", "和利时", "浙江中控"],
    "mes": ["西门子", "罗克韦尔", "浙江中控", "霍尼韦尔"],
    "iiot": ["华为", "西门子", "施耐德电气", "霍尼韦尔"],
    "power": ["ABB", "施耐德电气", "西门子"],
    "datacenter": ["华为", "施耐德电气", "ABB", "霍尼韦尔"],
    "services": ["和利时", "浙江中控", "华为"],
}
# Product lines each industry buys, with weights.
LINES_BY_INDUSTRY = {
    "government": {"datacenter": 4, "iiot": 3, "services": 3, "power": 1},
    "military": {"automation": 3, "mes": 3, "datacenter": 2, "services": 1},
    "enterprise": {"automation": 4, "mes": 4, "iiot": 3, "power": 2, "services": 2},
    "education": {"datacenter": 4, "services": 3, "automation": 1, "iiot": 1},
    "finance": {"datacenter": 5, "services": 3, "power": 1},
    "power": {"power": 5, "iiot": 3, "services": 2, "automation": 2},
    "telecom": {"datacenter": 5, "services": 3, "iiot": 2, "power": 2},
}
TEMPLATE_WEIGHTS = {"tianlong8": 75, "funnel7": 9, "standard6": 10, "lenovo5": 6}
LOSS_REASON_WEIGHTS = {
    "price": 30,
    "technical": 14,
    "spec_bias": 12,
    "relationship": 15,
    "budget": 10,
    "no_decision": 13,
    "other": 6,
}
# Reasons for which there is no winning competitor (the customer bought nothing).
NO_WINNER_REASONS = {"budget", "no_decision"}
DEAL_TEAM_ROLES = ["presales", "consultant", "executive", "inside_sales", "commercial"]
# Service-only deals the region's inside sales own rather than the account's rep (the rest they support).
SERVICE_LINES = {"services"}
INSIDE_SERVICE_SHARE = 0.5

# --- geography -------------------------------------------------------------------------------------

# region code → [(province short, province full, [(city, city pinyin)])]
GEOGRAPHY: dict[str, list[tuple[str, str, list[tuple[str, str]]]]] = {
    "north": [
        ("北京", "北京市", [("北京", "beijing")]),
        ("天津", "天津市", [("天津", "tianjin")]),
        (
            "河北",
            "河北省",
            [
                ("石家庄", "sjz"),
                ("唐山", "tangshan"),
                ("保定", "baoding"),
                ("邯郸", "handan"),
                ("廊坊", "langfang"),
                ("沧州", "cangzhou"),
            ],
        ),
        ("山西", "山西省", [("太原", "taiyuan"), ("大同", "datong"), ("长治", "changzhi")]),
        ("内蒙古", "内蒙古自治区", [("呼和浩特", "huhhot"), ("包头", "baotou"), ("鄂尔多斯", "ordos")]),
        (
            "山东",
            "山东省",
            [
                ("济南", "jinan"),
                ("青岛", "qingdao"),
                ("烟台", "yantai"),
                ("潍坊", "weifang"),
                ("淄博", "zibo"),
                ("临沂", "linyi"),
            ],
        ),
        (
            "河南",
            "河南省",
            [("郑州", "zhengzhou"), ("洛阳", "luoyang"), ("新乡", "xinxiang"), ("南阳", "nanyang")],
        ),
        ("辽宁", "辽宁省", [("沈阳", "shenyang"), ("大连", "dalian"), ("鞍山", "anshan")]),
        ("吉林", "吉林省", [("长春", "changchun"), ("吉林", "jilin")]),
        ("黑龙江", "黑龙江省", [("哈尔滨", "harbin"), ("大庆", "daqing"), ("齐齐哈尔", "qiqihar")]),
    ],
    "east": [
        ("上海", "上海市", [("上海", "shanghai")]),
        (
            "江苏",
            "江苏省",
            [
                ("南京", "nanjing"),
                ("苏州", "suzhou"),
                ("无锡", "wuxi"),
                ("常州", "changzhou"),
                ("南通", "nantong"),
                ("徐州", "xuzhou"),
                ("扬州", "yangzhou"),
            ],
        ),
        (
            "浙江",
            "浙江省",
            [
                ("杭州", "hangzhou"),
                ("宁波", "ningbo"),
                ("温州", "wenzhou"),
                ("嘉兴", "jiaxing"),
                ("绍兴", "shaoxing"),
                ("金华", "jinhua"),
                ("台州", "taizhou"),
            ],
        ),
        ("安徽", "安徽省", [("合肥", "hefei"), ("芜湖", "wuhu"), ("马鞍山", "maanshan"), ("安庆", "anqing")]),
        ("江西", "江西省", [("南昌", "nanchang"), ("九江", "jiujiang"), ("赣州", "ganzhou")]),
        ("湖北", "湖北省", [("武汉", "wuhan"), ("宜昌", "yichang"), ("襄阳", "xiangyang")]),
    ],
    "south": [
        (
            "广东",
            "广东省",
            [
                ("广州", "guangzhou"),
                ("深圳", "shenzhen"),
                ("佛山", "foshan"),
                ("东莞", "dongguan"),
                ("珠海", "zhuhai"),
                ("中山", "zhongshan"),
                ("惠州", "huizhou"),
                ("汕头", "shantou"),
            ],
        ),
        ("广西", "广西壮族自治区", [("南宁", "nanning"), ("柳州", "liuzhou"), ("桂林", "guilin")]),
        ("海南", "海南省", [("海口", "haikou"), ("三亚", "sanya")]),
        (
            "福建",
            "福建省",
            [("福州", "fuzhou"), ("厦门", "xiamen"), ("泉州", "quanzhou"), ("漳州", "zhangzhou")],
        ),
        (
            "湖南",
            "湖南省",
            [("长沙", "changsha"), ("株洲", "zhuzhou"), ("湘潭", "xiangtan"), ("岳阳", "yueyang")],
        ),
    ],
    "west": [
        (
            "四川",
            "四川省",
            [("成都", "chengdu"), ("绵阳", "mianyang"), ("德阳", "deyang"), ("宜宾", "yibin")],
        ),
        ("重庆", "重庆市", [("重庆", "chongqing")]),
        ("陕西", "陕西省", [("西安", "xian"), ("宝鸡", "baoji"), ("咸阳", "xianyang")]),
        ("云南", "云南省", [("昆明", "kunming"), ("曲靖", "qujing"), ("玉溪", "yuxi")]),
        ("贵州", "贵州省", [("贵阳", "guiyang"), ("遵义", "zunyi")]),
        ("甘肃", "甘肃省", [("兰州", "lanzhou"), ("天水", "tianshui")]),
        ("新疆", "新疆维吾尔自治区", [("乌鲁木齐", "urumqi"), ("克拉玛依", "karamay")]),
        ("宁夏", "宁夏回族自治区", [("银川", "yinchuan")]),
        ("青海", "青海省", [("西宁", "xining")]),
    ],
}
REGION_WEIGHTS = {"north": 28, "east": 30, "south": 24, "west": 18}
# Provinces served by China Southern Power Grid rather than State Grid.
SOUTHERN_GRID = {"广东", "广西", "海南", "云南", "贵州"}
ROADS = [
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "长江路",
    "黄河路",
    "新华路",
    "和平路",
    "科技路",
    "创业大道",
    "工业大道",
    "学府路",
    "滨江大道",
    "朝阳路",
    "胜利路",
    "迎宾大道",
    "世纪大道",
    "高新路",
    "光明路",
    "振兴路",
]

# --- organisation names by industry ----------------------------------------------------------------

GOV_CITY = [
    "政务服务中心",
    "大数据管理局",
    "公安局",
    "交通运输局",
    "应急管理局",
    "生态环境局",
    "水务局",
    "住房和城乡建设局",
    "自然资源和规划局",
    "市场监督管理局",
    "城市管理局",
    "卫生健康委员会",
    "工业和信息化局",
    "经济技术开发区管委会",
    "高新技术产业开发区管委会",
    "行政审批局",
    "气象局",
    "人民检察院",
    "中级人民法院",
    "财政局",
]
GOV_PROVINCE = ["发展和改革委员会", "应急管理厅", "水利厅", "交通运输厅", "大数据中心", "生态环境厅"]
MIL_GROUPS = [
    "中国电子科技集团",
    "中国船舶集团",
    "中国航天科工集团",
    "中国航天科技集团",
    "中国兵器工业集团",
    "中国航空工业集团",
    "中国核工业集团",
]
MIL_CITY = [
    "航天精密机械厂",
    "航空装备有限公司",
    "兵器装备研究院",
    "船舶重工有限公司",
    "电子装备试验中心",
    "特种车辆有限公司",
    "光电技术研究所",
]
BRANDS = [
    "华晟",
    "中孚",
    "东方",
    "鼎盛",
    "恒通",
    "永盛",
    "瑞丰",
    "天成",
    "宏远",
    "金泰",
    "亿达",
    "长城",
    "振华",
    "华星",
    "中达",
    "利源",
    "凯盛",
    "博远",
    "安捷",
    "盛世",
    "嘉禾",
    "金鹰",
    "新世纪",
    "万邦",
    "远航",
    "正大",
    "海川",
    "龙腾",
    "国泰",
    "信达",
    "恒丰",
    "富华",
    "天元",
    "中科",
    "华信",
    "汇通",
    "联创",
    "宝成",
    "德润",
    "晨光",
]
TRADES = [
    "钢铁",
    "化工",
    "汽车零部件",
    "制药",
    "水泥",
    "造纸",
    "纺织",
    "电子",
    "机械",
    "食品",
    "新能源",
    "光伏",
    "锂电",
    "精密制造",
    "石化",
    "物流",
    "水务",
    "燃气",
    "建材",
    "半导体",
    "家电",
    "轨道交通",
    "冶金",
    "环保",
]
COMPANY_TYPES = ["股份有限公司", "有限公司", "集团有限公司"]
EDU_CITY = [
    "理工大学",
    "职业技术学院",
    "科技大学",
    "医科大学",
    "工业职业技术学院",
    "学院",
    "师范学院",
    "信息工程学院",
    "外国语学校",
    "实验中学",
]
EDU_PROVINCE = ["大学", "师范大学", "工业大学", "农业大学", "财经大学", "交通职业技术学院"]
BANKS = [
    "中国工商银行",
    "中国建设银行",
    "中国农业银行",
    "中国银行",
    "交通银行",
    "招商银行",
    "浦发银行",
    "中信银行",
    "兴业银行",
    "民生银行",
    "光大银行",
    "平安银行",
    "华夏银行",
    "中国邮政储蓄银行",
    "广发银行",
]
INSURERS = ["中国人寿保险", "中国平安保险", "中国太平洋保险", "中国人民财产保险", "新华人寿保险"]
SECURITIES = ["中信证券", "华泰证券", "国泰君安证券", "海通证券", "招商证券"]
POWER_GENCOS = ["华能", "大唐", "华电", "国家电投", "国家能源集团"]
POWER_PLANTS = ["发电有限公司", "热电有限公司", "电厂", "新能源有限公司", "风电场"]
OPERATORS = ["中国移动", "中国联通", "中国电信"]

# --- people ------------------------------------------------------------------------------------------

SURNAMES = [
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("林", "lin"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("袁", "yuan"),
    ("潘", "pan"),
    ("蒋", "jiang"),
    ("蔡", "cai"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("苏", "su"),
    ("魏", "wei"),
    ("丁", "ding"),
    ("任", "ren"),
    ("沈", "shen"),
]
GIVEN_NAMES = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("建华", "jianhua"),
    ("志强", "zhiqiang"),
    ("海燕", "haiyan"),
    ("晓东", "xiaodong"),
    ("红梅", "hongmei"),
    ("建国", "jianguo"),
    ("文博", "wenbo"),
    ("子涵", "zihan"),
    ("浩然", "haoran"),
    ("雨婷", "yuting"),
    ("思远", "siyuan"),
    ("俊杰", "junjie"),
    ("佳怡", "jiayi"),
    ("国庆", "guoqing"),
    ("立新", "lixin"),
    ("春生", "chunsheng"),
    ("玉兰", "yulan"),
    ("宏伟", "hongwei"),
    ("晓峰", "xiaofeng"),
    ("雪梅", "xuemei"),
    ("振华", "zhenhua"),
    ("永刚", "yonggang"),
    ("丽萍", "liping"),
    ("建军", "jianjun"),
    ("鹏", "peng"),
    ("斌", "bin"),
    ("宇", "yu"),
    ("欣", "xin"),
]

# Titles by industry: (title, buying roles, influence). The first one is the top of the organisation.
TITLES: dict[str, list[tuple[str, list[str], str]]] = {
    "government": [
        ("局长", ["economic", "decision_maker"], "high"),
        ("副局长", ["decision_maker"], "high"),
        ("信息中心主任", ["technical", "influencer"], "high"),
        ("办公室主任", ["influencer"], "medium"),
        ("科技处处长", ["technical"], "medium"),
        ("财务处处长", ["economic"], "medium"),
        ("采购中心主任", ["purchaser"], "medium"),
        ("信息科科长", ["technical", "user_buyer"], "medium"),
        ("科员", ["user"], "low"),
    ],
    "military": [
        ("所长", ["economic", "decision_maker"], "high"),
        ("副所长", ["decision_maker"], "high"),
        ("总工程师", ["technical", "decision_maker"], "high"),
        ("科研处处长", ["user_buyer"], "medium"),
        ("保障处处长", ["implementer"], "medium"),
        ("物资采购部部长", ["purchaser"], "medium"),
        ("信息化办公室主任", ["technical"], "medium"),
        ("工程师", ["user"], "low"),
    ],
    "enterprise": [
        ("总经理", ["economic", "decision_maker"], "high"),
        ("副总经理", ["decision_maker"], "high"),
        ("生产总监", ["user_buyer", "influencer"], "high"),
        ("设备部经理", ["technical", "user_buyer"], "medium"),
        ("信息部经理", ["technical"], "medium"),
        ("采购经理", ["purchaser"], "medium"),
        ("财务总监", ["economic"], "medium"),
        ("车间主任", ["user", "implementer"], "low"),
        ("工艺工程师", ["user"], "low"),
    ],
    "education": [
        ("校长", ["economic", "decision_maker"], "high"),
        ("副校长", ["decision_maker"], "high"),
        ("信息化办公室主任", ["technical", "influencer"], "high"),
        ("网络中心主任", ["technical", "user_buyer"], "medium"),
        ("资产处处长", ["economic"], "medium"),
        ("招标办主任", ["purchaser"], "medium"),
        ("实验室主任", ["user"], "low"),
        ("教授", ["advisor"], "medium"),
    ],
    "finance": [
        ("行长", ["economic", "decision_maker"], "high"),
        ("副行长", ["decision_maker"], "high"),
        ("科技部总经理", ["technical", "influencer"], "high"),
        ("运营部经理", ["user_buyer"], "medium"),
        ("办公室主任", ["influencer"], "medium"),
        ("采购部经理", ["purchaser"], "medium"),
        ("机房主管", ["user", "implementer"], "low"),
    ],
    "power": [
        ("总经理", ["economic", "decision_maker"], "high"),
        ("副总经理", ["decision_maker"], "high"),
        ("总工程师", ["technical", "decision_maker"], "high"),
        ("运检部主任", ["user_buyer", "technical"], "medium"),
        ("调控中心主任", ["user_buyer"], "medium"),
        ("物资部主任", ["purchaser"], "medium"),
        ("信通公司经理", ["technical"], "medium"),
        ("变电运维班长", ["user", "implementer"], "low"),
    ],
    "telecom": [
        ("总经理", ["economic", "decision_maker"], "high"),
        ("副总经理", ["decision_maker"], "high"),
        ("网络部总经理", ["technical", "user_buyer"], "high"),
        ("云计算中心主任", ["user_buyer"], "medium"),
        ("采购部经理", ["purchaser"], "medium"),
        ("工程建设部经理", ["implementer"], "medium"),
        ("动力环境主管", ["user"], "low"),
    ],
}
AMBITIONS = [
    "希望年内推动数字化转型项目落地",
    "争取明年升任分管副职",
    "想做出行业标杆项目",
    "关注降本增效，完成年度考核指标",
    "希望通过项目提升部门影响力",
    "计划申报省级示范项目",
    "希望系统稳定运行，少出故障",
]
CHARACTERS = [
    "务实稳重，重视数据",
    "性格直爽，决策快",
    "谨慎细致，讲究流程",
    "善于沟通，喜欢听取多方意见",
    "技术出身，关注细节",
    "强势果断，重视结果",
    "为人低调，不轻易表态",
]
PREFERENCES = [
    "喜欢喝茶，爱好书法",
    "周末打羽毛球",
    "喜欢钓鱼",
    "关注行业论坛和技术峰会",
    "偏好面对面沟通，不喜欢长邮件",
    "爱好摄影和徒步",
    "喜欢看足球",
]
STRENGTHS = [
    "对行业政策很熟悉",
    "在集团内部人脉广",
    "技术功底扎实",
    "预算审批经验丰富",
    "擅长项目管理",
    "与上级领导关系密切",
    "熟悉招投标流程",
]
ACCOUNT_NOTES = [
    "重点客户，年度预算充足。",
    "新开发客户，需持续跟进。",
    "历史合作良好，客户满意度高。",
    "竞争对手长期占据份额，需寻找突破口。",
    "集团统一采购，需关注总部决策。",
    "",
    "",
]
OPP_DESCRIPTIONS = [
    "客户计划在年内完成项目建设，预算已初步落实。",
    "项目源自客户年度技改计划。",
    "客户现有系统老化，故障频发，需要更新换代。",
    "响应上级单位数字化转型要求。",
    "配合新厂区（新大楼）建设同步实施。",
    "客户希望提升运行效率并降低能耗。",
]
OPP_NEXT_STEPS = [
    "安排技术交流会",
    "提交初步方案",
    "邀请客户参观样板工程",
    "约见分管领导",
    "准备投标文件",
    "跟进商务条款",
    "确认合同文本",
    "组织方案评审会",
]
MOVE_BACK_REASONS = [
    "客户重新评估需求",
    "客户预算调整，方案需重新论证",
    "招标延期，回到方案阶段",
    "客户决策层变动",
]

# Activity texts by phase of the deal: early (need, budget), middle (solution), late (commercial).
TOPICS = [
    ["项目需求", "现有系统状况", "预算安排", "项目时间表", "组织架构"],
    ["技术方案", "采购标准", "技术参数", "实施计划", "方案评审意见"],
    ["商务条款", "合同细节", "付款方式", "交付计划", "最终报价"],
]
OUTCOMES = [
    [
        "客户确认了初步需求，约定下周提供方案。",
        "了解到客户现有系统运行多年，故障较多。",
        "客户表示预算在申请中。",
        "客户有兴趣，但需要内部讨论。",
        "认识了信息中心负责人，获得组织架构信息。",
    ],
    [
        "客户对方案基本认可，需补充技术细节。",
        "技术交流顺利，客户认可我们的差异化优势。",
        "客户提出若干参数修改意见。",
        "竞争对手也在接触客户，需加快进度。",
        "演示效果良好，客户要求提供案例参观。",
    ],
    [
        "双方就主要商务条款达成一致。",
        "客户要求进一步降价，需内部审批。",
        "合同文本已提交客户法务审核。",
        "客户确认我们为首选供应商。",
        "付款方式仍有分歧，约定下次再谈。",
    ],
]
NEXT_STEPS = [
    ["提交初步方案", "安排第二次拜访", "约见分管领导", "发送公司介绍和案例"],
    ["安排技术交流会", "修改技术方案", "组织样板工程参观", "准备投标文件"],
    ["申请价格审批", "确认合同文本", "安排高层会面", "准备签约仪式"],
]
DOCS = ["初步方案", "技术白皮书", "报价单", "合同草稿", "案例资料", "公司介绍"]
KIND_WEIGHTS = [  # visit, call_out, call_in, meeting, demo, email — by phase
    [("visit", 40), ("call_out", 30), ("call_in", 5), ("meeting", 5), ("demo", 0), ("email", 20)],
    [("visit", 30), ("call_out", 10), ("call_in", 5), ("meeting", 25), ("demo", 20), ("email", 10)],
    [("visit", 30), ("call_out", 15), ("call_in", 5), ("meeting", 35), ("demo", 0), ("email", 15)],
]

# --- columns written for each table (ids included; through models are resolved at run time) ------------

ACCOUNT_FIELDS = [
    "id",
    "name",
    "industry_id",
    "region_id",
    "address",
    "size",
    "status",
    "buying_power",
    "currency",
    "owner_id",
    "team_id",
    "notes",
    "version",
    "created_at",
    "updated_at",
]
CONTACT_FIELDS = [
    "id",
    "account_id",
    "name",
    "title",
    "phone",
    "email",
    "ambitions",
    "character",
    "preferences",
    "strengths",
    "buying_roles",
    "attitude",
    "influence",
    "notes",
    "version",
    "created_at",
    "updated_at",
]
OPPORTUNITY_FIELDS = [
    "id",
    "name",
    "account_id",
    "owner_id",
    "team_id",
    "template_id",
    "stage_id",
    "level_id",
    "probability",
    "amount",
    "currency",
    "expected_close_date",
    "forecast_category",
    "status",
    "loss_reason_id",
    "winning_competitor_id",
    "closed_on",
    "description",
    "next_step",
    "stage_entered_at",
    "created_at",
    "updated_at",
    "version",
    "c139_result",
    "staging_flag",
]
STAGE_CHANGE_FIELDS = [
    "id",
    "opportunity_id",
    "kind",
    "from_stage_id",
    "to_stage_id",
    "from_stage_name",
    "to_stage_name",
    "from_level_id",
    "to_level_id",
    "probability",
    "amount",
    "currency",
    "expected_close_date",
    "status",
    "days_in_from_stage",
    "changed_by_id",
    "changed_at",
    "reason",
    "overridden",
    "from_stage_name_en",
    "to_stage_name_en",
    "overridden_criteria",
]
# Columns the generators leave at their default: appended to rows that stop short of them.
TRAILING_DEFAULTS: dict[type[Model], tuple] = {}
TEAM_MEMBER_FIELDS = ["id", "opportunity_id", "user_id", "role_id", "added_at"]
ACTIVITY_FIELDS = [
    "id",
    "kind",
    "subject",
    "date",
    "done",
    "account_id",
    "opportunity_id",
    "owner_id",
    "team_id",
    "is_effective",
    "outcome",
    "next_step",
    "next_step_date",
    "version",
    "created_at",
    "updated_at",
]

OppProductLine = Opportunity.product_lines.through
OppCompetitor = Opportunity.competitors.through
ActivityContact = Activity.contacts.through

TABLE_FIELDS: dict[type[Model], list[str]] = {
    Account: ACCOUNT_FIELDS,
    Contact: CONTACT_FIELDS,
    Opportunity: OPPORTUNITY_FIELDS,
    StageChange: STAGE_CHANGE_FIELDS,
    OpportunityTeamMember: TEAM_MEMBER_FIELDS,
    OppProductLine: ["id", "opportunity_id", "productline_id"],
    OppCompetitor: ["id", "opportunity_id", "competitor_id"],
    Activity: ACTIVITY_FIELDS,
    ActivityContact: ["id", "activity_id", "contact_id"],
}

TRAILING_DEFAULTS.update({Opportunity: ("", ""), StageChange: ([],)})
BASE_TABLES: list[type[Model]] = list(TABLE_FIELDS)

# Deal control (evidence, approvals, assessments, buying centre, milestones, tasks, expenses): written
# only when the generators are asked for it (`deal_control`).
TABLE_FIELDS.update(
    {
        Evidence: [
            "id",
            "opportunity_id",
            "criterion_id",
            "evidence_type",
            "stage_id",
            "kind",
            "title",
            "file",
            "file_name",
            "content_type",
            "size",
            "url",
            "note",
            "added_by_id",
            "added_at",
            "removed_at",
            "removed_by_id",
            "removed_reason",
        ],
        GateApproval: [
            "id",
            "opportunity_id",
            "criterion_id",
            "approved_by_id",
            "approved_at",
            "note",
            "revoked_at",
            "revoked_by_id",
        ],
        C139Assessment: [
            "id",
            "opportunity_id",
            "assessed_by_id",
            "assessed_at",
            "clear",
            "first",
            "win",
            "win_against",
            "result",
            "meets_rule",
            "band",
            "band_low",
            "band_high",
            "note",
        ],
        C139Answer: ["id", "assessment_id", "item", "status", "confirmed_with_id", "confirmed_on", "note"],
        BidAssessment: [
            "id",
            "opportunity_id",
            "assessed_by_id",
            "assessed_at",
            "buyer_type",
            "real_opportunity",
            "can_compete",
            "can_win",
            "worth_winning",
            "meets_minimum_spec",
            "close_relationship",
            "genuine_competition",
            "spec_biased",
            "relationship_vague",
            "competitor_advantage",
            "score",
            "suggested_outcome",
            "outcome",
            "qualify_by",
            "note",
        ],
        BuyingCentreMember: [
            "id",
            "opportunity_id",
            "contact_id",
            "roles",
            "attitude",
            "influence",
            "is_key",
            "last_contact_on",
            "note",
            "added_by_id",
            "added_at",
            "updated_at",
            "version",
        ],
        Milestone: [
            "id",
            "opportunity_id",
            "stage_id",
            "planned_on",
            "actual_on",
            "competition_note",
            "note",
            "updated_by_id",
            "updated_at",
            "version",
        ],
        OpportunityTask: [
            "id",
            "opportunity_id",
            "stage_id",
            "stage_task_id",
            "code",
            "name_zh",
            "name_en",
            "standard_zh",
            "standard_en",
            "role_id",
            "assignee_id",
            "due_on",
            "done_at",
            "done_by_id",
            "completion_note",
            "created_at",
            "version",
        ],
        ExpenseBudget: ["id", "opportunity_id", "category_id", "amount", "updated_by_id", "updated_at"],
        Expense: [
            "id",
            "opportunity_id",
            "category_id",
            "amount",
            "spent_on",
            "description",
            "logged_by_id",
            "logged_at",
        ],
    }
)
CONTROL_TABLES: list[type[Model]] = [m for m in TABLE_FIELDS if m not in BASE_TABLES]

CURRENCY = "CNY"
OPEN, WON, LOST = Opportunity.Status.OPEN.value, Opportunity.Status.WON.value, Opportunity.Status.LOST.value
BOOKED, OMITTED = ForecastCategory.BOOKED.value, ForecastCategory.OMITTED.value


def demo_logins() -> list[tuple[str, str, str]]:
    """The demo users as (username, role, display name), in the order a login page would list them.
    All share the password DEMO_PASSWORD."""
    rows = [("admin", User.Role.ADMIN.value, ADMIN_NAME)]
    for code, _zh, _en, director, teams, inside in REGIONS:
        rows.append((f"director.{code}", User.Role.DIRECTOR.value, director))
        for number, (_tzh, _ten, manager, reps) in enumerate(teams, start=1):
            rows.append((f"manager.{code}{number}", User.Role.MANAGER.value, manager))
            for letter, rep in zip("abcdefgh", reps, strict=False):
                rows.append((f"rep.{code}{number}{letter}", User.Role.REP.value, rep))
        rows.append((f"inside.{code}", User.Role.INSIDE.value, inside))
    return rows


def login_lines() -> list[str]:
    """How `load_demo` and `demo` print the demo logins."""
    return [
        "",
        f"Demo logins (password for all: {DEMO_PASSWORD}):",
        *(f"  {username:<20} {role:<10} {name}" for username, role, name in demo_logins()),
        "",
    ]


# --- plain data the generators work on ------------------------------------------------------------------


@dataclass(frozen=True)
class StageSpec:
    """One stage of a template as the simulation needs it. `drop` is the chance of losing the deal
    while in this stage (higher early in the process)."""

    id: int
    order: int
    name_zh: str
    name_en: str
    level_id: int
    probability: Decimal
    category: str
    days: int
    drop: float


@dataclass(frozen=True)
class TemplateSpec:
    """A process template: its open stages in order and its closing (won) stage, if it has one."""

    id: int
    code: str
    weight: float
    open_stages: tuple[StageSpec, ...]
    won_stage: StageSpec | None

    @property
    def total_days(self) -> int:
        return sum(stage.days for stage in self.open_stages)

    @property
    def remaining_days(self) -> list[int]:
        """Standard days from the start of each open stage to the close (one more entry: 0)."""
        return _cumulative(s.days for s in reversed(self.open_stages))[::-1] + [0]


@dataclass(frozen=True)
class Seller:
    """A user who can own accounts and opportunities (or join deal teams)."""

    id: int
    role: str
    team_id: int
    region_id: int


@dataclass(frozen=True)
class AccountRef:
    """What an opportunity needs to know of its account. `contacts` are (id, name, title)."""

    id: int
    name: str
    industry: str
    size: str
    owner_id: int
    region_id: int
    contacts: tuple[tuple[int, str, str], ...] = ()


@dataclass(frozen=True)
class Catalog:
    """The configuration rows the generators draw from, as plain ids and names."""

    templates: tuple[TemplateSpec, ...]
    won_level: tuple[int, Decimal]
    lost_level: tuple[int, Decimal]
    loss_reasons: tuple[tuple[int, str, str, int], ...]  # (id, code, name_zh, weight)
    product_lines: tuple[tuple[int, str], ...]  # (id, code)
    competitors: tuple[tuple[int, str], ...]  # (id, name)
    deal_roles: dict[str, int] = field(default_factory=dict)
    industries: dict[str, int] = field(default_factory=dict)


@dataclass
class Org:
    """The people of the organisation, grouped the ways the generators need."""

    reps: list[Seller]
    managers_by_team: dict[int, list[Seller]]
    inside_by_region: dict[int, list[Seller]]
    reps_by_team: dict[int, list[Seller]] = field(default_factory=dict)
    reps_by_region: dict[int, list[Seller]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for seller in self.reps:
            self.reps_by_team.setdefault(seller.team_id, []).append(seller)
            self.reps_by_region.setdefault(seller.region_id, []).append(seller)


def stream(seed: int, purpose: str) -> random.Random:
    """An independent random stream per purpose, so that e.g. adding activities does not change the
    opportunities. String seeds are hashed with SHA-512 by `random`, hence stable across runs."""
    return random.Random(f"kadence:{seed}:{purpose}")


def drop_chance(index: int, n_open: int) -> float:
    """Chance of losing a deal while in open stage `index` of `n_open`: 22% in the first stage falling
    linearly to 8% in the last, which wins about 30% of the deals of an eight-stage process."""
    if n_open <= 1:
        return 0.2
    return 0.22 - 0.14 * index / (n_open - 1)


# --- reading the database into plain data ---------------------------------------------------------------


def _stage_spec(stage, level: ProbabilityLevel, drop: float) -> StageSpec:
    return StageSpec(
        stage.id,
        stage.order,
        stage.name_zh,
        stage.name_en,
        level.id,
        level.probability,
        level.default_forecast_category,
        max(1, stage.standard_days),
        drop,
    )


def load_catalog() -> Catalog:
    """The methodology and catalogue rows of the current database as a Catalog."""
    levels = {lv.id: lv for lv in ProbabilityLevel.objects.all()}
    won = next((lv for lv in levels.values() if lv.is_won), None)
    lost = next((lv for lv in levels.values() if lv.is_lost), None)
    if won is None or lost is None:
        raise RuntimeError("The probability ladder needs a won and a lost level (run migrate).")
    templates = []
    default = ProcessTemplate.objects.filter(is_default=True, is_active=True).first()
    for tpl in ProcessTemplate.objects.filter(is_active=True).prefetch_related("stages").order_by("id"):
        weight = TEMPLATE_WEIGHTS.get(tpl.code, 0)
        if default is not None and tpl.pk == default.pk:
            weight = max(weight, TEMPLATE_WEIGHTS["tianlong8"])
        stages = sorted(tpl.stages.all(), key=lambda s: s.order)
        open_rows = [s for s in stages if not s.is_won]
        won_row = next((s for s in stages if s.is_won), None)
        if weight <= 0 or not open_rows:
            continue
        n_open = len(open_rows)
        specs = tuple(
            _stage_spec(s, levels[s.default_level_id], drop_chance(i, n_open))
            for i, s in enumerate(open_rows)
        )
        won_spec = _stage_spec(won_row, levels[won_row.default_level_id], 0.0) if won_row else None
        templates.append(TemplateSpec(tpl.id, tpl.code, weight, specs, won_spec))
    if not templates:
        raise RuntimeError("No active process template with stages (run migrate).")
    reasons = tuple(
        (r.id, r.code, r.name_zh, LOSS_REASON_WEIGHTS.get(r.code, 5))
        for r in LossReason.objects.order_by("order", "id")
    )
    return Catalog(
        templates=tuple(templates),
        won_level=(won.id, won.probability),
        lost_level=(lost.id, lost.probability),
        loss_reasons=reasons,
        product_lines=tuple(ProductLine.objects.order_by("id").values_list("id", "code")),
        competitors=tuple(Competitor.objects.order_by("id").values_list("id", "name")),
        deal_roles=dict(DealRole.objects.values_list("code", "id")),
        industries=dict(Industry.objects.values_list("code", "id")),
    )


def load_org() -> Org:
    """The active sellers, managers and inside-sales users of the current database, with their team
    and region (a user placed directly in a region counts for that region)."""
    units = {u.id: u for u in OrgUnit.objects.all()}

    def region_of(unit_id: int) -> int | None:
        node = units.get(unit_id)
        while node is not None and node.kind != OrgUnit.Kind.REGION:
            node = units.get(node.parent_id) if node.parent_id else None
        return node.id if node else None

    reps, managers, inside = [], defaultdict(list), defaultdict(list)
    users = User.objects.filter(is_active=True, org_unit__isnull=False).order_by("id")
    for user in users.values("id", "role", "org_unit_id"):
        region = region_of(user["org_unit_id"])
        if region is None:
            continue
        seller = Seller(user["id"], user["role"], user["org_unit_id"], region)
        if user["role"] == User.Role.REP and units[user["org_unit_id"]].kind == OrgUnit.Kind.TEAM:
            reps.append(seller)
        elif user["role"] == User.Role.MANAGER:
            managers[user["org_unit_id"]].append(seller)
        elif user["role"] == User.Role.INSIDE:
            inside[region].append(seller)
    return Org(reps, dict(managers), dict(inside))


# --- creating the organisation and the catalogue ------------------------------------------------------


def create_org(stdout: Callable[[str], Any] | None = None) -> None:
    """Create the demo org tree (company → regions → teams, paths set) and its 41 users, all with the
    password DEMO_PASSWORD. A username that already exists is left as it is."""
    company = OrgUnit.objects.create(
        kind=OrgUnit.Kind.COMPANY, code=COMPANY_CODE, name_zh=COMPANY[0], name_en=COMPANY[1]
    )
    company.path = f"/{company.pk}/"
    company.save(update_fields=["path"])
    password = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: do it once for everybody
    existing = set(User.objects.values_list("username", flat=True))
    skipped: list[str] = []

    def user(username: str, role: str, name: str, unit: OrgUnit, manages: OrgUnit | None = None) -> None:
        if username in existing:
            skipped.append(username)
            return
        admin = role == User.Role.ADMIN
        row = User.objects.create(
            username=username,
            password=password,
            role=role,
            display_name=name,
            org_unit=unit,
            is_staff=admin,
            is_superuser=admin,
            email=f"{username}@huagong-demo.cn",
        )
        if manages is not None:
            row.managed_units.add(manages)

    user("admin", User.Role.ADMIN, ADMIN_NAME, company)
    for code, zh, en, director, teams, inside in REGIONS:
        region = OrgUnit.objects.create(
            kind=OrgUnit.Kind.REGION, code=code, name_zh=zh, name_en=en, parent=company
        )
        region.path = f"{company.path}{region.pk}/"
        region.save(update_fields=["path"])
        user(f"director.{code}", User.Role.DIRECTOR, director, region, region)
        first_team = None
        for number, (tzh, ten, manager, reps) in enumerate(teams, start=1):
            team = OrgUnit.objects.create(
                kind=OrgUnit.Kind.TEAM, code=f"{code}-{number}", name_zh=tzh, name_en=ten, parent=region
            )
            team.path = f"{region.path}{team.pk}/"
            team.save(update_fields=["path"])
            first_team = first_team or team
            user(f"manager.{code}{number}", User.Role.MANAGER, manager, team, team)
            for letter, rep in zip("abcdefgh", reps, strict=False):
                user(f"rep.{code}{number}{letter}", User.Role.REP, rep, team)
        user(f"inside.{code}", User.Role.INSIDE, inside, first_team)
    if skipped and stdout:
        stdout(f"Users already present, left unchanged: {', '.join(skipped)}")


def create_catalog() -> None:
    """Create the demo product lines and competitors that are missing (by code / name)."""
    for code, zh, en, _factor, _projects in PRODUCT_LINES:
        ProductLine.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en})
    for name in COMPETITORS:
        Competitor.objects.get_or_create(name=name)


# --- accounts and contacts ------------------------------------------------------------------------------


class ContactDraft(NamedTuple):
    """A contact before it has ids (see CONTACT_FIELDS for the meaning of the values)."""

    name: str
    title: str
    phone: str
    email: str
    ambitions: str
    character: str
    preferences: str
    strengths: str
    buying_roles: list[str]
    attitude: str
    influence: str


class AccountDraft(NamedTuple):
    """An account before it has ids, with its contacts."""

    name: str
    industry: str
    region_id: int
    address: str
    size: str
    status: str
    buying_power: Decimal
    owner_id: int
    team_id: int
    notes: str
    created_days: float  # days before today
    contacts: tuple[ContactDraft, ...]


INDUSTRY_WEIGHTS = {
    "government": 20,
    "military": 6,
    "enterprise": 30,
    "education": 10,
    "finance": 10,
    "power": 14,
    "telecom": 10,
}
SIZE_WEIGHTS = {
    "government": {"medium": 5, "large": 4, "huge": 1, "small": 1},
    "military": {"medium": 3, "large": 5, "huge": 2},
    "enterprise": {"small": 3, "medium": 5, "large": 3, "huge": 1},
    "education": {"medium": 4, "large": 5, "huge": 1},
    "finance": {"medium": 4, "large": 4, "huge": 2},
    "power": {"medium": 3, "large": 5, "huge": 2},
    "telecom": {"large": 5, "huge": 3, "medium": 2},
}
SIZE_BP_FACTOR = {"small": 0.3, "medium": 1.0, "large": 2.5, "huge": 6.0}


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _organisation_name(rng: random.Random, industry: str, province: tuple[str, str, list], city: str) -> str:
    """A plausible Chinese organisation name for an industry in a city."""
    short, full, _cities = province
    c = city + "市"
    choice = rng.random()
    if industry == "government":
        if choice < 0.8:
            return c + rng.choice(GOV_CITY)
        return full + rng.choice(GOV_PROVINCE)
    if industry == "military":
        if choice < 0.5:
            return f"{rng.choice(MIL_GROUPS)}第{rng.randint(1, 99)}研究所"
        return city + rng.choice(MIL_CITY)
    if industry == "enterprise":
        return f"{city}{rng.choice(BRANDS)}{rng.choice(TRADES)}{rng.choice(COMPANY_TYPES)}"
    if industry == "education":
        if choice < 0.6:
            return city + rng.choice(EDU_CITY)
        if choice < 0.8:
            return short + rng.choice(EDU_PROVINCE)
        return f"{c}第{rng.randint(1, 30)}中学"
    if industry == "finance":
        if choice < 0.55:
            return f"{rng.choice(BANKS)}{city}分行"
        if choice < 0.7:
            return f"{rng.choice(BANKS)}{full}分行"
        if choice < 0.8:
            return f"{city}农村商业银行"
        if choice < 0.92:
            return f"{rng.choice(INSURERS)}{city}分公司"
        return f"{rng.choice(SECURITIES)}{city}{rng.choice(ROADS)}营业部"
    if industry == "power":
        if choice < 0.55:
            if short in SOUTHERN_GRID:
                return f"{short}电网有限责任公司{city}供电局"
            return f"{full}电力公司{city}供电分公司"
        return f"{rng.choice(POWER_GENCOS)}{city}{rng.choice(POWER_PLANTS)}"
    # telecom
    if choice < 0.3:
        return f"{rng.choice(OPERATORS)}{short}分公司"
    if choice < 0.85:
        return f"{rng.choice(OPERATORS)}{city}分公司"
    if choice < 0.93:
        return f"中国铁塔{city}分公司"
    return f"{city}广电网络有限公司"


def _person(rng: random.Random) -> tuple[str, str]:
    surname, s_py = rng.choice(SURNAMES)
    given, g_py = rng.choice(GIVEN_NAMES)
    return surname + given, f"{g_py}.{s_py}"


def _contacts(rng: random.Random, industry: str, domain: str) -> tuple[ContactDraft, ...]:
    titles = TITLES[industry]
    count = rng.randint(2, 6)
    chosen = [titles[0], *rng.sample(titles[1:], min(count - 1, len(titles) - 1))]
    rows = []
    for title, roles, influence in chosen:
        name, login = _person(rng)
        attitude = rng.choices(["support", "neutral", "oppose"], weights=[40, 45, 15])[0]
        roles = list(roles)
        if attitude == "support" and rng.random() < 0.3:
            roles.append("coach")
        profiled = rng.random() < 0.55
        rows.append(
            ContactDraft(
                name=name,
                title=title,
                phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                email=f"{login}@{domain}" if rng.random() < 0.8 else "",
                ambitions=rng.choice(AMBITIONS) if profiled else "",
                character=rng.choice(CHARACTERS) if profiled else "",
                preferences=rng.choice(PREFERENCES) if profiled and rng.random() < 0.7 else "",
                strengths=rng.choice(STRENGTHS) if profiled and rng.random() < 0.7 else "",
                buying_roles=roles,
                attitude=attitude,
                influence=influence,
            )
        )
    return tuple(rows)


def generate_accounts(
    rng: random.Random, count: int, org: Org, region_codes: dict[int, str]
) -> list[AccountDraft]:
    """`count` accounts with unique names spread over the regions that have reps (weighted), each owned by
    a rep of its region; the first seven cover every industry. `region_codes` maps region ids to codes
    ("north"…) to pick the geography; an unknown region gets cities from anywhere."""
    regions = sorted(org.reps_by_region)
    region_weights = [REGION_WEIGHTS.get(region_codes.get(r, ""), 20) for r in regions]
    industries = list(INDUSTRY_WEIGHTS)
    all_provinces = [p for provinces in GEOGRAPHY.values() for p in provinces]
    used: set[str] = set()
    drafts = []
    for index in range(count):
        region = rng.choices(regions, weights=region_weights)[0]
        industry = industries[index] if index < len(industries) else _weighted(rng, INDUSTRY_WEIGHTS)
        province = rng.choice(GEOGRAPHY.get(region_codes.get(region, ""), all_provinces))
        city, city_py = rng.choice(province[2])
        name = _organisation_name(rng, industry, province, city)
        attempt = 0
        while name in used:  # small name spaces (e.g. power in a one-city province) run out: vary it
            attempt += 1
            if attempt < 8:
                name = _organisation_name(rng, industry, province, rng.choice(province[2])[0])
            else:
                name = f"{name[:180]}（{rng.choice(ROADS)}{attempt}）"
        used.add(name)
        size = _weighted(rng, SIZE_WEIGHTS[industry])
        bp = rng.lognormvariate(math.log(2_500_000), 1.0) * SIZE_BP_FACTOR[size]
        bp = min(50_000_000, max(200_000, round(bp, -4)))
        owner = rng.choice(org.reps_by_region[region])
        status = rng.choices(["prospect", "active", "dormant", "churned"], weights=[35, 45, 15, 5])[0]
        municipality = province[1].endswith("市") and len(province[2]) == 1
        address = (
            f"{province[1]}{'' if municipality else city + '市'}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
        )
        domain = f"{city_py}-{industry}{index % 97}.cn"
        drafts.append(
            AccountDraft(
                name=name,
                industry=industry,
                region_id=region,
                address=address,
                size=size,
                status=status,
                buying_power=Decimal(int(bp)),
                owner_id=owner.id,
                team_id=owner.team_id,
                notes=rng.choice(ACCOUNT_NOTES),
                created_days=HISTORY_DAYS + rng.uniform(30, 900),
                contacts=_contacts(rng, industry, domain),
            )
        )
    return drafts


# --- opportunities ------------------------------------------------------------------------------------


class OppLife(NamedTuple):
    """One simulated opportunity.

    `opportunity` holds the values of OPPORTUNITY_FIELDS without the id; every row of `history` the values
    of STAGE_CHANGE_FIELDS without id and opportunity id; `team` is (user id, deal role id, added at).
    `spans` are the stretches the deal spent in a stage, as (open stage index, start, end) in days
    relative to today (end 0 = still there today), for the activity generator.
    """

    opportunity: tuple
    history: tuple[tuple, ...]
    product_line_ids: tuple[int, ...]
    competitor_ids: tuple[int, ...]
    team: tuple[tuple[int, int, datetime], ...]
    spans: tuple[tuple[int, float, float], ...]
    n_open: int


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


class OpportunitySimulator:
    """Simulates opportunities through their process template, one deal at a time.

    A deal is created on a day of the two years before `today`, then spends in each stage about the
    stage's standard days × a per-deal pace × lognormal noise (one stage in seven deals stalls 2.5–6×
    longer). In every stage it may be lost (`StageSpec.drop` × the owner's skill); after the last open
    stage it is won. A few deals move back one stage once. A deal whose next step would fall on or after
    `today` stays open where it is. All times are before today's midnight and strictly increasing.
    """

    def __init__(self, catalog: Catalog, org: Org, accounts: list[AccountRef], today: date, seed: int):
        if not org.reps:
            raise RuntimeError("There are no sales reps in teams to own opportunities.")
        if not accounts:
            raise RuntimeError("There are no accounts to attach opportunities to.")
        self.catalog, self.org, self.accounts, self.today = catalog, org, accounts, today
        self.midnight = timezone.make_aware(datetime.combine(today, time.min))
        setup = stream(seed, "simulator-setup")
        self.templates = list(catalog.templates)
        self.remaining = {t.id: t.remaining_days for t in self.templates}
        self.template_cum = _cumulative(t.weight for t in self.templates)
        size_weight = {"small": 1.0, "medium": 1.5, "large": 2.5, "huge": 4.0}
        self.account_cum = _cumulative(
            size_weight.get(a.size, 1.0) * setup.lognormvariate(0, 0.6) for a in accounts
        )
        self.skill = {s.id: setup.uniform(0.75, 1.25) for s in org.reps}
        for group in org.inside_by_region.values():  # service contracts (theirs) are lost less often
            self.skill.update((s.id, setup.uniform(0.5, 0.8)) for s in group)
        self.sellers = {s.id: s for s in org.reps}
        lines = {code: pid for pid, code in catalog.product_lines}
        self.line_factor = {lines[c]: f for c, _zh, _en, f, _p in PRODUCT_LINES if c in lines}
        self.projects = {lines[c]: p for c, _zh, _en, _f, p in PRODUCT_LINES if c in lines}
        self.service_lines = {lines[c] for c in SERVICE_LINES if c in lines}
        self.lines_by_industry: dict[str, tuple[list[int], list[float]]] = {}
        for industry, weights in LINES_BY_INDUSTRY.items():
            pairs = [(lines[c], w) for c, w in weights.items() if c in lines]
            if not pairs:
                pairs = [(pid, 1.0) for pid, _code in catalog.product_lines]
            self.lines_by_industry[industry] = ([p for p, _ in pairs], _cumulative(w for _, w in pairs))
        all_lines = [pid for pid, _code in catalog.product_lines]
        self.any_lines = (all_lines, _cumulative(1.0 for _ in all_lines))
        competitors = {name: cid for cid, name in catalog.competitors}
        self.all_competitors = [cid for cid, _name in catalog.competitors]
        self.competitors_by_line = {}
        for code, names in COMPETITORS_BY_LINE.items():
            if code in lines:
                self.competitors_by_line[lines[code]] = [competitors[n] for n in names if n in competitors]
        self.reasons = list(catalog.loss_reasons)
        self.reason_cum = _cumulative(r[3] for r in self.reasons)
        self.roles = [catalog.deal_roles[c] for c in DEAL_TEAM_ROLES if c in catalog.deal_roles]
        self.role_code = {v: k for k, v in catalog.deal_roles.items()}

    # Time is counted in days relative to today's midnight (negative = past). A day's fraction maps to
    # the working hours 9:00–18:00, so later times always give later datetimes.
    def at(self, t: float) -> datetime:
        day = math.floor(t)
        return self.midnight + timedelta(days=day, minutes=540 + int((t - day) * 540))

    def day(self, t: float) -> date:
        return self.today + timedelta(days=math.floor(t))

    def _pick(self, rng: random.Random, items: list, cum: list[float]):
        return items[bisect_right(cum, rng.random() * cum[-1])]

    def _product_lines(self, rng: random.Random, industry: str) -> tuple[int, ...]:
        items, cum = self.lines_by_industry.get(industry, self.any_lines)
        if not items:
            return ()
        first = self._pick(rng, items, cum)
        if len(items) > 1 and rng.random() < 0.3:
            second = self._pick(rng, items, cum)
            if second != first:
                return (first, second)
        return (first,)

    def _competitors(self, rng: random.Random, lines: tuple[int, ...]) -> list[int]:
        pool = list(dict.fromkeys(c for line in lines for c in self.competitors_by_line.get(line, ())))
        pool = pool or self.all_competitors
        count = min(len(pool), rng.choices((0, 1, 2, 3), weights=(20, 35, 30, 15))[0])
        return rng.sample(pool, count)

    def _deal_team(self, rng: random.Random, owner: Seller, start: float, end: float) -> tuple:
        """0–3 colleagues on the deal team: teammates or reps elsewhere as pre-sales / consultants, the
        team's manager as executive sponsor, the region's inside sales."""
        if not self.roles or rng.random() >= 0.4:
            return ()
        members: dict[int, int] = {}
        for _ in range(rng.choices((1, 2, 3), weights=(55, 35, 10))[0]):
            role = rng.choice(self.roles)
            code = self.role_code[role]
            candidates: list[Seller]
            if code == "executive":
                candidates = self.org.managers_by_team.get(owner.team_id, [])
            elif code == "inside_sales":
                candidates = self.org.inside_by_region.get(owner.region_id, [])
            else:
                where = rng.random()
                if where < 0.5:
                    candidates = self.org.reps_by_team.get(owner.team_id, [])
                elif where < 0.8:
                    candidates = self.org.reps_by_region.get(owner.region_id, [])
                else:
                    candidates = self.org.reps
            candidates = [c for c in candidates if c.id != owner.id and c.id not in members]
            if candidates:
                members[rng.choice(candidates).id] = role
        span = max(0.0, min(end, start + 30) - start)
        return tuple((user, role, self.at(start + rng.random() * span)) for user, role in members.items())

    def life(self, rng: random.Random) -> OppLife:
        """Simulate one opportunity (see the class docstring)."""
        r = rng.random
        tpl: TemplateSpec = self._pick(rng, self.templates, self.template_cum)
        account: AccountRef = self._pick(rng, self.accounts, self.account_cum)
        owner = self.sellers.get(account.owner_id) or rng.choice(self.org.reps)
        if r() < 0.1:  # a teammate works this deal at a colleague's account
            owner = rng.choice(self.org.reps_by_team[owner.team_id])
        stages, n_open = tpl.open_stages, len(tpl.open_stages)
        remaining = self.remaining[tpl.id]

        created = -1.0 - (HISTORY_DAYS - 2) * r() ** 1.4  # more deals recently: the company grows
        pace = rng.lognormvariate(0.0, 0.25)
        stall = rng.randrange(n_open) if r() < 0.15 else -1
        lines = self._product_lines(rng, account.industry)
        inside = self.org.inside_by_region.get(account.region_id)
        if inside and lines and set(lines) <= self.service_lines and r() < INSIDE_SERVICE_SHARE:
            owner = rng.choice(inside)  # inside sales run service contracts of their region themselves
        skill = self.skill[owner.id]
        factor = sum(self.line_factor.get(line, 1.0) for line in lines) / max(1, len(lines))
        size_factor = {"small": 0.5, "medium": 0.9, "large": 1.3, "huge": 1.8}.get(account.size, 1.0)
        amount = rng.lognormvariate(math.log(800_000), 0.9) * factor * size_factor
        amount = min(20_000_000.0, max(50_000.0, round(amount, -3)))
        ecd = created + tpl.total_days * rng.uniform(0.5, 1.2)  # first estimates are optimistic
        competitors = self._competitors(rng, lines)

        # events: (kind, from index, to index, time, amount, expected close (days), reason)
        events: list[tuple] = [("created", -1, 0, created, amount, ecd, "")]
        spans: list[tuple[int, float, float]] = []
        i, t, moved_back, returning = 0, created, False, False
        status, loss_reason, winner = OPEN, None, None
        while True:
            stage = stages[i]
            dur = max(1.0, stage.days * pace * rng.lognormvariate(0.0, 0.45) * (0.4 if returning else 1.0))
            if i == stall and not returning:
                dur *= rng.uniform(2.5, 6.0)
            returning = False
            if r() < stage.drop * skill:
                end = t + max(0.3, dur * rng.uniform(0.2, 1.0))
                if end < 0:
                    status = LOST
                    loss_reason = self._pick(rng, self.reasons, self.reason_cum) if self.reasons else None
                    if i == stall and self.reasons and r() < 0.6:  # stalled deals die of indecision
                        loss_reason = next((x for x in self.reasons if x[1] == "no_decision"), loss_reason)
                    if loss_reason is not None and loss_reason[1] not in NO_WINNER_REASONS and r() < 0.85:
                        if not competitors and self.all_competitors:
                            competitors = [rng.choice(self.all_competitors)]
                        winner = rng.choice(competitors) if competitors else None
                    spans.append((i, t, end))
                    ecd = end + rng.choice((0, 0, 0, -7, -3, 3, 7, 14))
                    events.append(("lost", i, i, end, amount, ecd, loss_reason[2] if loss_reason else ""))
                else:
                    spans.append((i, t, 0.0))
                break
            end = t + dur
            if end >= 0:
                spans.append((i, t, 0.0))
                break
            spans.append((i, t, end))
            if i + 1 == n_open:
                status = WON
                ecd = end + rng.choice((0, 0, 0, -7, -3, 3, 7, 14))
                events.append(("won", i, n_open, end, amount, ecd, ""))
                break
            if i >= 2 and not moved_back and r() < 0.06:
                moved_back = returning = True
                events.append(("moved_back", i, i - 1, end, amount, ecd, rng.choice(MOVE_BACK_REASONS)))
                i, t = i - 1, end
                continue
            if i >= 1 and r() < 0.2:  # the budget becomes clearer once a proposal is on the table
                amount = min(20_000_000.0, max(50_000.0, round(amount * rng.uniform(0.8, 1.25), -3)))
            if ecd < end + remaining[i + 1] * 0.5 and r() < 0.5:  # the rep re-plans a slipping deal
                ecd = end + remaining[i + 1] * pace * rng.uniform(0.8, 1.2)
            events.append(("advanced", i, i + 1, end, amount, ecd, ""))
            i, t = i + 1, end

        updated_t = events[-1][3]
        version = len(events)
        if status == OPEN and ecd < 0 and r() < 0.4:  # most reps fix an overdue close date, some don't
            updated_t += (-updated_t) * rng.uniform(0.1, 0.9)
            ecd = rng.uniform(7, 30) + remaining[i] * pace * rng.uniform(0.3, 0.9)
            version += 1
        history, entered = self._history(tpl, events, owner.id)
        last = events[-1]
        if status == WON:
            final = tpl.won_stage or stages[-1]
            stage_id, (level_id, probability), category = final.id, self.catalog.won_level, BOOKED
        elif status == LOST:
            stage_id, (level_id, probability), category = stages[i].id, self.catalog.lost_level, OMITTED
        else:
            stage = stages[i]
            stage_id, level_id, probability, category = (
                stage.id,
                stage.level_id,
                stage.probability,
                stage.category,
            )
        project = rng.choice(self.projects.get(lines[0], ["系统集成项目"])) if lines else "系统集成项目"
        name = f"{account.name}{project}{'（二期）' if r() < 0.12 else ''}"
        opportunity = (
            name[:200],
            account.id,
            owner.id,
            owner.team_id,
            tpl.id,
            stage_id,
            level_id,
            probability,
            Decimal(int(last[4])),
            CURRENCY,
            self.day(ecd),
            category,
            status,
            loss_reason[0] if loss_reason else None,
            winner,
            self.day(last[3]) if status != OPEN else None,
            rng.choice(OPP_DESCRIPTIONS),
            rng.choice(OPP_NEXT_STEPS) if status == OPEN else "",
            entered,
            self.at(created),
            self.at(updated_t),
            version,
        )
        team = self._deal_team(rng, owner, created, events[-1][3])
        return OppLife(opportunity, history, lines, tuple(competitors), team, tuple(spans), n_open)

    def _history(self, tpl: TemplateSpec, events: list[tuple], owner_id: int) -> tuple[tuple, datetime]:
        """StageChange rows for the events, and when the deal entered the stage it ends in."""
        stages = tpl.open_stages
        won_stage = tpl.won_stage or stages[-1]
        rows, entered = [], None
        for kind, fi, ti, t, amount, ecd, reason in events:
            at = self.at(t)
            amount_d, ecd_d = Decimal(int(amount)), self.day(ecd)
            if kind == "created":
                to = stages[0]
                rows.append(
                    (
                        kind,
                        None,
                        to.id,
                        "",
                        to.name_zh,
                        None,
                        to.level_id,
                        to.probability,
                        amount_d,
                        CURRENCY,
                        ecd_d,
                        OPEN,
                        None,
                        owner_id,
                        at,
                        "",
                        False,
                        "",
                        to.name_en,
                    )
                )
                entered = at
                continue
            src = stages[fi]
            days = (at - entered).days
            if kind == "won":
                level_id, probability = self.catalog.won_level
                rows.append(
                    (
                        kind,
                        src.id,
                        won_stage.id,
                        src.name_zh,
                        won_stage.name_zh,
                        src.level_id,
                        level_id,
                        probability,
                        amount_d,
                        CURRENCY,
                        ecd_d,
                        WON,
                        days,
                        owner_id,
                        at,
                        reason,
                        False,
                        src.name_en,
                        won_stage.name_en,
                    )
                )
                if won_stage.id != src.id:
                    entered = at
            elif kind == "lost":
                level_id, probability = self.catalog.lost_level
                rows.append(
                    (
                        kind,
                        src.id,
                        src.id,
                        src.name_zh,
                        src.name_zh,
                        src.level_id,
                        level_id,
                        probability,
                        amount_d,
                        CURRENCY,
                        ecd_d,
                        LOST,
                        days,
                        owner_id,
                        at,
                        reason,
                        False,
                        src.name_en,
                        src.name_en,
                    )
                )
            else:
                to = stages[ti]
                rows.append(
                    (
                        kind,
                        src.id,
                        to.id,
                        src.name_zh,
                        to.name_zh,
                        src.level_id,
                        to.level_id,
                        to.probability,
                        amount_d,
                        CURRENCY,
                        ecd_d,
                        OPEN,
                        days,
                        owner_id,
                        at,
                        reason,
                        False,
                        src.name_en,
                        to.name_en,
                    )
                )
                entered = at
        return tuple(rows), entered


def generate_opportunities(simulator: OpportunitySimulator, count: int, seed: int) -> Iterator[OppLife]:
    """`count` simulated opportunities; the same simulator inputs and seed give the same sequence."""
    rng = stream(seed, "opportunities")
    for _ in range(count):
        yield simulator.life(rng)


# --- activities ---------------------------------------------------------------------------------------


class ActivityDraft(NamedTuple):
    """An activity before it has an id: values of ACTIVITY_FIELDS[1:] and its contact ids."""

    row: tuple
    contact_ids: tuple[int, ...]


class ActivityGenerator:
    """Visits, calls, meetings, demos and e-mails along each deal's life (a few per stage, the kind
    following the phase of the deal), planned ones in the next two weeks for open deals, and
    account-level ones (inside-sales calls, relationship visits)."""

    def __init__(self, simulator: OpportunitySimulator, seed: int):
        self.sim = simulator
        self.rng = stream(seed, "activities")
        self.team_of = {s.id: s.team_id for s in simulator.org.reps}
        for group in (*simulator.org.managers_by_team.values(), *simulator.org.inside_by_region.values()):
            for seller in group:
                self.team_of[seller.id] = seller.team_id

    def _done_date(self, t: float, start: float, end: float) -> date:
        """The day of a done activity at time `t` of the span [start, end]. Most customer work happens on
        weekdays, so a weekend day moves to the Friday before or the Monday after, staying in the span."""
        day = self.sim.day(t)
        if day.weekday() >= 5 and self.rng.random() < 0.85:
            friday, monday = day - timedelta(days=day.weekday() - 4), day + timedelta(days=7 - day.weekday())
            if friday >= self.sim.day(start):
                day = friday
            elif monday <= self.sim.day(end) and monday < self.sim.today:
                day = monday
        return min(day, self.sim.today - timedelta(days=1))

    def _activity(
        self,
        kind: str,
        phase: int,
        when: date,
        done: bool,
        account: AccountRef,
        opp_id: int | None,
        owner_id: int,
        created: datetime,
    ) -> ActivityDraft:
        rng = self.rng
        contacts = list(account.contacts)
        chosen = rng.sample(contacts, min(len(contacts), 1 if kind == "email" or rng.random() < 0.6 else 2))
        who = chosen[0] if chosen else (0, "客户", "")
        topic = rng.choice(TOPICS[phase])
        if kind == "visit":
            subject = f"拜访{who[2]}{who[1]}，沟通{topic}"
        elif kind == "call_out":
            subject = f"电话联系{who[1]}，确认{topic}"
        elif kind == "call_in":
            subject = f"{who[1]}来电咨询{topic}"
        elif kind == "meeting":
            subject = f"与{who[1]}等召开{topic}沟通会"
        elif kind == "demo":
            subject = f"方案演示：{topic}"
        else:
            subject = f"发送{rng.choice(DOCS)}给{who[1]}"
        if not done:
            subject = "计划：" + subject
        effective = done and (
            (kind == "visit" and rng.random() < 0.65) or (kind in ("meeting", "demo") and rng.random() < 0.4)
        )
        next_step = rng.choice(NEXT_STEPS[phase]) if done and rng.random() < 0.7 else ""
        next_date = when + timedelta(days=rng.randint(3, 15)) if next_step and rng.random() < 0.6 else None
        row = (
            kind,
            subject[:200],
            when,
            done,
            account.id,
            opp_id,
            owner_id,
            self.team_of[owner_id],
            effective,
            rng.choice(OUTCOMES[phase]) if done else "",
            next_step,
            next_date,
            1,
            created,
            created,
        )
        return ActivityDraft(row, tuple(c[0] for c in chosen))

    def _kind(self, phase: int) -> str:
        kinds = KIND_WEIGHTS[phase]
        return self.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]

    def for_opportunity(self, life: OppLife, opp_id: int, account: AccountRef) -> list[ActivityDraft]:
        rng, sim = self.rng, self.sim
        owner_id = life.opportunity[2]
        helpers = [m[0] for m in life.team if m[0] in self.team_of]
        drafts = []
        for index, start, end in life.spans:
            phase = min(2, 3 * index // max(1, life.n_open))
            length = end - start
            count = 0 if rng.random() < 0.1 else 1 + min(3, int(length // 12))
            for _ in range(count):
                t = start + rng.random() * length
                kind = self._kind(phase)
                owner = rng.choice(helpers) if helpers and kind == "demo" and rng.random() < 0.5 else owner_id
                when = self._done_date(t, start, end)
                created = timezone.make_aware(datetime.combine(when, time(18, 0)))
                drafts.append(self._activity(kind, phase, when, True, account, opp_id, owner, created))
        if life.opportunity[12] == OPEN and rng.random() < 0.75:
            index = life.spans[-1][0]
            phase = min(2, 3 * index // max(1, life.n_open))
            when = sim.today + timedelta(days=rng.randint(1, 14))
            created = sim.at(-1 + rng.random() * 0.9)
            drafts.append(
                self._activity(self._kind(phase), phase, when, False, account, opp_id, owner_id, created)
            )
        return drafts

    def one_for_opportunity(self, life: OppLife, opp_id: int, account: AccountRef) -> ActivityDraft:
        """A single done activity at a random moment of the deal's life (the cheap variant for `seed`)."""
        index, start, end = self.rng.choice(life.spans)
        phase = min(2, 3 * index // max(1, life.n_open))
        when = self._done_date(start + self.rng.random() * (end - start), start, end)
        created = timezone.make_aware(datetime.combine(when, time(18, 0)))
        return self._activity(
            self._kind(phase), phase, when, True, account, opp_id, life.opportunity[2], created
        )

    def for_account(self, account: AccountRef, owner_id: int, inside_id: int | None) -> list[ActivityDraft]:
        rng, drafts = self.rng, []
        for _ in range(rng.randint(0, 6)):
            who = inside_id if inside_id and rng.random() < 0.6 else owner_id
            kind = (
                "call_out"
                if who == inside_id
                else rng.choice(["visit", "visit", "meeting", "call_out", "email"])
            )
            when = self._done_date(-rng.uniform(1, HISTORY_DAYS), -HISTORY_DAYS, -1)
            created = timezone.make_aware(datetime.combine(when, time(18, 0)))
            drafts.append(self._activity(kind, 0, when, True, account, None, who, created))
        return drafts


# --- writing ------------------------------------------------------------------------------------------


class BulkWriter:
    """Buffers rows per table and writes them in batches within the caller's transaction.

    Ids are allocated here (max id + 1, tables locked against concurrent inserts on PostgreSQL) so that
    rows can reference each other before they are written; sequences are reset in `close()`.
    PostgreSQL receives the rows through COPY, SQLite through the driver's executemany (values adapted
    per column as Django adapts them), other databases through `bulk_create`.

    With `defer_constraints` on PostgreSQL, the foreign keys and the plain (non-unique) indexes of the
    written tables are dropped while loading and rebuilt in `close()`: checking each row against its
    parents and inserting it into nine indexes as it arrives is what makes large loads slow, while
    building an index or validating a foreign key over the whole table at the end is one sort or one
    join. Adding the foreign keys back verifies every row, so integrity is still proven. The tables
    are locked for the whole transaction either way.
    """

    def __init__(
        self, models: Iterable[type[Model]], *, batch_size: int = 20_000, defer_constraints: bool = False
    ):
        self.models = list(models)
        self.batch_size = batch_size
        self.postgres = connection.vendor == "postgresql"
        self.buffers: dict[type[Model], list[tuple]] = {m: [] for m in self.models}
        self.written: dict[type[Model], int] = defaultdict(int)
        self.next_id: dict[type[Model], int] = {}
        self.dropped_keys: list[tuple[str, str, str]] = []
        self.dropped_indexes: list[tuple[str, str]] = []
        if self.postgres:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in self.models)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for model in self.models:
            self.next_id[model] = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        if defer_constraints and self.postgres:
            self._drop_constraints()

    def ids(self, model: type[Model], count: int = 1) -> int:
        """Reserve `count` consecutive ids of `model`; returns the first."""
        first = self.next_id[model]
        self.next_id[model] = first + count
        return first

    def add(self, model: type[Model], row: tuple) -> None:
        missing = len(TABLE_FIELDS[model]) - len(row)
        if missing > 0:
            row = row + TRAILING_DEFAULTS[model][-missing:]
        buffer = self.buffers[model]
        buffer.append(row)
        if len(buffer) >= self.batch_size:
            self.flush(model)

    def flush(self, model: type[Model] | None = None) -> None:
        for m in [model] if model else self.models:
            rows = self.buffers[m]
            if not rows:
                continue
            if self.postgres:
                self._copy(m, rows)
            elif connection.vendor == "sqlite":
                self._insert(m, rows)
            else:
                fields = TABLE_FIELDS[m]
                m.objects.bulk_create(
                    [m(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000
                )
            self.written[m] += len(rows)
            self.buffers[m] = []

    def _copy(self, model: type[Model], rows: list[tuple]) -> None:
        fields = TABLE_FIELDS[model]
        meta = model._meta
        columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
        json_at = [i for i, f in enumerate(fields) if meta.get_field(f).get_internal_type() == "JSONField"]
        sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            write = copy.write_row
            if json_at:
                for row in rows:
                    row = list(row)
                    for i in json_at:
                        row[i] = json.dumps(row[i], ensure_ascii=False)
                    write(row)
            else:
                for row in rows:
                    write(row)

    # Columns whose Python values the SQLite driver stores as Django would (ints, strings, bools, None).
    PLAIN_TYPES = frozenset(
        {
            "AutoField",
            "BigAutoField",
            "BigIntegerField",
            "BooleanField",
            "CharField",
            "FileField",
            "ForeignKey",
            "IntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "SlugField",
            "SmallIntegerField",
            "TextField",
            "URLField",
        }
    )

    def _insert(self, model: type[Model], rows: list[tuple]) -> None:
        """INSERT through the driver's executemany, values adapted per column as Django's own insert
        adapts them (dates, datetimes, decimals, JSON); 10× faster than building model instances."""
        meta = model._meta
        fields = [meta.get_field(f) for f in TABLE_FIELDS[model]]
        adapters = [self._adapter(f) for f in fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        sql = (
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        if any(adapters):
            rows = [
                tuple(v if a is None or v is None else a(v) for a, v in zip(adapters, row, strict=True))
                for row in rows
            ]
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start : start + 5000])

    def _adapter(self, field) -> Callable[[Any], Any] | None:
        """How a value of `field` is stored: as it is (None), or adapted. Dates and aware datetimes are
        written as the SQLite backend writes them (ISO text, datetimes made naive in the connection's
        time zone); the rest goes through the field's own get_db_prep_save."""
        kind = field.get_internal_type()
        if kind in self.PLAIN_TYPES:
            return None
        if kind == "DateField":
            return date.isoformat
        if kind == "DateTimeField" and settings.USE_TZ:
            tz = connection.timezone
            return lambda v: str(v.astimezone(tz).replace(tzinfo=None) if v.tzinfo is not None else v)
        return lambda v: field.get_db_prep_save(v, connection)

    def _drop_constraints(self) -> None:
        tables = [m._meta.db_table for m in self.models]
        with connection.cursor() as cursor:
            # Rows written earlier in this transaction (the org) have deferred checks queued; PostgreSQL
            # refuses to alter a table with pending checks, so run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid, conname",
                [tables],
            )
            self.dropped_keys = list(cursor.fetchall())
            for table, name, _definition in self.dropped_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
            # Unique indexes stay: they back primary keys and unique constraints.
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY i.indrelid, i.indexrelid",
                [tables],
            )
            self.dropped_indexes = list(cursor.fetchall())
            for index, _definition in self.dropped_indexes:
                cursor.execute(f"DROP INDEX {index}")

    def close(self) -> dict[str, int]:
        """Write what is buffered, rebuild the dropped indexes and foreign keys, reset the id sequences;
        returns the number of rows written per table."""
        self.flush()
        with connection.cursor() as cursor:
            for _index, definition in self.dropped_indexes:
                cursor.execute(definition)
            for table, name, definition in self.dropped_keys:
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
                )
            self.dropped_indexes, self.dropped_keys = [], []
            for sql in connection.ops.sequence_reset_sql(no_style(), self.models):
                cursor.execute(sql)
        return {m._meta.db_table: self.written[m] for m in self.models}


def write_accounts(
    writer: BulkWriter, drafts: list[AccountDraft], catalog: Catalog, today: date
) -> list[AccountRef]:
    """Write accounts and their contacts; returns what opportunities need to know of them."""
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    refs = []
    for draft in drafts:
        account_id = writer.ids(Account)
        created = midnight - timedelta(days=draft.created_days)
        writer.add(
            Account,
            (
                account_id,
                draft.name,
                catalog.industries[draft.industry],
                draft.region_id,
                draft.address,
                draft.size,
                draft.status,
                draft.buying_power,
                CURRENCY,
                draft.owner_id,
                draft.team_id,
                draft.notes,
                1,
                created,
                created,
            ),
        )
        contacts = []
        for c in draft.contacts:
            contact_id = writer.ids(Contact)
            writer.add(
                Contact,
                (
                    contact_id,
                    account_id,
                    c.name,
                    c.title,
                    c.phone,
                    c.email,
                    c.ambitions,
                    c.character,
                    c.preferences,
                    c.strengths,
                    c.buying_roles,
                    c.attitude,
                    c.influence,
                    "",
                    1,
                    created,
                    created,
                ),
            )
            contacts.append((contact_id, c.name, c.title))
        refs.append(
            AccountRef(
                account_id,
                draft.name,
                draft.industry,
                draft.size,
                draft.owner_id,
                draft.region_id,
                tuple(contacts),
            )
        )
    return refs


def write_opportunity(writer: BulkWriter, life: OppLife) -> int:
    """Write one simulated opportunity with its history, product lines, competitors and deal team."""
    opp_id = writer.ids(Opportunity)
    writer.add(Opportunity, (opp_id, *life.opportunity))
    first = writer.ids(StageChange, len(life.history))
    for offset, row in enumerate(life.history):
        writer.add(StageChange, (first + offset, opp_id, *row))
    for line in life.product_line_ids:
        writer.add(OppProductLine, (writer.ids(OppProductLine), opp_id, line))
    for competitor in life.competitor_ids:
        writer.add(OppCompetitor, (writer.ids(OppCompetitor), opp_id, competitor))
    for user_id, role_id, added_at in life.team:
        writer.add(
            OpportunityTeamMember, (writer.ids(OpportunityTeamMember), opp_id, user_id, role_id, added_at)
        )
    return opp_id


def write_activities(writer: BulkWriter, drafts: Iterable[ActivityDraft]) -> None:
    for draft in drafts:
        activity_id = writer.ids(Activity)
        writer.add(Activity, (activity_id, *draft.row))
        for contact_id in draft.contact_ids:
            writer.add(ActivityContact, (writer.ids(ActivityContact), activity_id, contact_id))


def _region_codes() -> dict[int, str]:
    return dict(OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION).values_list("id", "code"))


def _settle_accounts(
    drafts: list[AccountDraft], lives: list[OppLife], refs: list[AccountRef], today: date, rng: random.Random
) -> list[AccountDraft]:
    """Make each demo account's status and buying power agree with the simulated deals: a recent win
    makes an active customer, only old wins a dormant one, none a prospect; BP is at least the
    revenue won in the last year, so share of wallet stays below 100%."""
    index = {ref.id: i for i, ref in enumerate(refs)}
    year_ago = today - timedelta(days=365)
    won_recent: dict[int, Decimal] = defaultdict(Decimal)
    won_ever: set[int] = set()
    for life in lives:
        opp = life.opportunity
        if opp[12] == WON:
            i = index[opp[1]]
            won_ever.add(i)
            if opp[15] >= year_ago:
                won_recent[i] += opp[8]
    settled = []
    for i, draft in enumerate(drafts):
        if i in won_recent:
            status = "active"
        elif i in won_ever:
            status = "churned" if rng.random() < 0.2 else "dormant"
        else:
            status = "prospect"
        bp, won = draft.buying_power, won_recent.get(i, Decimal(0))
        if bp < won * Decimal("1.1"):
            bp = max(
                won,
                min(
                    Decimal(50_000_000),
                    (won * Decimal(str(round(rng.uniform(1.1, 3.0), 2)))).quantize(Decimal(1)),
                ),
            )
        settled.append(draft._replace(status=status, buying_power=bp))
    return settled


# --- deal control ---------------------------------------------------------------------------------------

# Shares of the open deals that show a problem (a visible minority).
OVERRIDE_SHARE = (
    0.10  # of those beyond the first two stages: advanced by a manager without evidence (over-staged)
)
UNDER_SHARE = 0.12  # of those at a C-level stage: C139 already meets the rule (under-staged)
RED_FLAG_SHARE = 0.06  # a high-influence opponent in the buying centre and no coach
BUDGET_SHARE = 0.7  # deals with an expense budget

# Evidence type → (title, notes). "{who}" is a contact ("信息中心主任张伟").
EVIDENCE_TEXTS: dict[str, tuple[str, list[str]]] = {
    "meeting_minutes": (
        "会面纪要",
        [
            "与{who}会面，了解项目背景和初步需求，约定两周内再次拜访。",
            "与{who}等召开沟通会，客户介绍了现有系统的问题和改造设想。",
        ],
    ),
    "discovery_notes": (
        "初步调研记录",
        [
            "现场调研：现有设备运行多年，故障率偏高；{who}确认了需求和时间框架。",
            "调研了客户现状和痛点，{who}介绍了预算申请进度。",
        ],
    ),
    "project_approval": (
        "立项通知",
        ["客户项目已正式立项，{who}提供了立项批复文件。", "立项批复已下达，资金来源为年度技改预算。"],
    ),
    "technical_acceptance": (
        "技术差异化确认函",
        ["技术交流后，{who}书面认可我方方案的差异化优势。", "客户技术组确认我方在可靠性和运维成本上的优势。"],
    ),
    "short_list": (
        "入围通知",
        ["收到客户入围通知，我方进入短名单。", "{who}确认我方已入围，下一步进入方案评审。"],
    ),
    "terms_agreed": (
        "关键条款确认单",
        ["价格、付款方式和交付期已与{who}书面确认。", "双方就主要商务条款达成一致。"],
    ),
    "contract_draft": (
        "合同草稿（提交版）",
        ["合同草稿已提交客户法务审核。", "已将合同文本发送{who}，等待反馈。"],
    ),
    "signed_contract": ("合同签署扫描件", ["合同已由双方授权代表签字盖章。", "合同已签署，原件已归档。"]),
    "account_profile": (
        "客户基本信息表",
        ["客户基本信息、竞争对手、需求与预算、客户项目组已收集。", "{who}协助补充了客户项目组成员信息。"],
    ),
    "executive_meeting": (
        "高层会面纪要",
        ["我方高层拜访{who}，双方就项目目标达成共识。", "双方高层会面，客户领导表示高度重视。"],
    ),
    "quote_submitted": ("报价提交记录", ["已按客户要求提交正式报价。", "报价已提交{who}，客户确认收到。"]),
    "technical_minutes": (
        "技术交流纪要",
        ["与{who}完成技术交流，客户提出若干参数修改意见。", "技术交流顺利，客户认可方案架构。"],
    ),
    "solution_acceptance": ("方案确认函", ["{who}书面确认方案满足需求。", "客户方案评审通过。"]),
    "visit_record": (
        "拜访记录",
        ["拜访{who}，介绍公司和案例，预约了下次交流。", "首次拜访{who}，客户有兴趣进一步了解。"],
    ),
    "solution_plan": (
        "解决方案与安装方案",
        ["需求已与{who}确认，解决方案和安装方案已提交。", "安装方案经客户设备部门确认。"],
    ),
    "quote_approved": ("报价批准确认", ["客户已批准我方报价和方案。", "{who}确认报价通过内部审批。"]),
}
APPROVAL_NOTES = [
    "评审通过，同意推进。",
    "同意，注意控制折扣。",
    "资料齐全，同意进入下一阶段。",
    "同意，请尽快安排高层拜访。",
    "",
]
OVERRIDE_REASONS = [
    "客户招标时间提前，先推进，证据后补",
    "客户高层已口头确认，书面纪要后补",
    "经理评审同意先行推进，材料下周补齐",
    "客户采购流程调整，先进入下一阶段",
]
TASK_NOTES = [
    "已完成，客户确认。",
    "按标准完成，记录已归档。",
    "已完成，纪要已上传。",
    "已完成并与客户核对。",
]
COMPETITION_NOTES = [
    "竞争对手已先完成技术交流，我方落后约两周",
    "竞争对手高层已拜访客户，我方需尽快安排",
    "竞争对手报价先行提交",
    "客户内部评审推迟，需跟进竞争对手动向",
]
BID_NOTES = {
    "pursue": [
        "客户需求明确、资金到位，我方方案匹配度高，决定争取。",
        "关系基础好，技术满足要求，全力争取。",
    ],
    "qualify": ["资金来源尚不明确，需进一步确认后再定。", "技术参数需再核实，两周内再评估。"],
    "abandon": ["技术参数明显倾向竞争对手，决定放弃。", "客户关系薄弱且竞争对手优势明显，放弃。"],
}
EXPENSE_TEXTS = {
    "travel": ["拜访客户差旅（高铁、住宿）", "技术交流出差机票及住宿", "项目现场勘察差旅"],
    "entertainment": ["客户接待餐费", "商务宴请", "客户来访接待"],
    "demo": ["样机运输及安装调试", "演示环境搭建费用", "样板工程参观接待"],
    "bidding": ["标书制作及打印装订", "投标服务费", "招标文件购买费"],
    "consultant": ["行业专家咨询费", "方案评审专家费"],
    "other": ["资料快递费", "会议室租用", "其他杂费"],
}
EXPENSE_WEIGHTS = {"travel": 10, "entertainment": 8, "demo": 4, "bidding": 5, "consultant": 2, "other": 1}
SUPPORTIVE = ("support", "neutral")


@dataclass(frozen=True)
class CriterionSpec:
    """An active exit criterion as the generator needs it."""

    id: int
    stage_id: int
    code: str
    kind: str
    config: dict
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class TaskSpec:
    """A task a stage puts on a deal: a StageTask row, or a task exit criterion no StageTask names."""

    stage_task_id: int | None
    code: str
    name_zh: str
    name_en: str
    standard_zh: str
    standard_en: str
    role_id: int | None
    due_days: int


@dataclass(frozen=True)
class ContactInfo:
    """A contact of an account with what the buying centre starts from."""

    id: int
    name: str
    title: str
    roles: tuple[str, ...]
    attitude: str
    influence: str


@dataclass
class ControlCatalog:
    """The configuration deal control is generated from: exit criteria and stage tasks by stage id,
    the ladder's orders by level id, the policy's thresholds, expense categories, and who approves
    gates for each team (its manager, else the region's director, else an admin)."""

    criteria: dict[int, tuple[CriterionSpec, ...]]
    tasks: dict[int, tuple[TaskSpec, ...]]
    level_order: dict[int, int]
    developed_order: int
    contacted_order: int
    band_rules: BandRules = BandRules()
    required_roles: tuple[str, ...] = buying_centre_domain.REQUIRED_ROLES
    expense_categories: tuple[tuple[int, str], ...] = ()
    approvers: dict[int, int] = field(default_factory=dict)
    bid_rules: bid_domain.BidRules = bid_domain.BidRules()
    bid_qualify_days: int = bid_domain.BidRules().qualify_days

    @property
    def rule(self) -> C139Score:
        """The C139 rule of the policy ("8C1F0W or better" by default)."""
        return self.band_rules.rule


def task_specs(
    criteria: dict[int, tuple[CriterionSpec, ...]], stage_tasks: dict[int, list[TaskSpec]]
) -> dict[int, tuple[TaskSpec, ...]]:
    """Each stage's tasks: its StageTasks, then its task criteria that no StageTask of the stage names."""
    stage_ids = sorted(set(criteria) | set(stage_tasks))
    out = {}
    for stage_id in stage_ids:
        specs = list(stage_tasks.get(stage_id, []))
        codes = {t.code for t in specs}
        for criterion in criteria.get(stage_id, ()):
            code = str((criterion.config or {}).get("task") or "")
            if criterion.kind == "task" and code and code not in codes:
                zh, _sep, en = str(criterion.config.get("standard", "")).partition(" / ")
                specs.append(
                    TaskSpec(
                        None,
                        code[:60],
                        criterion.name_zh,
                        criterion.name_en,
                        zh.strip(),
                        en.strip(),
                        None,
                        14,
                    )
                )
                codes.add(code)
        if specs:
            out[stage_id] = tuple(specs)
    return out


def load_control_catalog(org: Org) -> ControlCatalog:
    """Read the deal-control configuration of the current database (stage tasks may be missing)."""
    criteria: dict[int, list[CriterionSpec]] = defaultdict(list)
    for c in ExitCriterion.objects.filter(is_active=True).order_by("stage_id", "order", "id"):
        criteria[c.stage_id].append(
            CriterionSpec(c.id, c.stage_id, c.code, c.kind, dict(c.config or {}), c.name_zh, c.name_en)
        )
    stage_tasks: dict[int, list[TaskSpec]] = defaultdict(list)
    for t in StageTask.objects.filter(is_active=True).order_by("stage_id", "order", "id"):
        stage_tasks[t.stage_id].append(
            TaskSpec(t.id, t.code, t.name_zh, t.name_en, t.standard_zh, t.standard_en, t.role_id, t.due_days)
        )
    frozen = {k: tuple(v) for k, v in criteria.items()}
    levels = list(ProbabilityLevel.objects.values_list("id", "code", "order"))
    ladder = level_ladder()
    policy = ControlPolicy.current()
    approvers = {team: sellers[0].id for team, sellers in org.managers_by_team.items() if sellers}
    missing = set(org.reps_by_team) - set(approvers)
    if missing:
        parents = dict(OrgUnit.objects.values_list("id", "parent_id"))
        directors = dict(
            User.objects.filter(role=User.Role.DIRECTOR, is_active=True, org_unit__isnull=False)
            .order_by("-id")
            .values_list("org_unit_id", "id")
        )
        admin = (
            User.objects.filter(role=User.Role.ADMIN, is_active=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        fallback = admin.first()
        for team in sorted(missing):
            chosen = directors.get(parents.get(team)) or fallback
            if chosen:
                approvers[team] = chosen
    return ControlCatalog(
        criteria=frozen,
        tasks=task_specs(frozen, stage_tasks),
        level_order={level_id: order for level_id, _code, order in levels},
        developed_order=ladder.developed,
        contacted_order=ladder.contacted,
        band_rules=c139_rules(policy),
        required_roles=tuple(str(r) for r in policy.required_buying_roles or ()),
        expense_categories=tuple(
            ExpenseCategory.objects.filter(is_active=True).order_by("order", "id").values_list("id", "code")
        ),
        approvers=approvers,
        bid_rules=bid_rules(policy),
        bid_qualify_days=policy.bid_qualify_days,
    )


def contact_infos(drafts: list[AccountDraft], refs: list[AccountRef]) -> dict[int, tuple[ContactInfo, ...]]:
    """The contacts of each written account (by account id) with their roles, attitude and influence."""
    return {
        ref.id: tuple(
            ContactInfo(cid, name, title, tuple(c.buying_roles), c.attitude, c.influence)
            for (cid, name, title), c in zip(ref.contacts, draft.contacts, strict=True)
        )
        for draft, ref in zip(drafts, refs, strict=True)
    }


@dataclass
class DealControlDraft:
    """The deal-control rows of one opportunity, each without its id and opportunity id (in the order of
    TABLE_FIELDS); assessments carry their answers (without id and assessment id)."""

    evidence: list[tuple] = field(default_factory=list)
    approvals: list[tuple] = field(default_factory=list)
    assessments: list[tuple[tuple, list[tuple]]] = field(default_factory=list)
    bids: list[tuple] = field(default_factory=list)
    members: list[tuple] = field(default_factory=list)
    milestones: list[tuple] = field(default_factory=list)
    tasks: list[tuple] = field(default_factory=list)
    budgets: list[tuple] = field(default_factory=list)
    expenses: list[tuple] = field(default_factory=list)
    flag: str = ""  # the staging flag the rows should produce: "over", "under" or ""


class _Member:
    """A buying-centre member while it is being put together."""

    __slots__ = ("contact", "roles", "attitude", "influence")

    def __init__(self, contact: ContactInfo, roles: list[str], attitude: str, influence: str):
        self.contact, self.roles, self.attitude, self.influence = contact, roles, attitude, influence


class DealControlGenerator:
    """Deal-control rows consistent with each simulated deal's history (METHODOLOGY §2–§6).

    Every stage a deal advanced out of has its active exit criteria met: evidence (a note or a link,
    added by the owner while the deal was in the stage), approvals by the team's manager, done tasks,
    a C139 assessment that grows stage by stage and meets every C139 threshold passed, a bid decision
    "pursue" before the stage that checks it, buying-centre roles as the criteria require. The stage a
    deal is in (or was lost in) has part of its criteria met, and its open tasks. Milestones carry the
    planned and actual dates of the customer's buying steps; most deals have an expense budget and
    logged spend.

    A visible minority of open deals has a problem: advanced past a stage by a manager's override
    without its evidence (over-staged), a C139 meeting the rule at a C-level stage (under-staged), or a
    high-influence opponent and no coach. Deals at a D-level stage or above meet the C139 rule (else
    they would be over-staged too). `DealControlDraft.flag` is the staging flag the rows produce.
    """

    def __init__(
        self,
        simulator: OpportunitySimulator,
        control: ControlCatalog,
        contacts: dict[int, tuple[ContactInfo, ...]],
        seed: int,
    ):
        self.sim, self.cat, self.contacts = simulator, control, contacts
        self.rng = stream(seed, "deal-control")
        self.templates = {t.id: t for t in simulator.templates}
        self.accounts = {a.id: a for a in simulator.accounts}
        self.categories = list(control.expense_categories)
        self.bid_index: dict[int, int | None] = {}
        self.red_flag_ok: dict[int, bool] = {}
        for tpl in self.templates.values():
            crits = [self._criteria(s.id) for s in tpl.open_stages]
            self.bid_index[tpl.id] = next(
                (
                    i
                    for i, cs in enumerate(crits)
                    if any(
                        c.kind == "assessment" and c.config.get("assessment") == "bid_decision" for c in cs
                    )
                ),
                None,
            )
            self.red_flag_ok[tpl.id] = all(self._without_coach(c) for cs in crits for c in cs)

    def _without_coach(self, criterion: CriterionSpec) -> bool:
        """Whether a deal with no coach can still meet `criterion` (a red-flag deal must not be
        over-staged by it)."""
        if criterion.kind != "assessment" or criterion.config.get("assessment") != "buying_centre":
            return True
        roles = criterion.config.get("roles") or []
        if not isinstance(roles, list) or "coach" in [str(r) for r in roles]:
            return False
        required = self.cat.required_roles
        try:
            minimum = float(criterion.config.get("min_coverage") or 0)
        except (TypeError, ValueError):
            return False
        return not ("coach" in required and minimum > (len(required) - 1) / len(required) + 1e-9)

    def _criteria(self, stage_id: int) -> tuple[CriterionSpec, ...]:
        return self.cat.criteria.get(stage_id, ())

    def _level(self, stage: StageSpec) -> int:
        return self.cat.level_order.get(stage.level_id, 0)

    @staticmethod
    def _omittable(criteria: Iterable[CriterionSpec]) -> list[CriterionSpec]:
        return [c for c in criteria if c.kind in ("evidence", "approval", "task")]

    def _moment(self, start: float, end: float, lo: float, hi: float) -> float:
        """A time in [start, end] (relative days), strictly before today."""
        end = min(end, -0.002)
        if end <= start:
            return end
        return start + (end - start) * self.rng.uniform(lo, hi)

    # -- the whole deal ---------------------------------------------------------------------------------

    def apply(self, life: OppLife) -> tuple[OppLife, DealControlDraft]:
        """The deal-control rows of `life`, and `life` adjusted to them: a competitor added when a gate
        passed needs one, the manager's override in the history of an over-staged deal (and the
        verified level in the history rows and on the deal that follow), the latest C139 result."""
        rng, sim, cat = self.rng, self.sim, self.cat
        opp = list(life.opportunity) + ["", ""][: max(0, 24 - len(life.opportunity))]
        tpl = self.templates[opp[4]]
        stages = tpl.open_stages
        n_open = len(stages)
        status, owner, team_id = opp[12], opp[2], opp[3]
        account = self.accounts.get(opp[1])
        contacts = self.contacts.get(opp[1], ())
        spans = life.spans
        history = list(life.history)
        ends = [history[k + 1][0] if k + 1 < len(history) else None for k in range(len(spans))]
        last_pass: dict[int, int] = {}
        passes: dict[int, int] = defaultdict(int)
        first_span: dict[int, int] = {}
        for k, (i, _start, _end) in enumerate(spans):
            first_span.setdefault(i, k)
            if ends[k] in ("advanced", "won"):
                last_pass[i] = k
                passes[i] += 1
        current = spans[-1][0]
        won_stage = (
            tpl.won_stage if status == WON and tpl.won_stage and tpl.won_stage.id != stages[-1].id else None
        )
        progress = 1.0 if status == WON else current / max(1, n_open - 1)
        approver = cat.approvers.get(team_id)
        if approver == owner:
            approver = None
        draft = DealControlDraft()

        # The problems of this deal.
        override, omitted = None, []
        if status == OPEN and current >= 2 and approver and rng.random() < OVERRIDE_SHARE:
            claimed = self._level(stages[current])
            candidates = [
                i
                for i in sorted(last_pass)
                if i < current
                and passes[i] == 1
                and self._omittable(self._criteria(stages[i].id))
                and self._level(stages[i]) < claimed
            ]
            if candidates:
                override = rng.choice(candidates)
                pool = self._omittable(self._criteria(stages[override].id))
                omitted = list(pool) if rng.random() < 0.3 else [rng.choice(pool)]
        under = (
            status == OPEN
            and override is None
            and current >= 1
            and self._level(stages[current]) == cat.contacted_order
            and rng.random() < UNDER_SHARE
        )
        red_flag = (
            status == OPEN
            and override is None
            and current >= 1
            and self.red_flag_ok[tpl.id]
            and rng.random() < RED_FLAG_SHARE
        )
        omitted_ids = {c.id for c in omitted}
        omitted_types = {
            str(c.config.get("evidence"))
            for c in omitted
            if c.kind == "evidence" and c.config.get("evidence")
        }
        omitted_tasks = {
            str(c.config.get("task")) for c in omitted if c.kind == "task" and c.config.get("task")
        }

        # Which criteria are met: all of the stages passed (but the override's), part of the current one.
        met: dict[int, bool] = {}
        for i in sorted(last_pass):
            for c in self._criteria(stages[i].id):
                met[c.id] = c.id not in omitted_ids
        if won_stage is not None:
            for c in self._criteria(won_stage.id):
                met[c.id] = True
        partial = status != WON and current not in last_pass
        p_met = 0.0
        if partial:
            start = spans[-1][1]
            elapsed = -start if status == OPEN else spans[-1][2] - start
            p_met = (0.3 + 0.5 * min(1.0, elapsed / max(1, stages[current].days))) * (
                0.7 if status == LOST else 1.0
            )
            free = []
            for c in self._criteria(stages[current].id):
                which = c.config.get("assessment")
                if c.kind == "field" or which == "bid_decision":
                    continue
                if (
                    which == "c139"
                    and "min" in c.config
                    and self._level(stages[current]) >= cat.developed_order
                ):
                    met[c.id] = True  # a deal at D or above meets the rule anyway
                    continue
                met[c.id] = rng.random() < p_met
                free.append(c)
            if status == OPEN and free and all(met[c.id] for c in free) and rng.random() < 0.75:
                met[rng.choice(free).id] = False

        # A gate passed on "competitors" needs one.
        competitors = life.competitor_ids
        if not competitors and any(
            c.kind == "field" and c.config.get("field") == "competitors" and met.get(c.id)
            for i in last_pass
            for c in self._criteria(stages[i].id)
        ):
            lines = life.product_line_ids
            pool = [x for line in lines for x in sim.competitors_by_line.get(line, ())] or sim.all_competitors
            if pool:
                competitors = (rng.choice(pool),)

        # Buying-centre needs of the criteria met.
        need_roles: list[str] = []
        need_coverage = 0.0
        for c in self._all_met(met, stages, won_stage):
            if c.kind == "assessment" and c.config.get("assessment") == "buying_centre":
                roles = c.config.get("roles")
                if isinstance(roles, list):
                    need_roles += [str(r) for r in roles if str(r) not in need_roles]
                try:
                    need_coverage = max(need_coverage, float(c.config.get("min_coverage") or 0))
                except (TypeError, ValueError):
                    pass
        t_start = spans[0][1]
        t_last = min(spans[-1][2], -0.002) if status != OPEN else -0.002
        members, coach = self._buying_centre(
            draft, contacts, progress, status, red_flag, need_roles, need_coverage, owner, t_start, t_last
        )
        self._evidence(
            draft, met, stages, spans, last_pass, won_stage, owner, omitted_types, partial, members
        )
        self._approvals(draft, met, stages, spans, last_pass, approver, partial)
        self._tasks(
            draft,
            met,
            stages,
            spans,
            last_pass,
            first_span,
            won_stage,
            owner,
            life.team,
            status,
            p_met,
            omitted_tasks,
        )
        result = self._c139(
            draft, met, stages, spans, last_pass, status, under, owner, members, coach, contacts
        )
        self._bids(draft, tpl, stages, spans, last_pass, status, owner, account)
        self._milestones(draft, tpl, spans, last_pass, status, owner, opp)
        self._expenses(draft, spans, status, progress, owner, life.team, Decimal(opp[8]))

        # The override in the history, and the verified level that follows it.
        if override is not None:
            k = last_pass[override] + 1
            row = list(history[k])
            row[13], row[15], row[16] = approver, rng.choice(OVERRIDE_REASONS), True
            s_stage = stages[override]
            missing = [
                {
                    "stage_id": s_stage.id,
                    "stage": s_stage.name_zh,
                    "criterion_id": c.id,
                    "code": c.code,
                    "kind": c.kind,
                    "name": c.name_zh,
                    "detail": {"evidence": "no_evidence", "approval": "not_approved", "task": "task_open"}[
                        c.kind
                    ],
                }
                for c in omitted
            ]
            history[k] = (*row[:19], missing)
            previous_level = None
            for m in range(k, len(history)):
                row = list(history[m])
                if row[0] not in ("advanced", "moved_back"):
                    continue
                target = stages[spans[m][0]]
                verified = s_stage if spans[m][0] > override else target
                if previous_level is not None:
                    row[5] = previous_level
                row[6], row[7] = verified.level_id, verified.probability
                previous_level = verified.level_id
                history[m] = tuple(row)
            opp[6], opp[7] = s_stage.level_id, s_stage.probability
            draft.flag = "over"
        elif under:
            draft.flag = "under"
        opp[22] = result
        opp[23] = draft.flag if status == OPEN else ""
        return life._replace(
            opportunity=tuple(opp), history=tuple(history), competitor_ids=tuple(competitors)
        ), draft

    def _all_met(
        self, met: dict[int, bool], stages: tuple[StageSpec, ...], won_stage: StageSpec | None
    ) -> Iterator[CriterionSpec]:
        for stage in (*stages, *([won_stage] if won_stage else [])):
            for c in self._criteria(stage.id):
                if met.get(c.id):
                    yield c

    # -- buying centre ------------------------------------------------------------------------------------

    def _buying_centre(
        self,
        draft: DealControlDraft,
        contacts: tuple[ContactInfo, ...],
        progress: float,
        status: str,
        red_flag: bool,
        need_roles: list[str],
        need_coverage: float,
        owner: int,
        t_start: float,
        t_last: float,
    ) -> tuple[list[_Member], ContactInfo | None]:
        rng, sim = self.rng, self.sim
        if not contacts:
            return [], None
        if progress == 0 and status == OPEN and not need_roles and not need_coverage and rng.random() < 0.5:
            return [], None
        n = max(
            1, min(len(contacts), round(len(contacts) * (0.35 + 0.65 * progress) + rng.uniform(-0.5, 0.5)))
        )
        chosen = [contacts[0]] if rng.random() < 0.5 + 0.5 * progress else []
        rest = [c for c in contacts if not chosen or c.id != chosen[0].id]
        chosen += rng.sample(rest, max(0, n - len(chosen)))
        members = []
        for c in chosen:
            attitude = c.attitude
            if attitude == "oppose" and status != LOST and rng.random() < 0.3 + 0.5 * progress:
                attitude = "neutral"
            elif attitude == "neutral" and rng.random() < 0.3 * progress:
                attitude = "support"
            members.append(_Member(c, [r for r in c.roles if r != "coach"], attitude, c.influence))
        opponent = None
        if red_flag:
            highs = [m for m in members if m.influence == "high"]
            if not highs:
                top = contacts[0]
                members.append(_Member(top, [r for r in top.roles if r != "coach"], "oppose", "high"))
                highs = [members[-1]]
            opponent = rng.choice(highs)
            opponent.attitude, opponent.influence = "oppose", "high"
        elif rng.random() < (0.9 if status == WON else 0.15 + 0.75 * progress):
            supporters = [m for m in members if m.attitude == "support"]
            if not supporters:
                neutrals = [m for m in members if m.attitude == "neutral"]
                if neutrals and rng.random() < 0.5:
                    supporters = [rng.choice(neutrals)]
                    supporters[0].attitude = "support"
            if supporters:
                rng.choice(supporters).roles.append("coach")

        required = [r for r in self.cat.required_roles if not (red_flag and r == "coach")]
        needed = (
            math.ceil(need_coverage * len(self.cat.required_roles) - 1e-9) if self.cat.required_roles else 0
        )

        def covered() -> set[str]:
            return {r for m in members if m.attitude in SUPPORTIVE for r in m.roles}

        def give(role: str) -> None:
            friendly = [m for m in members if m.attitude in SUPPORTIVE and m is not opponent]
            if role == "coach":
                friendly = [m for m in friendly if m.attitude == "support"] or friendly
            if not friendly:
                others = [m for m in members if m is not opponent]
                if others:
                    friendly = [rng.choice(others)]
                else:
                    spare = [c for c in contacts if c.id not in {m.contact.id for m in members}]
                    if not spare:
                        return
                    c = rng.choice(spare)
                    members.append(_Member(c, [r for r in c.roles if r != "coach"], "neutral", c.influence))
                    friendly = [members[-1]]
            member = rng.choice(friendly)
            if member.attitude == "oppose" or role == "coach":
                member.attitude = "support" if role == "coach" else "neutral"
            if role not in member.roles:
                member.roles.append(role)

        for role in required:
            if role in covered():
                continue
            forced = role in need_roles or len(covered() & set(self.cat.required_roles)) < needed
            if forced or rng.random() < 0.2 + 0.7 * progress:
                give(role)
        for role in need_roles:
            if role not in covered() and not (red_flag and role == "coach"):
                give(role)

        coach = next((m.contact for m in members if "coach" in m.roles and m.attitude in SUPPORTIVE), None)
        span = max(0.0, t_last - t_start)
        for index, m in enumerate(members):
            added = t_start + span * min(0.9, index * 0.12 + rng.random() * 0.25)
            last_day = t_last - (rng.uniform(0, 45) if status == OPEN else rng.uniform(0, 20))
            is_key = m.influence == "high" or any(
                r in ("economic", "decision_maker", "coach") for r in m.roles
            )
            note = "内部教练，可提供采购进展信息" if "coach" in m.roles and rng.random() < 0.6 else ""
            if m is opponent:
                note = "倾向竞争对手，需重点攻关"
            at = sim.at(added)
            draft.members.append(
                (
                    m.contact.id,
                    list(m.roles),
                    m.attitude,
                    m.influence,
                    is_key,
                    sim.day(max(added, last_day)),
                    note,
                    owner,
                    at,
                    at,
                    1,
                )
            )
        return members, coach

    @staticmethod
    def _who(members: list[_Member], contacts: tuple[ContactInfo, ...], rng: random.Random) -> str:
        pool = [m.contact for m in members] or list(contacts)
        if not pool:
            return "客户"
        c = rng.choice(pool)
        return f"{c.title}{c.name}"

    # -- evidence, approvals, tasks ------------------------------------------------------------------------

    def _stage_window(
        self, i: int, spans: tuple, last_pass: dict[int, int], partial: bool, current: int
    ) -> tuple[float, float] | None:
        if i in last_pass:
            _i, start, end = spans[last_pass[i]]
            return start, end
        if partial and i == current:
            return spans[-1][1], spans[-1][2] if spans[-1][2] < 0 else -0.002
        return None

    def _evidence(
        self,
        draft: DealControlDraft,
        met: dict[int, bool],
        stages: tuple[StageSpec, ...],
        spans: tuple,
        last_pass: dict[int, int],
        won_stage: StageSpec | None,
        owner: int,
        omitted_types: set[str],
        partial: bool,
        members: list[_Member],
    ) -> None:
        rng, sim = self.rng, self.sim
        current = spans[-1][0]
        contacts = tuple(m.contact for m in members)
        plan = [
            (s, self._stage_window(i, spans, last_pass, partial, current), 0.2, 0.97)
            for i, s in enumerate(stages)
        ]
        if won_stage is not None:
            plan.append((won_stage, (spans[-1][1], spans[-1][2]), 0.9, 0.99))
        for stage, window, lo, hi in plan:
            if window is None:
                continue
            for c in self._criteria(stage.id):
                kind_code = str(c.config.get("evidence") or "")
                if c.kind != "evidence" or not met.get(c.id) or kind_code in omitted_types:
                    continue
                for _ in range(2 if rng.random() < 0.15 else 1):
                    t = self._moment(window[0], window[1], lo, hi)
                    when = sim.day(t)
                    title, notes = EVIDENCE_TEXTS.get(kind_code, (c.name_zh[:60], ["已按要求提交证明材料。"]))
                    note = rng.choice(notes).format(who=self._who([], contacts, rng) if contacts else "客户")
                    if rng.random() < 0.35:
                        kind, url = "link", f"https://pan.huagong-demo.cn/s/{rng.getrandbits(40):010x}"
                        note = note if rng.random() < 0.5 else ""
                    else:
                        kind, url = "note", ""
                    draft.evidence.append(
                        (
                            c.id,
                            kind_code[:60],
                            stage.id,
                            kind,
                            f"{title} {when.isoformat()}",
                            "",
                            "",
                            "",
                            0,
                            url,
                            note,
                            owner,
                            sim.at(t),
                            None,
                            None,
                            "",
                        )
                    )

    def _approvals(
        self,
        draft: DealControlDraft,
        met: dict[int, bool],
        stages: tuple[StageSpec, ...],
        spans: tuple,
        last_pass: dict[int, int],
        approver: int | None,
        partial: bool,
    ) -> None:
        if approver is None:
            return
        current = spans[-1][0]
        for i, stage in enumerate(stages):
            window = self._stage_window(i, spans, last_pass, partial, current)
            if window is None:
                continue
            for c in self._criteria(stage.id):
                if c.kind == "approval" and met.get(c.id):
                    t = self._moment(window[0], window[1], 0.7, 0.99)
                    draft.approvals.append(
                        (c.id, approver, self.sim.at(t), self.rng.choice(APPROVAL_NOTES), None, None)
                    )

    def _tasks(
        self,
        draft: DealControlDraft,
        met: dict[int, bool],
        stages: tuple[StageSpec, ...],
        spans: tuple,
        last_pass: dict[int, int],
        first_span: dict[int, int],
        won_stage: StageSpec | None,
        owner: int,
        team: tuple,
        status: str,
        p_met: float,
        omitted_tasks: set[str],
    ) -> None:
        rng, sim = self.rng, self.sim
        holders: dict[int, int] = {}
        for user_id, role_id, _added in team:
            holders.setdefault(role_id, user_id)
        current = spans[-1][0]
        reached = [(stages[i], i) for i in first_span]
        if won_stage is not None:
            reached.append((won_stage, -1))
        for stage, i in reached:
            specs = self.cat.tasks.get(stage.id, ())
            if not specs or (i >= 0 and i != current and i not in last_pass):
                continue  # (a stage left by moving back keeps no tasks here)
            task_criteria = {
                str(c.config.get("task")): c
                for c in self._criteria(stage.id)
                if c.kind == "task" and c.config.get("task")
            }
            if i >= 0:
                entered = spans[first_span[i]][1]
            else:
                entered = spans[-1][2]
            for spec in specs:
                criterion = task_criteria.get(spec.code)
                if i < 0:  # the closing stage of a won deal: done after the signing, unless very recent
                    t_close = spans[-1][2]
                    done_t = t_close + rng.uniform(0.5, 8.0)
                    done = done_t < -0.002
                elif i in last_pass:
                    done = spec.code not in omitted_tasks
                    done_t = self._moment(spans[last_pass[i]][1], spans[last_pass[i]][2], 0.3, 0.95)
                else:  # the current stage (or the one the deal was lost in)
                    done = met.get(criterion.id, False) if criterion else rng.random() < p_met
                    window_end = spans[-1][2] if spans[-1][2] < 0 else -0.002
                    done_t = self._moment(max(entered, spans[-1][1]), window_end, 0.2, 0.95)
                    if not done and status == LOST:
                        continue  # a lost deal keeps what was done
                assignee = holders.get(spec.role_id, owner) if spec.role_id else owner
                due = sim.day(entered) + timedelta(days=spec.due_days)
                done_at = sim.at(max(done_t, entered)) if done else None
                draft.tasks.append(
                    (
                        stage.id,
                        spec.stage_task_id,
                        spec.code,
                        spec.name_zh,
                        spec.name_en,
                        spec.standard_zh,
                        spec.standard_en,
                        spec.role_id,
                        assignee,
                        due,
                        done_at,
                        assignee if done else None,
                        rng.choice(TASK_NOTES) if done else "",
                        sim.at(entered),
                        1,
                    )
                )

    # -- C139 ----------------------------------------------------------------------------------------------

    def _c139(
        self,
        draft: DealControlDraft,
        met: dict[int, bool],
        stages: tuple[StageSpec, ...],
        spans: tuple,
        last_pass: dict[int, int],
        status: str,
        under: bool,
        owner: int,
        members: list[_Member],
        coach: ContactInfo | None,
        contacts: tuple[ContactInfo, ...],
    ) -> str:
        """One assessment in most stays of a stage (always where a C139 gate is passed or the level needs
        the rule), each confirming at least what the one before did; returns the latest result."""
        rng, sim, cat = self.rng, self.sim, self.cat
        rule = cat.rule
        clear_order = rng.sample(CLEAR_ITEMS, len(CLEAR_ITEMS))
        first_order = rng.sample(FIRST_ITEMS, len(FIRST_ITEMS))
        confirmed: set[str] = set()
        friendly = [m.contact for m in members if m.attitude in SUPPORTIVE] or [m.contact for m in members]
        first_day = sim.day(spans[0][1])
        result = ""
        last = len(spans) - 1
        for k, (i, start, end) in enumerate(spans):
            stage = stages[i]
            level = self._level(stage)
            gate = k == last_pass.get(i) or (k == last and status != WON and i not in last_pass)
            items: set[str] = set()
            need_clear = need_first = need_win = 0
            if gate:
                for c in self._criteria(stage.id):
                    which = c.config.get("assessment")
                    if c.kind != "assessment" or not met.get(c.id) or which not in ("c139", "c139_items"):
                        continue
                    if which == "c139_items" and isinstance(c.config.get("items"), list):
                        items |= {str(x) for x in c.config["items"] if str(x) in ITEMS}
                    elif "min" in c.config:
                        try:
                            wanted = parse_score(str(c.config["min"]))
                        except ValueError:
                            continue
                        need_clear, need_first = max(need_clear, wanted.clear), max(need_first, wanted.first)
                        need_win = max(need_win, wanted.win)
                    elif "min_clear" in c.config:
                        try:
                            need_clear = max(need_clear, int(c.config["min_clear"]))
                        except (TypeError, ValueError):
                            continue
            at_rule = level >= cat.developed_order and (status == OPEN or last_pass.get(i) == k)
            forced_under = under and k == last
            need = bool(items or need_clear or need_first or need_win) or (
                k == last and status == OPEN and (at_rule or forced_under)
            )
            if not need and not (
                (i >= 1 and rng.random() < 0.5) or (k == last and i >= 1 and rng.random() < 0.8)
            ):
                continue
            if level <= 1:
                clear, first, win = rng.randint(1, 3) + min(i, 2), 0, 0
            elif level == cat.contacted_order:
                clear, first, win = rng.randint(3, 6), 0, 0
            elif level < cat.developed_order:
                clear, first, win = rng.randint(6, 8), (1 if rng.random() < 0.3 else 0), 0
            else:
                clear, first = rng.randint(8, 9), rng.randint(1, 2 if level == cat.developed_order else 3)
                win = 1 if level > cat.developed_order and rng.random() < 0.25 else 0
            if at_rule:
                clear, first, win = max(clear, rule.clear), max(first, rule.first), max(win, rule.win)
            if forced_under:
                clear, first = max(clear, rule.clear, 8), max(first, rule.first, 1)
            clear, first, win = max(clear, need_clear), max(first, need_first), max(win, need_win)
            confirmed |= items
            for order, target in ((clear_order, clear), (first_order, first)):
                for item in order:
                    if sum(1 for x in order if x in confirmed) >= target:
                        break
                    confirmed.add(item)
            if win >= 1:
                confirmed.add("W1")
            lost_here = status == LOST and k == last
            against = lost_here and "W1" not in confirmed and rng.random() < 0.3
            negative_p = 0.2 if lost_here else 0.07
            t = self._moment(start, end if end < 0 else -0.002, 0.5 if gate else 0.3, 0.95)
            day = sim.day(t)
            answers = []
            for item in ITEMS:
                if item in confirmed:
                    who = (
                        coach
                        if coach is not None and rng.random() < 0.5
                        else (rng.choice(friendly) if friendly else (contacts[0] if contacts else None))
                    )
                    answers.append(
                        (
                            item,
                            "confirmed",
                            who.id if who else None,
                            max(first_day, day - timedelta(days=rng.randint(0, 10))),
                            "",
                        )
                    )
                elif item == "W1" and against:
                    answers.append((item, "negative", None, None, "最高决策者倾向竞争对手"))
                else:
                    negative = rng.random() < negative_p and item != "W1"  # W1 "against" only where intended
                    answers.append((item, "negative" if negative else "unknown", None, None, ""))
            # What is stored is what the domain rule gives for these answers, as the C139 service stores it.
            score = c139_domain.score({answer[0]: answer[1] for answer in answers})
            found = c139_domain.band(score, cat.band_rules)
            result = str(score)
            note = "与教练逐项核实" if coach is not None and rng.random() < 0.3 else ""
            draft.assessments.append(
                (
                    (
                        owner,
                        sim.at(t),
                        score.clear,
                        score.first,
                        score.win,
                        score.win_against,
                        result,
                        score.at_least(rule),
                        found.code,
                        found.low,
                        found.high,
                        note,
                    ),
                    answers,
                )
            )
        return result

    # -- bid / no-bid --------------------------------------------------------------------------------------

    def _bid_row(self, outcome: str, t: float, owner: int, account: AccountRef | None) -> tuple:
        rng, cat = self.rng, self.cat
        for _attempt in range(20):
            if outcome == "pursue":
                answers = tuple(1 if rng.random() < 0.85 else 0 for _ in range(4))
                signs = (rng.random() < 0.1, False, rng.random() < 0.1)
            elif outcome == "qualify":
                answers = tuple(rng.choice((1, 1, 0, 0, -1)) for _ in range(4))
                signs = (rng.random() < 0.3, rng.random() < 0.3, False)
            else:
                answers = tuple(rng.choice((0, -1, -1, 1)) for _ in range(4))
                signs = (rng.random() < 0.6, rng.random() < 0.6, rng.random() < 0.6)
            # The pursue-type conditions do not move the suggestion (kadence.domain.bid): drawn below.
            if (
                bid_domain.suggest(
                    bid_domain.BidAnswers(*answers, False, False, False, *signs), cat.bid_rules
                ).outcome
                == outcome
            ):
                break
        industry = account.industry if account else "enterprise"
        buyer = {"government": "government", "education": "government", "military": "military"}.get(
            industry, "enterprise"
        )
        pursue_like = outcome == "pursue"
        close_relationship = rng.random() < (0.7 if pursue_like else 0.2)
        conditions = (pursue_like or rng.random() < 0.6, close_relationship, rng.random() < 0.75)
        suggestion = bid_domain.suggest(bid_domain.BidAnswers(*answers, *conditions, *signs), cat.bid_rules)
        qualify_by = self.sim.day(t) + timedelta(days=cat.bid_qualify_days) if outcome == "qualify" else None
        note = (
            rng.choice(BID_NOTES[outcome])
            if suggestion.outcome == outcome
            else "经理评审后决定：" + rng.choice(BID_NOTES[outcome])
        )
        return (
            owner,
            self.sim.at(t),
            buyer,
            *answers,
            *conditions,
            *signs,
            suggestion.score,
            suggestion.outcome.value,
            outcome,
            qualify_by,
            note,
        )

    def _bids(
        self,
        draft: DealControlDraft,
        tpl: TemplateSpec,
        stages: tuple[StageSpec, ...],
        spans: tuple,
        last_pass: dict[int, int],
        status: str,
        owner: int,
        account: AccountRef | None,
    ) -> bool:
        """A "pursue" decision in the stay before the stage that checks it (an earlier "qualify" now and
        then); deals that have not got there yet may have one under way. True if the latest is pursue."""
        rng = self.rng
        n_open = len(stages)
        index = self.bid_index[tpl.id]
        optional = index is None
        if optional:
            index = max(1, round(0.6 * (n_open - 1)))
        pre = max(0, index - 1)
        current = spans[-1][0]
        decided = False
        if pre in last_pass and (pre < index or index in last_pass) and (not optional or rng.random() < 0.6):
            _i, start, end = spans[last_pass[pre]]
            if rng.random() < 0.25:
                draft.bids.append(
                    self._bid_row("qualify", self._moment(start, end, 0.05, 0.4), owner, account)
                )
            draft.bids.append(self._bid_row("pursue", self._moment(start, end, 0.5, 0.95), owner, account))
            decided = True
        elif current == pre and status != WON and pre not in last_pass:
            _i, start, end = spans[-1]
            if status == LOST and rng.random() < 0.4:
                draft.bids.append(
                    self._bid_row("abandon", self._moment(start, end, 0.3, 0.9), owner, account)
                )
            elif status == OPEN and rng.random() < 0.5:
                outcome = "pursue" if rng.random() < 0.6 else "qualify"
                draft.bids.append(self._bid_row(outcome, self._moment(start, end, 0.3, 0.95), owner, account))
                decided = outcome == "pursue"
        return decided

    # -- milestones ----------------------------------------------------------------------------------------

    def _milestones(
        self,
        draft: DealControlDraft,
        tpl: TemplateSpec,
        spans: tuple,
        last_pass: dict[int, int],
        status: str,
        owner: int,
        opp: list,
    ) -> None:
        """Planned dates from a plan made at creation (a little optimistic), re-planned by most reps of
        open deals that slip; actual dates when the deal left the stage."""
        rng, sim = self.rng, self.sim
        stages = tpl.open_stages
        current = spans[-1][0]
        t0 = spans[0][1]
        factor = rng.uniform(0.75, 1.05)
        planned = [t0 + factor * d for d in _cumulative(s.days for s in stages)]
        if status == OPEN and planned[current] < 3 and rng.random() < 0.6:
            shift = rng.uniform(5, 30) - planned[current]
            planned = planned[:current] + [p + shift for p in planned[current:]]
        if status == OPEN:  # what lies ahead is planned from today at the latest
            anchor = max(planned[current], 0.0)
            for i in range(current + 1, len(stages)):
                anchor += stages[i].days * factor
                planned[i] = max(planned[i], anchor)
        rows = [(i, s) for i, s in enumerate(stages) if status == OPEN or i <= current]
        closing = tpl.won_stage if tpl.won_stage and tpl.won_stage.id != stages[-1].id else None
        if closing is not None and status != LOST:
            rows.append((len(stages), closing))
        for i, stage in rows:
            plan_t = planned[min(i, len(stages) - 1)]
            planned_on = sim.day(plan_t)
            actual_t = None
            if status == WON:
                actual_t = spans[last_pass[i]][2] if i in last_pass else spans[-1][2]
            elif i < current and i in last_pass:
                actual_t = spans[last_pass[i]][2]
            if closing is not None and i == len(stages) and status == OPEN and opp[10] > planned_on:
                planned_on = opp[10]
            actual_on = sim.day(actual_t) if actual_t is not None else None
            slip = ((actual_on or sim.today) - planned_on).days
            note = (
                rng.choice(COMPETITION_NOTES)
                if slip > 14 and (actual_on or i == current) and rng.random() < 0.3
                else ""
            )
            touched = (
                actual_t if actual_t is not None else (t0 if i > current else max(t0, min(-0.002, plan_t)))
            )
            draft.milestones.append(
                (stage.id, planned_on, actual_on, note, "", owner, sim.at(min(touched, -0.002)), 1)
            )

    # -- expenses ------------------------------------------------------------------------------------------

    def _expenses(
        self,
        draft: DealControlDraft,
        spans: tuple,
        status: str,
        progress: float,
        owner: int,
        team: tuple,
        amount: Decimal,
    ) -> None:
        rng, sim = self.rng, self.sim
        if not self.categories:
            return
        t0 = spans[0][1]
        t1 = min(spans[-1][2], -1.0) if status != OPEN else -1.0
        if t1 <= t0:
            return
        codes = [code for _id, code in self.categories]
        ids = {code: cid for cid, code in self.categories}
        loggers = [owner] * 4 + [user for user, _role, _at in team]
        if rng.random() < BUDGET_SHARE:
            k = min(len(codes), rng.choice((2, 2, 3, 3, 4)))
            weights = [EXPENSE_WEIGHTS.get(c, 1) for c in codes]
            picked: list[str] = []
            while len(picked) < k:
                code = rng.choices(codes, weights=weights)[0]
                if code not in picked:
                    picked.append(code)
            total = float(amount) * rng.uniform(0.005, 0.02)
            shares = [EXPENSE_WEIGHTS.get(c, 1) * rng.uniform(0.6, 1.4) for c in picked]
            budgets = {
                c: max(500.0, round(total * s / sum(shares), -2)) for c, s in zip(picked, shares, strict=True)
            }
            set_at = sim.at(t0 + min(10.0, (t1 - t0) * 0.1) * rng.random())
            for code in picked:
                draft.budgets.append(
                    (ids[code], Decimal(int(budgets[code])).quantize(Decimal("0.01")), owner, set_at)
                )
            x = rng.random()
            if status == OPEN and x < 0.09:
                ratio = rng.uniform(0.8, 0.99)
            elif status == OPEN and x < 0.14:
                ratio = rng.uniform(1.0, 1.3)
            elif status == WON:
                ratio = rng.uniform(0.5, 1.05)
            else:
                ratio = min(0.78, 0.05 + progress * rng.uniform(0.3, 0.9))
            spend = {
                c: budgets[c] * ratio * (rng.uniform(0.85, 1.1) if ratio < 0.75 else 1.0) for c in picked
            }
        elif rng.random() < 0.4:
            code = "travel" if "travel" in ids else codes[0]
            spend = {code: float(amount) * rng.uniform(0.0005, 0.003)}
        else:
            return
        for code, total in spend.items():
            if total < 50:
                continue
            n = max(1, min(6, int(total // 3000) + rng.randint(0, 1)))
            parts = [rng.uniform(0.5, 1.5) for _ in range(n)]
            cents = [int(total * 100 * p / sum(parts)) for p in parts]
            cents[-1] += int(total * 100) - sum(cents)
            for part in cents:
                if part <= 0:
                    continue
                t = t0 + (t1 - t0) * rng.random()
                spent = sim.day(t)
                logged = min(sim.at(t + rng.uniform(0, 5)), sim.at(-0.002))
                draft.expenses.append(
                    (
                        ids[code],
                        Decimal(part) / 100,
                        spent,
                        rng.choice(EXPENSE_TEXTS.get(code, ["费用报销"])),
                        rng.choice(loggers),
                        logged,
                    )
                )


def write_control(writer: BulkWriter, opp_id: int, draft: DealControlDraft) -> None:
    """Write the deal-control rows of one opportunity."""
    for model, rows in (
        (Evidence, draft.evidence),
        (GateApproval, draft.approvals),
        (BidAssessment, draft.bids),
        (BuyingCentreMember, draft.members),
        (Milestone, draft.milestones),
        (OpportunityTask, draft.tasks),
        (ExpenseBudget, draft.budgets),
        (Expense, draft.expenses),
    ):
        if rows:
            first = writer.ids(model, len(rows))
            for offset, row in enumerate(rows):
                writer.add(model, (first + offset, opp_id, *row))
    for row, answers in draft.assessments:
        assessment_id = writer.ids(C139Assessment)
        writer.add(C139Assessment, (assessment_id, opp_id, *row))
        first = writer.ids(C139Answer, len(answers))
        for offset, answer in enumerate(answers):
            writer.add(C139Answer, (first + offset, assessment_id, *answer))


def recheck_open(opp_ids: list[int], stdout: Callable[[str], Any] | None = None) -> int:
    """Let the gate services derive level, staging flag and C139 result of the open deals written;
    returns how many they changed (the rows are generated to agree, so few or none)."""
    from kadence.deals.services.gates import opportunities_recheck

    changed = opportunities_recheck(opp_ids)
    if stdout:
        stdout(f"Rechecked {len(opp_ids):,} open deals against their evidence: {changed:,} changed.")
    return changed


def rebuild_summaries(stdout: Callable[[str], Any] | None = None) -> None:
    """Rows written in bulk bypass the services: recompute the report summaries from them."""
    from kadence.pipeline.summary import rebuild

    totals, flows = rebuild()
    if stdout:
        stdout(f"Summaries rebuilt: {totals:,} pipeline totals, {flows:,} stage flows.")


# --- planning: targets, forecasts, order forecasts, calibration ------------------------------------------

# Targets are stretched above what a seller booked over the year before (per seller and year), never below
# half their average quarter nor TARGET_MIN; a quarter's months get these shares (the last month the rest).
TARGET_STRETCH = (1.05, 1.3)
TARGET_FLOOR = Decimal("0.5")
TARGET_MIN = Decimal(300_000)  # a quarter's target at least (a seller new to the history)
MONTH_SHARES = (Decimal("0.30"), Decimal("0.33"))
WAN = Decimal(10_000)  # targets and calls are set in 万 (ten thousands)
# Forecast calls: most sellers submit for the next quarter in its last working days before it starts;
# some update mid-quarter; a manager adjusts some.
SUBMIT_SHARE = 0.9
UPDATE_SHARE = 0.3
ADJUST_SHARE = 0.2
UPDATE_AFTER_DAYS = 42
# `kadence forecast_snapshot --period-kind …` as a site would schedule it: the quarter (the default) every
# week, the month in its first week, the year in its first week.
SNAPSHOT_KINDS = ("quarter", "month", "year")
SNAPSHOT_HOUR = 6  # the cron line of the forecast_snapshot command runs at 06:00
ORDER_FORECAST_WEEKS = 30  # weeks of rolling order forecasts kept (the accuracy table looks back up to 26)
SUBMISSION_REASONS = [
    "",
    "",
    "按重点项目逐个评估",
    "含两个待签合同",
    "客户预算已落实，较有把握",
    "保守估计，部分项目可能推迟",
]
ADJUST_REASONS = [
    "历史预测偏乐观，按过往准确率下调",
    "两个项目决策推迟，下调",
    "重点项目已口头确认，上调",
    "竞争对手降价，赢率下调",
    "与销售逐单核对后调整",
]
STATE_FIELDS = ("status", "expected_close_date", "forecast_category", "closed_on", "amount", "probability")


class DealState(NamedTuple):
    """What the forecast reads of a deal at one moment (STATE_FIELDS, in that order)."""

    status: str
    expected_close_date: date
    forecast_category: str
    closed_on: date | None
    amount: Decimal
    probability: Decimal


class DealTimeline:
    """Each deal's forecast state over time, read back from the written stage history: the state a
    history row records holds from its `changed_at` on; the deal's current row holds from its
    `updated_at` (a close date fixed after the last move is in no history row). Before its first row
    a deal did not exist yet: it is shown as lost, which every forecast figure leaves out. Read
    forwards in time (`advance`), one pass over all the rows."""

    def __init__(self, events: list[tuple[datetime, int, DealState]], final: dict[int, DealState]):
        self.events = sorted(events, key=lambda row: row[0])  # stable: a current row stays after its history
        self.final = final
        self.cursor = 0
        first: dict[int, DealState] = {}
        for _moment, pk, state in self.events:
            first.setdefault(pk, state)
        self.before = {
            pk: state._replace(status=LOST, forecast_category=OMITTED, closed_on=None)
            for pk, state in first.items()
        }

    @classmethod
    def load(cls) -> DealTimeline:
        category = dict(Stage.objects.values_list("id", "default_level__default_forecast_category"))
        events: list[tuple[datetime, int, DealState]] = []
        for pk, moment, status, stage_id, close, amount, probability in StageChange.objects.order_by(
            "changed_at", "id"
        ).values_list(
            "opportunity_id",
            "changed_at",
            "status",
            "to_stage_id",
            "expected_close_date",
            "amount",
            "probability",
        ):
            closed_on = timezone.localdate(moment) if status != OPEN else None
            kind = {WON: BOOKED, LOST: OMITTED}.get(status) or category[stage_id]
            events.append((moment, pk, DealState(status, close, kind, closed_on, amount, probability)))
        final: dict[int, DealState] = {}
        for pk, updated_at, *values in Opportunity.objects.values_list("id", "updated_at", *STATE_FIELDS):
            final[pk] = DealState(*values)
            events.append((updated_at, pk, final[pk]))
        return cls(events, final)

    def advance(self, moment: datetime) -> dict[int, DealState]:
        """The states deals took since the previous call, up to just before `moment` (the latest per deal)."""
        changed: dict[int, DealState] = {}
        while self.cursor < len(self.events) and self.events[self.cursor][0] < moment:
            _moment, pk, state = self.events[self.cursor]
            changed[pk] = state
            self.cursor += 1
        return changed


def _share(rng: random.Random, low: float, high: float) -> Decimal:
    """A random factor in [low, high], to two decimals."""
    return Decimal(str(round(rng.uniform(low, high), 2)))


def _wan(value: Decimal) -> Decimal:
    """Rounded to 万, as people state targets and forecasts."""
    return (value / WAN).quantize(Decimal(1)) * WAN


class PlanningGenerator:
    """Targets, forecast submissions and adjustments, weekly forecast snapshots, rolling 4-week order
    forecasts and the calibration, consistent with the demo's deals and their history.

    Snapshots, submissions and order forecasts are made by walking the history week by week: before
    each day of the walk every deal is put back in the state it had at that day's start (DealTimeline),
    then the scheduled snapshot is taken by the service the `forecast_snapshot` command runs, and the
    figures behind submissions and order forecasts are read by the forecast selectors, as they would
    have been that day. The deals get their current state back at the end. Submissions are written as
    `forecast_submit` / `forecast_adjust` write them (those take today's date from the clock)."""

    def __init__(self, org: Org, today: date, seed: int):
        self.org, self.today, self.rng = org, today, stream(seed, "planning")
        people = [*org.reps, *(s for group in org.inside_by_region.values() for s in group)]
        self.sellers = {u.pk: u for u in User.objects.filter(pk__in=[s.id for s in people]).order_by("id")}
        self.team_of = {s.id: s.team_id for s in people}
        self.units = {u.pk: u for u in OrgUnit.objects.order_by("path")}
        self.admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("id").first()
        self.directors = dict(
            User.objects.filter(role=User.Role.DIRECTOR, is_active=True, org_unit__isnull=False)
            .order_by("id")
            .values_list("org_unit_id", "id")
        )
        self.history_start = today - timedelta(days=HISTORY_DAYS)
        self.applied: dict[int, DealState] = {}
        self.counts: dict[str, int] = defaultdict(int)
        meta, quote = Opportunity._meta, connection.ops.quote_name
        fields = [meta.get_field(name) for name in STATE_FIELDS]
        self.prep = [lambda v, f=f: f.get_db_prep_save(v, connection) for f in fields]
        columns = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        self.update_sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"

    def at(self, day: date, hour: float) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min)) + timedelta(hours=hour)

    # -- targets --------------------------------------------------------------------------------------------

    def targets(self) -> None:
        """Per seller (reps and inside sales) for every quarter from the one the history starts in to the
        end of this year, their months and (whole years only) the year; teams, regions and the company as
        the sums below them."""
        first = period_containing("quarter", self.history_start)
        last = period_containing("quarter", date(self.today.year, 12, 31))
        quarters = [first]
        while quarters[-1] != last:
            quarters.append(quarters[-1].shift(1))
        bookings: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
        won = Opportunity.objects.filter(status=WON, owner_id__in=list(self.sellers))
        for owner, closed_on, amount in won.values_list("owner_id", "closed_on", "amount"):
            bookings[owner].append((closed_on, amount))
        history_quarters = Decimal(max(1, sum(1 for q in quarters if q.start <= self.today)))
        per_user: dict[tuple[str, date], dict[int, Decimal]] = defaultdict(dict)
        stretch: dict[tuple[int, int], Decimal] = {}
        for seller in self.sellers:
            average = sum((a for _d, a in bookings[seller]), Decimal(0)) / history_quarters
            for quarter in quarters:
                year_end = min(quarter.end, self.today)
                trailing = sum(
                    (a for d, a in bookings[seller] if year_end - timedelta(days=365) < d <= year_end),
                    Decimal(0),
                )
                factor = stretch.setdefault((seller, quarter.start.year), _share(self.rng, *TARGET_STRETCH))
                amount = max(TARGET_MIN, _wan(max(trailing / 4, average * TARGET_FLOOR) * factor))
                per_user[("quarter", quarter.start)][seller] = amount
                months = [_wan(amount * share) for share in MONTH_SHARES]
                months.append(amount - sum(months))
                for offset, month_amount in enumerate(months):
                    per_user[("month", add_months(quarter.start, offset))][seller] = month_amount
        for year in sorted({q.start.year for q in quarters}):
            starts = [date(year, month, 1) for month in (1, 4, 7, 10)]
            if all(("quarter", s) in per_user for s in starts):
                for seller in self.sellers:
                    per_user[("year", starts[0])][seller] = sum(
                        per_user[("quarter", s)][seller] for s in starts
                    )
        rows = []
        for (kind, start), amounts in sorted(per_user.items()):
            created = min(self.at(start - timedelta(days=7), 10), self.at(self.today - timedelta(days=1), 10))
            per_unit: dict[int, Decimal] = defaultdict(Decimal)
            for seller, amount in amounts.items():
                team = self.team_of[seller]
                rows.append(
                    Target(
                        user_id=seller,
                        period_kind=kind,
                        period_start=start,
                        amount=amount,
                        created_by_id=self._setter(team),
                        created_at=created,
                        updated_at=created,
                    )
                )
                for unit_id in self._chain(team):
                    per_unit[unit_id] += amount
            for unit_id, amount in sorted(per_unit.items()):
                rows.append(
                    Target(
                        unit_id=unit_id,
                        period_kind=kind,
                        period_start=start,
                        amount=amount,
                        created_by_id=self._setter(self.units[unit_id].parent_id),
                        created_at=created,
                        updated_at=created,
                    )
                )
        Target.objects.bulk_create(rows, batch_size=1000)
        self.counts["planning_target"] += len(rows)

    def _chain(self, unit_id: int) -> list[int]:
        return [int(part) for part in self.units[unit_id].path.strip("/").split("/") if part]

    def _setter(self, unit_id: int | None) -> int | None:
        """Who sets the targets under `unit_id`: its manager (a team), its director (a region), else the admin."""
        managers = self.org.managers_by_team.get(unit_id or 0)
        if managers:
            return managers[0].id
        return self.directors.get(unit_id or 0) or (self.admin.pk if self.admin else None)

    # -- the walk through the history -------------------------------------------------------------------

    def walk(self, timeline: DealTimeline) -> None:
        """Snapshots on every Monday of the history (and today's, if today is one), submissions in the
        last working day before each quarter, mid-quarter updates, order forecasts in the last weeks."""
        mondays = []
        day = week_start(self.history_start) + timedelta(weeks=1)
        while day <= self.today:
            mondays.append(day)
            day += timedelta(weeks=1)
        submit_days: dict[date, Period] = {}
        update_days: dict[date, Period] = {}
        quarter = period_containing("quarter", self.history_start)
        while quarter.start <= self.today:
            following = quarter.shift(1)
            eve = following.start - timedelta(days=1)
            while eve.weekday() >= 5:
                eve -= timedelta(days=1)
            if self.history_start < eve < self.today:
                submit_days[eve] = following
            update = week_start(quarter.start + timedelta(days=UPDATE_AFTER_DAYS))
            if self.history_start < update < self.today and update in mondays:
                update_days[update] = quarter
            quarter = following
        first_orders = week_start(self.today) - timedelta(weeks=ORDER_FORECAST_WEEKS)
        orders: list[OrderForecast] = []
        for day in sorted(set(mondays) | set(submit_days)):
            self._set_states(timeline, self.at(day, 0))
            if day in mondays:
                for kind in SNAPSHOT_KINDS:
                    week_before = day - timedelta(weeks=1)
                    if kind == "quarter" or period_containing(kind, day) != period_containing(
                        kind, week_before
                    ):
                        forecast_snapshot_take(taken_on=day, period_kind=kind)
                self.counts["planning_forecastsnapshot"] += ForecastSnapshot.objects.filter(
                    source=ForecastSnapshot.Source.SCHEDULED, taken_on=day
                ).update(taken_at=self.at(day, SNAPSHOT_HOUR))
            if day in submit_days:  # every seller has submitted for the quarter a newcomer sees first
                period = submit_days[day]
                self._submit(day, period, 1.0 if period.contains(self.today) else SUBMIT_SHARE, adjust=True)
            if day in update_days:
                self._submit(day, update_days[day], UPDATE_SHARE, adjust=False)
            if day in mondays and day >= first_orders:
                orders += self._order_forecasts(day)
        OrderForecast.objects.bulk_create(orders, batch_size=1000)
        self.counts["planning_orderforecast"] += len(orders)
        self._set_states(timeline, None)

    def _set_states(self, timeline: DealTimeline, moment: datetime | None) -> None:
        """Put every deal in its state just before `moment` (None: its current state). One UPDATE per
        changed deal through executemany: bulk_update's CASE expressions are 10× slower here."""
        if moment is None:
            states = timeline.final
        else:
            states = timeline.advance(moment)
            if not self.applied:  # the first day: every deal, most of them not created yet
                states = {**timeline.before, **states}
        changed = []
        for pk, state in states.items():
            if self.applied.get(pk) != state:
                self.applied[pk] = state
                values = (None if v is None else prep(v) for prep, v in zip(self.prep, state, strict=True))
                changed.append((*values, pk))
        if changed:
            with connection.cursor() as cursor:
                cursor.executemany(self.update_sql, changed)

    def _submit(self, day: date, period: Period, share: float, *, adjust: bool) -> None:
        """Forecast submissions of the sellers for `period` on `day` (and some managers' adjustments), as
        forecast_submit / forecast_adjust record them: the figures of the seller's deals that day, the
        deals behind the call, and a snapshot with each."""
        rng = self.rng
        totals: dict[int, fc.CategoryTotals] = defaultdict(fc.CategoryTotals)
        for group in period_groups(Opportunity.objects.filter(owner_id__in=list(self.sellers)), period, day):
            totals[group.owner_id] = totals[group.owner_id] + group.totals
        snapshots = []
        for seller_id, seller in self.sellers.items():
            if rng.random() >= share:
                continue
            figures = totals[seller_id]
            # A seller's call: what is booked and committed, part of the best case and a little of the pipeline.
            call = _wan(
                (
                    figures.commit_call
                    + figures.best_case.amount * _share(rng, 0.4, 0.8)
                    + figures.pipeline.amount * _share(rng, 0.15, 0.35)
                )
                * _share(rng, 0.9, 1.1)
            )
            submitted_at = self.at(day, rng.uniform(9, 17))
            values = {
                "user_id": seller_id,
                "unit_id": self.team_of[seller_id],
                "period_kind": period.kind,
                "period_start": period.start,
                **self._figures(figures),
            }
            submission = ForecastSubmission.objects.create(
                kind=ForecastSubmission.Kind.SUBMISSION,
                forecast=call,
                reason=rng.choice(SUBMISSION_REASONS),
                deals=deals_behind(seller, period, day),
                submitted_by_id=seller_id,
                submitted_at=submitted_at,
                **values,
            )
            snapshots.append(self._snapshot(seller_id, period, day, submitted_at, figures, call))
            manager = self.org.managers_by_team.get(self.team_of[seller_id])
            if adjust and manager and call and rng.random() < ADJUST_SHARE:
                adjusted = _wan(
                    call * (_share(rng, 0.75, 0.95) if rng.random() < 0.6 else _share(rng, 1.05, 1.2))
                )
                adjusted_at = submitted_at + timedelta(hours=rng.uniform(0.5, 4))
                ForecastSubmission.objects.create(
                    kind=ForecastSubmission.Kind.ADJUSTMENT,
                    forecast=adjusted,
                    adjusts=submission,
                    reason=rng.choice(ADJUST_REASONS),
                    submitted_by_id=manager[0].id,
                    submitted_at=adjusted_at,
                    **values,
                )
                snapshots.append(self._snapshot(seller_id, period, day, adjusted_at, figures, adjusted))
                self.counts["planning_forecastsubmission"] += 1
            self.counts["planning_forecastsubmission"] += 1
        ForecastSnapshot.objects.bulk_create(snapshots)
        self.counts["planning_forecastsnapshot"] += len(snapshots)

    @staticmethod
    def _figures(totals: fc.CategoryTotals) -> dict[str, Decimal]:
        return {
            "booked": totals.booked.amount,
            "commit": totals.commit.amount,
            "best_case": totals.best_case.amount,
            "pipeline": totals.pipeline.amount,
            "weighted": totals.weighted,
        }

    def _snapshot(
        self,
        seller_id: int,
        period: Period,
        day: date,
        at: datetime,
        totals: fc.CategoryTotals,
        forecast: Decimal,
    ) -> ForecastSnapshot:
        return ForecastSnapshot(
            source=ForecastSnapshot.Source.SUBMISSION,
            taken_on=day,
            taken_at=at,
            user_id=seller_id,
            period_kind=period.kind,
            period_start=period.start,
            next_quarter=totals.next_quarter.amount,
            forecast=forecast,
            open_count=totals.open_count,
            **self._figures(totals),
        )

    def _order_forecasts(self, monday: date) -> list[OrderForecast]:
        """Each seller's orders for the next four weeks, made on `monday`: the weighted amount of their open
        deals expected to close in each week, in 万."""
        weeks = next_week_starts(monday)
        rows = (
            Opportunity.objects.filter(
                status=OPEN,
                owner_id__in=list(self.sellers),
                expected_close_date__range=(weeks[0], weeks[-1] + timedelta(days=6)),
            )
            .annotate(week=TruncWeek("expected_close_date"))
            .values("owner_id", "week")
            .annotate(total=Sum(WEIGHTED))
            .order_by()
        )
        expected: dict[tuple[int, date], Decimal] = {}
        for row in rows:
            week = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
            expected[(row["owner_id"], week)] = row["total"] or Decimal(0)
        created = self.at(monday, 9.5)
        return [
            OrderForecast(
                user_id=seller,
                made_on=monday,
                week_start=week,
                amount=_wan(expected.get((seller, week), Decimal(0))),
                created_at=created,
            )
            for seller in self.sellers
            for week in weeks
        ]

    def calibrate(self) -> None:
        """What `kadence calibrate` runs, over the history up to today."""
        self.counts["planning_calibration"] += calibration_recompute(None, as_of=self.today)


def load_planning(
    org: Org, today: date, seed: int, stdout: Callable[[str], Any] | None = None
) -> dict[str, int]:
    """Targets, forecasts, order forecasts and calibration for the demo deals just written (see
    PlanningGenerator); returns the rows written per table."""
    generator = PlanningGenerator(org, today, seed)
    generator.targets()
    generator.walk(DealTimeline.load())
    generator.calibrate()
    if stdout:
        stdout("Targets, forecast submissions, weekly snapshots, order forecasts and calibration written.")
    return dict(generator.counts)


# --- the two use cases ----------------------------------------------------------------------------------


@transaction.atomic
def load_demo_company(
    seed: int = 42,
    today: date | None = None,
    *,
    accounts: int = DEMO_ACCOUNTS,
    opportunities: int = DEMO_OPPORTUNITIES,
    deal_control: bool = True,
    stdout: Callable[[str], Any] | None = None,
) -> dict[str, int]:
    """Create the demo company in the current database (org, users, catalogue, accounts, deals,
    history, activities and, with `deal_control`, each deal's evidence, approvals, assessments, buying
    centre, milestones, tasks and expenses) in one transaction; returns the number of rows written per
    table. The open deals are then rechecked against their evidence (level, staging flag)."""
    today = today or timezone.localdate()
    create_org(stdout)
    create_catalog()
    catalog, org = load_catalog(), load_org()
    drafts = generate_accounts(stream(seed, "accounts"), accounts, org, _region_codes())

    # Accounts get their ids first (opportunities point at them), but are written after the deals are
    # simulated, so that their status and buying power can follow the deals.
    writer = BulkWriter(BASE_TABLES + (CONTROL_TABLES if deal_control else []))
    first_account = writer.next_id[Account]
    refs = [
        AccountRef(first_account + i, d.name, d.industry, d.size, d.owner_id, d.region_id)
        for i, d in enumerate(drafts)
    ]
    simulator = OpportunitySimulator(catalog, org, refs, today, seed)
    lives = list(generate_opportunities(simulator, opportunities, seed))
    drafts = _settle_accounts(drafts, lives, refs, today, stream(seed, "settle"))
    refs = write_accounts(writer, drafts, catalog, today)  # allocates the same ids, in the same order
    by_id = {ref.id: ref for ref in refs}
    activities = ActivityGenerator(simulator, seed)
    control = (
        DealControlGenerator(simulator, load_control_catalog(org), contact_infos(drafts, refs), seed)
        if deal_control
        else None
    )
    open_ids = []
    for life in lives:
        if control is not None:
            life, draft = control.apply(life)
        opp_id = write_opportunity(writer, life)
        if control is not None:
            write_control(writer, opp_id, draft)
            if life.opportunity[12] == OPEN:
                open_ids.append(opp_id)
        write_activities(writer, activities.for_opportunity(life, opp_id, by_id[life.opportunity[1]]))
    for ref in refs:
        inside = org.inside_by_region.get(ref.region_id)
        write_activities(writer, activities.for_account(ref, ref.owner_id, inside[0].id if inside else None))
    counts = writer.close()
    if control is not None:
        recheck_open(open_ids, stdout)
    counts.update(load_planning(org, today, seed, stdout))
    rebuild_summaries(stdout)
    counts["core_user"] = User.objects.count()
    counts["core_orgunit"] = OrgUnit.objects.count()
    return counts


def seed_opportunities(
    count: int,
    *,
    seed: int = 42,
    today: date | None = None,
    batch_size: int = 20_000,
    accounts: int | None = None,
    activities: bool = True,
    deal_control: bool = False,
    progress: Callable[[int], Any] | None = None,
    stdout: Callable[[str], Any] | None = None,
) -> dict[str, int]:
    """Add `count` simulated opportunities (with history, product lines, competitors, deal teams and,
    with `activities`, one activity each) and `accounts` new accounts (default count / 20) with
    contacts, for benchmarks. With `deal_control`, each deal also gets its evidence, approvals,
    assessments, buying centre, milestones, tasks and expenses and the open ones are rechecked (about
    25 more rows per deal: meant for up to some thousands of deals). Creates the demo org, users and
    catalogue first when the database has no company. One transaction; `progress(n)` is called as
    deals are written."""
    today = today or timezone.localdate()
    with transaction.atomic():
        if not OrgUnit.objects.filter(code=COMPANY_CODE).exists():
            create_org(stdout)
        create_catalog()
        catalog, org = load_catalog(), load_org()
        if not org.reps:
            raise RuntimeError("There are no sales reps in teams to own the opportunities.")
        n_accounts = accounts if accounts is not None else max(1, count // 20)
        writer = BulkWriter(
            BASE_TABLES + (CONTROL_TABLES if deal_control else []),
            batch_size=batch_size,
            defer_constraints=True,
        )
        drafts = generate_accounts(stream(seed, "seed-accounts"), n_accounts, org, _region_codes())
        refs = write_accounts(writer, drafts, catalog, today)
        simulator = OpportunitySimulator(catalog, org, refs, today, seed)
        generator = ActivityGenerator(simulator, seed) if activities else None
        control = (
            DealControlGenerator(simulator, load_control_catalog(org), contact_infos(drafts, refs), seed)
            if deal_control
            else None
        )
        open_ids = []
        by_id = {ref.id: ref for ref in refs}
        done = 0
        for life in generate_opportunities(simulator, count, seed):
            if control is not None:
                life, draft = control.apply(life)
            opp_id = write_opportunity(writer, life)
            if control is not None:
                write_control(writer, opp_id, draft)
                if life.opportunity[12] == OPEN:
                    open_ids.append(opp_id)
            if generator is not None:
                write_activities(
                    writer, [generator.one_for_opportunity(life, opp_id, by_id[life.opportunity[1]])]
                )
            done += 1
            if progress and done % 1000 == 0:
                progress(1000)
        if progress and done % 1000:
            progress(done % 1000)
        counts = writer.close()
        if control is not None:
            recheck_open(open_ids, stdout)
        rebuild_summaries(stdout)
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner of the benchmarks that follow guesses badly.
        with connection.cursor() as cursor:
            for model in writer.models:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts
