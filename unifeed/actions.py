"""The actions an app reports, and which of them say the user wanted the item."""

from __future__ import annotations

# What a user did after seeing an item. Ads results (purchase, lead, install)
# are actions like any other, so one model learns them all.
POSITIVE_ACTIONS: tuple[str, ...] = (
    "click",
    "like",
    "share",
    "long_view",
    "comment",
    "purchase",
    "lead",
    "install",
)
ACTIONS: tuple[str, ...] = ("impression", *POSITIVE_ACTIONS, "hide")
