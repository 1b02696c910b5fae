"""Reports and dashboards (reads only)."""
