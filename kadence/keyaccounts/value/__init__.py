"""BP, SOW, SOA and the remaining opportunity; the RAD matrix; ABC classes (issue 15 items 2–4). The pure rules
are in kadence.domain.kam.value; docs/keyaccounts-value.md describes the whole part."""
