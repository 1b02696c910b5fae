"""Activity quotas (活动目标, issue 13 §1, METHODOLOGY §10.3) and the team leaderboard of effort (§8)."""
