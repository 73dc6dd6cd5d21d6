"""Unifeed's bidder (`unifeed.ads.bidder`) as an AuctionNet strategy.

This file runs inside AuctionNet's own virtual environment (old pins), loaded
by its harness as `AUCTIONNET_STRATEGY=bench/auctionnet_strategy.py:UnifeedBidder`;
it imports only the stdlib bidder from the project and numpy. `bench/auctionnet.py`
drives it. The mapping, and the only choices made here:

- one episode is one day of a cost-per-result campaign: goal = the CPA
  constraint, budget = the budget, 48 ticks of half an hour;
- p(result) is the benchmark's pValue; expected results = the sum of pValue
  over the impressions exposed last tick; results = their conversions; won
  results (for the price book's calibration) = the sum of pValue over the
  slots won, exposed or not (the book's prices are those of a slot);
- money × 100 = minor units (the bidder's one-minor-unit cushion sees the scale);
- the price book gets every opportunity of the last tick at its least winning
  cost (what an advertiser on that exchange sees of the market);
- the traffic curve: the share of opportunities per half-hour of 7 earlier
  days (episodes 10-16 of the benchmark's generator, never evaluated), as
  Unifeed learns its curve from last week's feed log.
"""

from __future__ import annotations

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from simul_bidding_env.strategy.base_bidding_strategy import BaseBiddingStrategy  # noqa: E402

from unifeed.ads.bidder import Bidder, Observation, PriceBook, Strategy  # noqa: E402

MINOR = 100.0
TICKS = 48
TICK_HOURS = 0.5
DAY = TICKS * TICK_HOURS
PAST_DAYS = range(10, 17)


def past_week_shares() -> np.ndarray:
    """(49,) the share of a day's opportunities before each tick, from 7 earlier days."""
    from simul_bidding_env.PvGenerator.NeurIPSPvGen import NeurIPSPvGen

    counts = np.zeros(TICKS)
    for ep in PAST_DAYS:
        g = NeurIPSPvGen.__new__(NeurIPSPvGen)  # traffic numbers only, no pValues
        g.PV_NUM, g.episode = 500000, ep
        g.traffic_num_ratio_base = g.load_traffic_num_ratio_base()
        g.traffic_num_ratio_scale, g.traffic_num_ratio_window = 0.4, 4
        counts += g.generate_traffic_num()  # (48,) opportunities per tick
    return np.concatenate([[0.0], np.cumsum(counts) / counts.sum()])


class UnifeedBidder(BaseBiddingStrategy):
    _shares: np.ndarray | None = None

    def __init__(self, budget=100, name="Unifeed", cpa=2, category=1, book=True):
        super().__init__(budget, name, cpa, category)
        self.use_book = book
        if UnifeedBidder._shares is None:
            UnifeedBidder._shares = past_week_shares()
        self.trace: list[dict] = []
        self.reset()

    def reset(self):
        self.remaining_budget = self.budget
        goal = float(self.cpa) * MINOR
        book = PriceBook(scale=goal) if self.use_book else None
        self.bidder = Bidder(Strategy.cost_per_result, goal=goal, book=book)
        self.expected = self.realised = self.won = 0.0
        self.trace = []

    def _see_last_tick(self, pvalue_info, slotted, impressions, least_winning_cost) -> None:
        pv = pvalue_info[:, 0]
        exposed, conversions = impressions[:, 0], impressions[:, 1]
        self.expected += float(np.sum(pv * exposed))
        self.won += float(np.sum(pv * slotted))
        self.realised += float(np.sum(conversions))
        book = self.bidder.book
        if book is None:
            return
        ok = pv > 0
        price = least_winning_cost[ok] * MINOR
        needed = price / pv[ok]
        x = (np.log(np.maximum(needed, 1e-12) / book.scale) + np.log(book.span)) / (
            2 * np.log(book.span)
        )
        idx = np.clip((x * book.bins).astype(np.int64), 0, book.bins - 1)
        n = book.bins
        book.add_binned(
            np.bincount(idx, minlength=n).astype(float).tolist(),
            np.bincount(idx, weights=price, minlength=n).tolist(),
            np.bincount(idx, weights=pv[ok], minlength=n).tolist(),
        )

    def bidding(
        self,
        timeStepIndex,
        pValues,
        pValueSigmas,
        historyPValueInfo,
        historyBid,
        historyAuctionResult,
        historyImpressionResult,
        historyLeastWinningCost,
    ):
        t = timeStepIndex
        if historyImpressionResult:
            self._see_last_tick(
                historyPValueInfo[-1],
                historyAuctionResult[-1][:, 0],
                historyImpressionResult[-1],
                historyLeastWinningCost[-1],
            )
        spent = (self.budget - self.remaining_budget) * MINOR
        due = self.budget * MINOR * float(self._shares[t])
        budget = self.budget * MINOR
        obs = Observation(
            t * TICK_HOURS,
            spent,
            self.expected,
            self.realised,
            due,
            budget,
            DAY,
            won_results=self.won,
        )
        self.bidder.step(obs)
        nxt = self.budget * MINOR * float(self._shares[t + 1])
        asked = max(nxt - due + 0.1 * (due - spent), 0.0)
        per_result = self.bidder.bid(opportunities=len(pValues), asked=asked) / MINOR
        self.trace.append(
            {
                "tick": t,
                "pace": round(self.bidder.pace, 4),
                "cost_mult": round(self.bidder.cost_multiplier, 4),
                "price_level": round(self.bidder.price_level, 4),
                "reference": round(self.bidder.reference() / MINOR, 3),
                "spent": round(spent / MINOR, 2),
                "due": round(due / MINOR, 2),
                "expected": round(self.expected, 2),
                "results": self.realised,
            }
        )
        return per_result * pValues
