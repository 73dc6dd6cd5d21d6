"""The actions an app reports, and which of them say the user wanted the item."""

from __future__ import annotations

# What a user did after seeing an item. Ads results (purchase, lead, install)
# are actions like any other, so one model learns them all; so is asking a
# creator's assistant ("ask", recorded on each post its answer cites).
POSITIVE_ACTIONS: tuple[str, ...] = (
    "click",
    "like",
    "share",
    "long_view",
    "comment",
    "purchase",
    "lead",
    "install",
    "ask",
)
ACTIONS: tuple[str, ...] = ("impression", *POSITIVE_ACTIONS, "hide")
