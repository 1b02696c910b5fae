"""Key-account management's pure rules (issue 15, METHODOLOGY §11): no Django, dates and numbers in."""
