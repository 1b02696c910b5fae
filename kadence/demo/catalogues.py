"""What the demo company is made of: its organisation and people, its products and competitors, the
geography, organisation and person names, and the texts its accounts, deals and activities are written
with. Plain data; the generators draw from it with their seeded random streams.
"""

from __future__ import annotations

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
