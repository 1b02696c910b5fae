"""Management commands of the demo app: demo, load_demo, seed."""
