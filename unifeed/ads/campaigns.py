"""A stored campaign: its spec, and what the store adds to it.

Its own module, below the records that read and write it
(`unifeed.ads.records.campaigns`), so that delivery, billing and reports can
hold one without importing the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

from unifeed.ads.campaign_spec import CampaignSpec
from unifeed.store.db import as_utc


@dataclass(frozen=True, kw_only=True)
class Campaign(CampaignSpec):
    """A stored campaign: its spec, and what the store adds to it."""

    id: int
    public_id: str
    advertiser_id: int
    status: str
    created_at: datetime
    # The items that serve: the current versions of its approved variants.
    creative_item_ids: list[int] = field(default_factory=list)
    # Its other items (earlier versions, drafts, paused or rejected
    # variants): never served, but a viewer's views of them are exposures.
    past_item_ids: list[int] = field(default_factory=list)

    @property
    def spec(self) -> CampaignSpec:
        return CampaignSpec(**{f.name: getattr(self, f.name) for f in fields(CampaignSpec)})

    def live_at(self, t: datetime) -> bool:
        return self.status == "active" and self.start_at <= as_utc(t) < self.end_at
