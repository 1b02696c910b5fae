"""Kadence management commands: serve, token."""
