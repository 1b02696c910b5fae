"""Pure domain calculations (no Django imports): funnel math, forecasts, assessments."""
