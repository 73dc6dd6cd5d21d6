"""What ad serving reads: an immutable snapshot of every live campaign and the fitted models.

The learner (`unifeed.ads.learner`) builds one after each refresh or refit
and publishes it by swapping one reference, as `unifeed.serving.catalogue`
publishes catalogue views; a request takes one snapshot and reads only it,
so a refit finishing half-way through an auction cannot mix two states.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from unifeed.ads.bidder import Strategy
from unifeed.ads.campaign_state import CampaignState
from unifeed.ads.campaigns import Campaign
from unifeed.ads.prediction import Prediction, Predictor
from unifeed.ads.unreported import HoldWindow


@dataclass(frozen=True)
class LiveCampaign:
    """One live campaign as the auction sees it: its controllers' output and its rates."""

    campaign: Campaign
    multiplier: float  # its budget dual's pace on the bid
    rate: float  # the share of auctions it enters (throttled pacing), else 1
    goal_multiplier: float | None  # its cost or ROAS goal's dual, if it holds one
    results: int
    value: float
    click_rate: float  # clicks per billed impression, shrunk
    results_per_click: float
    click_level: float
    suggestion_levels: tuple[float, float]
    # Its creatives' (clicks, billed impressions) by item, what serving's
    # choice among them learns from (`unifeed.ads.variants`).
    variants: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    # A cost goal's bid per result before its duals where the bidder's price
    # book has seen enough of the market (`Bidder.reference`); None: the goal.
    reference_minor: float | None = None

    @classmethod
    def of(cls, st: CampaignState) -> LiveCampaign:
        b = st.bidder
        return cls(
            st.campaign,
            b.bid_pace,
            b.rate,
            b.cost_multiplier if b.strategy.has_goal else None,
            st.results,
            st.value,
            st.click_rate,
            st.results_per_click,
            st.click_level,
            st.suggestion_levels,
            MappingProxyType(dict(st.variants)),
            b.reference() if b.strategy is Strategy.cost_per_result and b.book else None,
        )


@dataclass(frozen=True)
class AdSnapshot:
    campaigns: Mapping[int, LiveCampaign] = field(default_factory=lambda: MappingProxyType({}))
    prediction: Prediction = field(default_factory=lambda: Predictor().frozen())
    hold: HoldWindow = field(default_factory=HoldWindow)  # where held slots start, share seen

    @classmethod
    def of(
        cls, states: Mapping[int, CampaignState], predictor: Predictor, hold: HoldWindow
    ) -> AdSnapshot:
        live = {cid: LiveCampaign.of(st) for cid, st in states.items()}
        return cls(MappingProxyType(live), predictor.frozen(), hold)
