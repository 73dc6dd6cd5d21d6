"""A campaign's report per creative: each version's figures, labels, and whom it won with.

Every version is its own item, so its impressions, clicks, results and
spend are its own; an edit starts the new version from zero and the old
one's figures stay in the report. Labels (`unifeed.ads.variants.labels`)
compare the current versions of the variants that can still serve, on
results per impression. "Won with" is where a version's impressions went
compared with the campaign's: the group of each dimension whose share of
its impressions is highest over the group's share of the campaign's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from unifeed.ads.audience_groups import Groups, shares_of
from unifeed.ads.campaigns import Campaign
from unifeed.ads.records.creatives import CreativeRecords
from unifeed.ads.records.reports import ItemFigures, ReportRecords
from unifeed.ads.variants import BEST, MIN_IMPRESSIONS, labels
from unifeed.store import Store

WON_DIMENSIONS = ("age", "gender", "interest")
MIN_GROUP_SHARE = 0.05  # a group smaller than this share of a version's impressions wins nothing
TEST = (
    f"labels compare results per impression of the variants that can serve, once each has "
    f"{MIN_IMPRESSIONS} impressions: 'best' when the Beta(1 + results, 1 + impressions - "
    f"results) posterior gives it a probability above {BEST} of being the highest, 'low' when "
    f"it is below the leader with probability above {BEST}, 'good' otherwise, 'learning' before"
)


def creative_report(
    store: Store, c: Campaign, campaign_shown: Mapping[int, int], dims: Groups
) -> dict[str, Any]:
    """Every version of every variant with its figures; labels on the current versions."""
    variants = CreativeRecords(store).of_campaign(c.id)
    figures = ReportRecords(store).by_item(c.id)
    empty = ItemFigures(0, 0, 0, 0, 0.0, Counter())
    campaign_shares = {d: shares_of(campaign_shown, dims, d) for d in WON_DIMENSIONS}
    rows: list[dict[str, Any]] = []
    compared: list[int] = []  # rows of the current versions that may serve
    for v in variants:
        for version in v.versions:
            f = figures.get(version.item_pk, empty)
            current = version.version == v.version
            if current and v.status in ("approved", "paused"):
                compared.append(len(rows))
            rows.append(
                {
                    "creative_id": v.id,
                    "version": version.version,
                    "current": current,
                    "status": v.status if current else "retired",
                    "origin": v.origin,
                    "angle": v.angle,
                    "item_id": version.item_id,
                    "headline": version.headline,
                    "primary_text": version.primary_text,
                    "impressions": f.impressions,
                    "reach": len(f.shown),
                    "clicks": f.clicks,
                    "ctr": f.clicks / f.impressions if f.impressions else None,
                    "results": f.results,
                    "spend_minor": f.spend,
                    "cost_per_result_minor": f.spend / f.results if f.results else None,
                    "value_minor": f.value,
                    "label": None,
                    "p_best": None,
                    "won_with": won_with(f.shown, dims, campaign_shares),
                }
            )
    if compared:
        results = np.array([rows[i]["results"] for i in compared])
        shown = np.array([rows[i]["impressions"] for i in compared])
        named, p = labels(results, shown, seed=c.id)
        for i, label, pb in zip(compared, named, p, strict=True):
            rows[i]["label"] = label
            rows[i]["p_best"] = None if np.isnan(pb) else float(pb)
    return {"test": TEST, "variants": rows}


def won_with(
    shown: Mapping[int, int], dims: Groups, campaign: Mapping[str, Mapping[str, float]]
) -> dict[str, Any]:
    """Per dimension: the version's shares of impressions against the campaign's,
    and the group it leans to most (None before it has impressions)."""
    out: dict[str, Any] = {}
    for d in WON_DIMENSIONS:
        own = shares_of(shown, dims, d)
        lift = {
            g: s / campaign[d][g]
            for g, s in own.items()
            if s >= MIN_GROUP_SHARE and campaign[d].get(g)
        }
        top = max(lift, key=lambda g: (lift[g], g)) if lift else None
        out[d] = {
            "group": top,
            "lift": None if top is None else lift[top],
            "shares": own,
            "campaign_shares": dict(campaign[d]),
        }
    return out
