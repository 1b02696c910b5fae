"""The approval inbox (issue 13 §5): everything waiting for a manager, in one place."""
