"""The 1-15-30 cadence (METHODOLOGY §10.4) and the debrief talks and ride-alongs (§10.5)."""
