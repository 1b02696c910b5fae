"""The shipped KPI defaults (seed 000 大客户部考核指标量化, METHODOLOGY §10.6): the scorecard of each
selling role and the five grades of the annual ranking. Loaded by migration 0003_kpi; an admin edits
the rows afterwards. Weights per role add up to 100."""

from __future__ import annotations

from typing import Any

# (code, metric, 中文, English, weight, target, curve, floor)
REP_KPIS: list[tuple[str, str, str, str, int, int, str, int]] = [
    ("revenue", "revenue", "销售额目标达成率", "Revenue vs target", 35, 100, "linear", 0),
    ("growth", "growth", "销售增长率", "Revenue growth", 10, 10, "linear", 0),
    ("new-customers", "new_customers", "新客户开发", "New customers", 10, 100, "linear", 0),
    ("new-old-ratio", "new_old_ratio", "新老客户比例", "New / old customers", 5, 30, "linear", 0),
    ("effective-visits", "effective_visits", "有效拜访达成率", "Effective visits", 10, 100, "linear", 0),
    ("forecast-accuracy", "forecast_accuracy", "预测准确率", "Forecast accuracy", 10, 90, "floor", 50),
    ("expense-ratio", "expense_ratio", "销售费用率", "Expense ratio", 5, 5, "linear", 0),
    ("gate-compliance", "gate_compliance", "阶段关口合规率", "Stage-gate compliance", 5, 100, "linear", 0),
    ("satisfaction", "satisfaction", "客户满意度", "Customer satisfaction", 10, 90, "linear", 0),
]
INSIDE_KPIS: list[tuple[str, str, str, str, int, int, str, int]] = [
    ("revenue", "revenue", "销售额目标达成率", "Revenue vs target", 30, 100, "linear", 0),
    ("growth", "growth", "销售增长率", "Revenue growth", 15, 10, "linear", 0),
    ("new-customers", "new_customers", "新客户开发", "New customers", 15, 100, "linear", 0),
    ("new-old-ratio", "new_old_ratio", "新老客户比例", "New / old customers", 5, 30, "linear", 0),
    ("forecast-accuracy", "forecast_accuracy", "预测准确率", "Forecast accuracy", 10, 90, "floor", 50),
    ("gate-compliance", "gate_compliance", "阶段关口合规率", "Stage-gate compliance", 10, 100, "linear", 0),
    ("satisfaction", "satisfaction", "客户满意度", "Customer satisfaction", 15, 90, "linear", 0),
]
DEFAULT_KPIS = {"rep": REP_KPIS, "inside": INSIDE_KPIS}

# (code, 中文, English, minimum score)
GRADE_BANDS: list[tuple[str, str, str, int]] = [
    ("excellent", "优秀", "Excellent", 90),
    ("good", "良好", "Good", 80),
    ("fair", "中等", "Fair", 70),
    ("pass", "及格", "Pass", 60),
    ("poor", "差", "Poor", 0),
]


def load(get_model: Any) -> None:
    """Create the default KPIs (version 1, kept in the history) and the grade bands when missing."""
    definition_model = get_model("performance", "KpiDefinition")
    version_model = get_model("performance", "KpiDefinitionVersion")
    band_model = get_model("performance", "GradeBand")
    for role, rows in DEFAULT_KPIS.items():
        for order, (code, metric, zh, en, weight, target, curve, floor) in enumerate(rows):
            definition, created = definition_model.objects.get_or_create(
                role=role,
                code=code,
                defaults={
                    "metric": metric,
                    "name_zh": zh,
                    "name_en": en,
                    "weight": weight,
                    "target": target,
                    "curve": curve,
                    "floor": floor,
                    "sort_order": order,
                },
            )
            if created:
                values = {"role": role, "code": code, "metric": metric, "name_zh": zh, "name_en": en}
                values.update(weight=str(weight), target=str(target), curve=curve, floor=str(floor))
                version_model.objects.create(definition=definition, version=1, values=values)
    for code, zh, en, low in GRADE_BANDS:
        band_model.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en, "min_score": low})
