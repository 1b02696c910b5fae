"""KPI scorecards (绩效考核, issue 14 §4) and the performance leaderboards (§5)."""
