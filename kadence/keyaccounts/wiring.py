"""Where the key-account parts meet the pages below them (imported once by KeyAccountsConfig.ready): the
home page's slots (kadence.insights.home_slots)."""

from __future__ import annotations
