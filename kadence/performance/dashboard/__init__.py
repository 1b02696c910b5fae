"""The director's dashboard (issue 14 §8): attainment against target for every unit with drill-down, the
year's trend of booked + forecast against target, the V值 and KPI-grade distributions, the regional
anomalies; and the attainment strips of the home page. See docs/performance-dashboard.md."""
