"""Deal-control use cases (writes), one module per capability. Every service checks access through
kadence.core.visibility, runs in one transaction and writes audit rows; anything that can change what
a gate verifies ends by calling gates.opportunity_recheck so the level follows the evidence."""
