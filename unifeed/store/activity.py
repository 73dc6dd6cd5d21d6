"""What a feed request needs to know of its user, read in one go.

A page asks who the user is (their attributes, for the ads' legal checks),
what they have seen (left out of the page; an ad's views wear it out), what
they acted on (an ad is not shown again after it) and their recent history
(the model's input). All of it comes from the user's row and their events,
so `Store.activity` reads both in one connection and this derives the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UserActivity:
    pk: int
    attributes: dict[str, Any]  # age, gender, country, language
    events: list[tuple[int, str]] = field(default_factory=list)  # (item pk, action), oldest first

    def history(self, actions: Sequence[str], limit: int) -> list[tuple[int, str]]:
        """The newest `limit` events with these actions, oldest first."""
        wanted = set(actions)
        kept = [(item, a) for item, a in self.events if a in wanted]
        return kept[-limit:] if limit > 0 else []

    def seen(self) -> dict[int, int]:
        """Items the user has any event on (they saw it), each with its impressions."""
        out: dict[int, int] = {}
        for item, action in self.events:
            out[item] = out.get(item, 0) + (action == "impression")
        return out

    def acted(self, actions: Sequence[str]) -> dict[int, set[str]]:
        """Items the user did any of `actions` on, each with which of them."""
        wanted = set(actions)
        out: dict[int, set[str]] = {}
        for item, action in self.events:
            if action in wanted:
                out.setdefault(item, set()).add(action)
        return out
