"""Kadence management commands: demo, load_demo, seed."""
