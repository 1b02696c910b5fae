"""The writes of the insights pages: what a manager decides from a report (the outcome of a stalled
deal), done through the services of the capability apps below."""
