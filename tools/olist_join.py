"""Prepare the Olist marketing funnel for `kadence import` (docs/import.md, "Olist"): one row per
marketing-qualified lead (MQL), joined with its closed deal when it has one.

    python tools/olist_join.py ../shared/data/olist-marketing-funnel olist_deals.csv

Reads the normalised files (ISO dates): olist_marketing_qualified_leads_normalized.csv (8,000 MQLs) and
olist_closed_deals_normalized.csv (842 deals, each one MQL: the join key is mql_id). Writes, in the MQL
file's order, the columns mql_id, first_contact_date, origin, landing_page_id, status ("won" for an MQL
with a closed deal, else empty: the data does not say whether it is lost or still open — the import's
default decides), won_date, seller_id, sr_id, sdr_id, business_segment, lead_type,
declared_monthly_revenue. Standard library only; the output is the same for the same input.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

MQLS = "olist_marketing_qualified_leads_normalized.csv"
DEALS = "olist_closed_deals_normalized.csv"
COLUMNS = [
    "mql_id",
    "first_contact_date",
    "origin",
    "landing_page_id",
    "status",
    "won_date",
    "seller_id",
    "sr_id",
    "sdr_id",
    "business_segment",
    "lead_type",
    "declared_monthly_revenue",
]


def join(folder: Path, out: Path) -> int:
    """Write the joined file; returns the number of rows written."""
    with (folder / DEALS).open(newline="", encoding="utf-8") as handle:
        deals = {row["mql_id"]: row for row in csv.DictReader(handle)}
    written = 0
    with (
        (folder / MQLS).open(newline="", encoding="utf-8") as handle,
        out.open("w", newline="", encoding="utf-8") as target,
    ):
        writer = csv.DictWriter(target, COLUMNS)
        writer.writeheader()
        for mql in csv.DictReader(handle):
            deal = deals.pop(mql["mql_id"], None) or {}
            writer.writerow(
                {
                    **{
                        k: mql.get(k, "")
                        for k in ("mql_id", "first_contact_date", "origin", "landing_page_id")
                    },
                    "status": "won" if deal else "",
                    **{k: deal.get(k, "") for k in COLUMNS[5:]},
                }
            )
            written += 1
    if deals:
        raise SystemExit(f"{len(deals)} closed deal(s) name no MQL of the file")
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    print(join(Path(sys.argv[1]), Path(sys.argv[2])), "rows")
