"""Key-account management rules (issue 15, METHODOLOGY §11): pure functions, no Django."""
