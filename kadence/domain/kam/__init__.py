"""Pure rules of key-account management (issue 15): no Django, no database."""
