"""Shipped defaults of the accounts app: the seven industries of seed 004. Loaded once by a data
migration; afterwards an admin edits them."""

# (code, 中文, English)
INDUSTRIES = [
    ("government", "政府", "Government"),
    ("military", "军工", "Military"),
    ("enterprise", "企业", "Enterprise"),
    ("education", "教育", "Education"),
    ("finance", "金融", "Finance"),
    ("power", "电力", "Power"),
    ("telecom", "电信", "Telecom"),
]


def load_industries(apps) -> None:
    """Create whatever of the industries is missing (by code); never touch rows that exist."""
    Industry = apps.get_model("accounts", "Industry")
    for order, (code, zh, en) in enumerate(INDUSTRIES):
        Industry.objects.get_or_create(code=code, defaults=dict(name_zh=zh, name_en=en, order=order))
