"""Commission plans and statements (issue 14 §7, METHODOLOGY §10.7)."""
