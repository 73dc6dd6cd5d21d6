"""A campaign's creatives as stored: variants, each with a status and its versions.

Each version is its own catalogue item, so every slot, charge and event
names the version that was served; an edit adds a version and retires the
previous one's item. Only the current version of an approved variant serves
(`CampaignCreative.serves`); review has passed on it, or it was stored
before review existed (`review is None`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Status = Literal["draft", "approved", "rejected", "paused"]
STATUSES: tuple[Status, ...] = ("draft", "approved", "rejected", "paused")
CreativeOrigin = Literal["typed", "generated", "audience"]


@dataclass(frozen=True)
class CreativeVersion:
    version: int
    item_pk: int
    item_id: str  # the catalogue item's external id
    headline: str | None  # None: a text-only ad, headed by the product's name
    primary_text: str
    call_to_action: str
    landing_url: str | None  # None: the brief's
    # (rule, reason) of every rule review found broken; () approved; None:
    # stored before review existed.
    review: tuple[tuple[str, str], ...] | None
    created_at: datetime

    @property
    def passed_review(self) -> bool:
        return not self.review

    @property
    def text(self) -> str:
        """What the viewer reads, and what the content embedding is of."""
        if self.headline is None:
            return self.primary_text
        return f"{self.headline}\n{self.primary_text}"


@dataclass(frozen=True)
class CampaignCreative:
    """One variant of a campaign's ad, with every version it has had (oldest first)."""

    id: int
    campaign_id: int
    status: Status
    origin: CreativeOrigin
    angle: str | None
    model: str | None
    version: int  # the current version's number
    versions: tuple[CreativeVersion, ...]
    created_at: datetime
    updated_at: datetime

    @property
    def current(self) -> CreativeVersion:
        return next(v for v in self.versions if v.version == self.version)

    @property
    def serves(self) -> bool:
        return self.status == "approved" and self.current.passed_review


@dataclass(frozen=True)
class NewVersion:
    """A version to store: its text, its embedding, and review's verdict on it."""

    headline: str | None
    primary_text: str
    call_to_action: str
    landing_url: str | None
    review: tuple[tuple[str, str], ...]
    embedding: bytes | None
    encoder: str | None

    @property
    def text(self) -> str:
        if self.headline is None:
            return self.primary_text
        return f"{self.headline}\n{self.primary_text}"


@dataclass(frozen=True)
class NewCreative:
    """A variant to add to a campaign: its first version and what it starts as."""

    first: NewVersion
    status: Status
    origin: CreativeOrigin = "typed"
    angle: str | None = None
    model: str | None = None
