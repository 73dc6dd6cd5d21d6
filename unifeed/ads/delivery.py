"""Ad serving: the ads of one feed page, a pure function of a snapshot and the request.

`place` takes the live campaigns this viewer may legally see, predicts
p(result) for their creatives with the same model that ranked the page,
turns each campaign's strategy and pacing into an effective bid, and runs
one auction per slot the ad-load policy allows. Nobody picks demographics:
who sees an ad follows from the model's prediction for that viewer.

It reads the snapshot (`unifeed.ads.snapshot`), the request and the
remaining budgets it is handed, and nothing else: no SQL, no timers, no
callbacks. What each bidder would have had to pay goes back in a list the
caller hands it (`Quote`), for the bidders' price books. Its randomness
(throttled campaigns sitting auctions out, the baselines rotating
creatives) comes from the generator it is given.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from unifeed.ads.auction import Bidder, run_auction
from unifeed.ads.audience import in_suggested_groups, may_see
from unifeed.ads.bidder import Strategy, bid_per_result
from unifeed.ads.config import DeliveryConfig
from unifeed.ads.snapshot import AdSnapshot, LiveCampaign
from unifeed.ads.variants import VariantEvidence

# What every campaign first offers per impression it expects, whatever its
# objective; pacing and goals move it from there (see `base_bid`).
BASE_IMPRESSION_VALUE_MINOR = 5.0
# ...and at least this much over the reserve, so a new campaign serves from
# its first minutes instead of waiting for its pace to climb past it.
START_OVER_RESERVE = 1.25


@dataclass(frozen=True)
class AdRequest:
    """What serving knows of the viewer and the page."""

    viewer: dict[str, Any]  # age, gender, country
    query: np.ndarray  # (D,) the viewer's model vector
    item_vectors: np.ndarray  # (I, D) the catalogue as the model scores it: query · vector
    row_of_pk: Mapping[int, int]  # item pk -> its row in item_vectors
    excluded_rows: np.ndarray  # (I,) bool: rows this viewer must not be shown
    page_scores: np.ndarray  # (n,) organic scores of the page, best first
    views: Mapping[int, int] = field(default_factory=dict)  # item pk -> the viewer's views of it
    clicked: Collection[int] = ()  # item pks the viewer has clicked
    last_ad_position: int | None = None  # the previous page's last ad, from this page's start


@dataclass(frozen=True)
class PlacedAd:
    position: int
    campaign_id: int
    item_row: int
    score: float
    p_result: float
    bid_minor: float
    charge_minor: int  # what one impression of it costs (integer minor units)
    exposures: int = 0  # the viewer's earlier views of the campaign
    clicked_before: bool = False  # the viewer had clicked the campaign's ads
    # Why it won, for the feed log and the operator's feed preview: its
    # p(click) and value (bid × p_result + quality), the best other
    # campaign's (None: none bid) and the value of the organic item it displaced.
    p_click: float = 0.0
    value_minor: float = 0.0
    runner_up_campaign_id: int | None = None
    runner_up_value_minor: float | None = None
    displaced_value_minor: float = 0.0


@dataclass(frozen=True)
class Quote:
    """What one campaign would have paid per impression to win one slot's
    auction (what it paid, if it won), at its p(result) there."""

    campaign_id: int
    price_minor: float
    p_result: float


def eligible(
    snapshot: AdSnapshot, viewer: dict[str, Any], config: DeliveryConfig
) -> list[LiveCampaign]:
    """The live campaigns that may show this viewer an ad: the law, then the audience."""
    live = [c for c in snapshot.campaigns.values() if may_see(c.campaign, viewer)]
    return [c for c in live if config.audience.reaches(c.campaign, viewer)]


def base_bid(c: LiveCampaign, reserve_minor: float) -> float:
    """Starting bid per result, minor units.

    Every objective starts at the same value per expected impression, so
    a campaign buying rare results (a purchase) and one buying common ones
    (a click) enter the auction on equal terms; pacing takes it from there.
    """
    value = max(BASE_IMPRESSION_VALUE_MINOR, START_OVER_RESERVE * reserve_minor)
    if c.campaign.objective.is_reach:
        return value
    return value / (c.click_rate * c.results_per_click)


def bid(c: LiveCampaign, reserve_minor: float) -> float:
    """Effective bid per result, minor units: the bidder's outputs
    (`unifeed.ads.bidder`) on the strategy's reference."""
    spec = c.campaign
    strategy = Strategy(spec.bid_strategy)
    if strategy is Strategy.cost_per_result and c.goal_multiplier is not None:
        reference = c.reference_minor or float(spec.cost_goal_minor or 0)
    elif strategy is Strategy.roas and c.goal_multiplier is not None and spec.roas_goal:
        reference = roas_value_per_result(c, reserve_minor) / spec.roas_goal
    else:
        strategy = Strategy.bid_cap if strategy is Strategy.bid_cap else Strategy.highest_volume
        reference = base_bid(c, reserve_minor)
    cost = 1.0 if c.goal_multiplier is None else c.goal_multiplier
    cap = float(spec.bid_cap_minor) if spec.bid_cap_minor else None
    return bid_per_result(strategy, reference, c.multiplier, cost, cap)


def roas_value_per_result(c: LiveCampaign, reserve_minor: float) -> float:
    """What a result of a ROAS campaign is worth: its results' so far, or,
    before its first, what the base bid would pay at its ROAS goal."""
    if c.results:
        return c.value / c.results
    return base_bid(c, reserve_minor) * float(c.campaign.roas_goal or 0)


def place(
    snapshot: AdSnapshot,
    request: AdRequest,
    remaining_minor: Mapping[int, int],
    config: DeliveryConfig,
    rng: np.random.Generator,
    quotes: list[Quote] | None = None,
) -> list[PlacedAd]:
    """The auction's winners for this page's slots. `remaining_minor`: what
    each eligible campaign's budget still covers, read once for the page.
    `quotes`, if given, receives every bidder's quote of every slot's auction."""
    states = eligible(snapshot, request.viewer, config)
    if not states:
        return []
    page_scores = request.page_scores
    slots = config.ad_load.slots(len(page_scores), request.last_ad_position)
    if not slots:
        return []
    prediction = snapshot.prediction
    user, views, clicked, query = request.viewer, request.views, request.clicked, request.query
    # Each campaign bids once per page, with the creative this viewer
    # responds to best; the slots then go down the same bidders.
    value_of = config.engagement_value_minor
    bidders: list[Bidder] = []
    score_of: dict[int, float] = {}  # creative row -> model score
    exposures_of: dict[int, int] = {}  # campaign -> the viewer's earlier views of it
    clicked_of: dict[int, bool] = {}  # campaign -> the viewer had clicked it
    p_click_of: dict[int, float] = {}  # campaign -> p(click) of its creative for this viewer
    for st in states:
        if st.rate < 1.0 and rng.random() >= st.rate:
            continue  # a throttled campaign sits this auction out
        # The creatives' rows in this request's catalogue view: the snapshot
        # may have been built on a newer one (a creative just added).
        row_of = request.row_of_pk
        pks = np.array([pk for pk in st.campaign.creative_item_ids if pk in row_of], dtype=np.int64)
        rows = np.array([row_of[pk] for pk in pks.tolist()], dtype=np.int64)
        keep = ~request.excluded_rows[rows]
        rows, pks = rows[keep], pks[keep]
        if len(rows) == 0:
            continue
        scores = request.item_vectors[rows] @ query
        counts = np.array([st.variants.get(pk, (0, 0)) for pk in pks.tolist()]).reshape(-1, 2)
        evidence = VariantEvidence(prediction.click.predict(scores), counts[:, 0], counts[:, 1])
        best = config.audience.creative(scores, rng, evidence)
        # Any event on an ad means it was seen, impression received or not.
        # Its retired versions and paused variants were seen all the same.
        every = (*st.campaign.creative_item_ids, *st.campaign.past_item_ids)
        exposures = sum(max(1, views[pk]) for pk in every if pk in views)
        shown = scores[best : best + 1]  # (1,) the creative this viewer would see
        hinted = in_suggested_groups(st.campaign, user)
        again = any(pk in clicked for pk in every)
        p = float(prediction.p_result(st, shown, exposures, hinted, again, query)[0])
        per_result = bid(st, config.reserve_minor)
        # Impressions are charged in whole minor units: a bid worth less
        # than one per impression cannot pay for the slot, nor can a
        # budget that cannot cover one more charge.
        budget_left = remaining_minor.get(st.campaign.id, 0)
        if per_result * p < 1 or budget_left < round(per_result * p):
            continue
        p_click = prediction.p_click(st, shown, exposures, hinted, again, query)
        quality = value_of * float(p_click[0])
        bidders.append(Bidder(st.campaign.id, int(rows[best]), per_result, p, quality))
        score_of[int(rows[best])] = float(scores[best])
        exposures_of[st.campaign.id] = exposures
        clicked_of[st.campaign.id] = again
        p_click_of[st.campaign.id] = float(p_click[0])
    placed: list[PlacedAd] = []
    for pos in slots:
        displaced = value_of * float(prediction.click.predict(page_scores[pos]))
        win = run_auction(bidders, displaced, config.reserve_minor)
        if quotes is not None:
            quotes.extend(quote(bidders, displaced, config.reserve_minor))
        if win is None:
            continue
        b = win.bidder
        bidders = [x for x in bidders if x.campaign_id != b.campaign_id]  # one slot each
        placed.append(
            PlacedAd(
                pos,
                b.campaign_id,
                b.item_row,
                score_of[b.item_row],
                b.p_result,
                b.bid_minor,
                max(1, round(win.expected_cost_minor)),
                exposures_of[b.campaign_id],
                clicked_of[b.campaign_id],
                p_click=p_click_of[b.campaign_id],
                value_minor=b.value,
                runner_up_campaign_id=None if win.runner_up is None else win.runner_up.campaign_id,
                runner_up_value_minor=None if win.runner_up is None else win.runner_up.value,
                displaced_value_minor=win.displaced_value_minor,
            )
        )
    return placed


def quote(bidders: list[Bidder], displaced_minor: float, reserve_minor: float) -> list[Quote]:
    """Each bidder's price of one slot: the least value that beats every
    other bid, the organic item and the reserve, less its quality (the price
    the auction charges a winner; a loser's is what winning would have cost)."""
    values = sorted(((b.value, b.campaign_id) for b in bidders), reverse=True)
    out = []
    for b in bidders:
        if b.p_result <= 0:
            continue
        best_other = next((v for v, cid in values if cid != b.campaign_id), 0.0)
        floor = max(best_other, reserve_minor, displaced_minor)
        out.append(Quote(b.campaign_id, max(floor - b.quality_minor, 0.0), b.p_result))
    return out
