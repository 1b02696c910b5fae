"""Kadence management commands: load_demo, seed."""
