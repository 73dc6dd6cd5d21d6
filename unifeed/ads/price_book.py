"""The market's prices as a bidder sees them: opportunities by the bid per result they needed.

A cost goal's bidder (`unifeed.ads.bidder`) reads its reference from a book:
the highest bid whose wins would have cost the goal per result on average,
what the day's linear programme would bid. Unifeed feeds it the auction's
quotes (`unifeed.ads.delivery.quote`); AuctionNet's adapter, each tick's
least winning costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


def clamp(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


@dataclass
class PriceBook:
    """Recent opportunities by the bid per result they needed to win (price / p(result)).

    Bins are on a log scale around `scale` (the goal): each holds decayed
    sums of opportunities, their price and their p(result), so `threshold`
    can say which bid would have bought results at a given average cost.
    """

    scale: float
    bins: int = 64
    span: float = 64.0  # bins cover scale / span .. scale × span
    count: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    results: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.count:
            self.count = [0.0] * self.bins
            self.cost = [0.0] * self.bins
            self.results = [0.0] * self.bins

    def index(self, needed: float) -> int:
        if needed <= 0:
            return 0
        x = (math.log(needed / self.scale) + math.log(self.span)) / (2 * math.log(self.span))
        return int(clamp(x * self.bins, 0, self.bins - 1))

    def edge(self, i: int) -> float:
        """The bid per result that wins every opportunity of bins 0..i."""
        return self.scale * self.span ** (2 * (i + 1) / self.bins - 1)

    def add(self, price: float, p: float) -> None:
        if p <= 0:
            return
        i = self.index(price / p)
        self.count[i] += 1.0
        self.cost[i] += price
        self.results[i] += p

    def add_binned(self, count: list[float], cost: list[float], results: list[float]) -> None:
        """Add sums already binned with `index` (a caller with many opportunities)."""
        for i in range(self.bins):
            self.count[i] += count[i]
            self.cost[i] += cost[i]
            self.results[i] += results[i]

    def decay(self, factor: float) -> None:
        for xs in (self.count, self.cost, self.results):
            for i in range(self.bins):
                xs[i] *= factor

    @property
    def weight(self) -> float:
        return sum(self.results)

    def results_rate(self, bid: float) -> float:
        """p(result) won per opportunity at this bid per result, at recent prices."""
        n = sum(self.count)
        if n <= 0:
            return 0.0
        return sum(self.results[: self.index(bid) + 1]) / n

    def spend_rate(self, bid: float) -> float:
        """Spend per opportunity at this bid per result, at recent prices."""
        n = sum(self.count)
        if n <= 0:
            return 0.0
        top = self.index(bid)
        return sum(self.cost[: top + 1]) / n

    def highest_within(self, bid: float, opportunities: float, limit: float) -> float:
        """The bid (at most `bid`) whose spend over this many opportunities
        stays within `limit`, at recent prices (a bin edge, or `bid` itself)."""
        if self.spend_rate(bid) * opportunities <= limit:
            return bid
        best = 0.0
        for i in range(self.index(bid)):
            if self.spend_rate(self.edge(i)) * opportunities > limit:
                break
            best = self.edge(i)
        return best

    def threshold(self, cost_per_result: float) -> float:
        """The highest bid per result whose wins would have cost at most this
        per expected result on average (the day's linear programme, in one number)."""
        c = r = 0.0
        best = self.edge(0)
        for i in range(self.bins):
            c, r = c + self.cost[i], r + self.results[i]
            if r > 0 and c > cost_per_result * r:
                break
            best = self.edge(i)
        return best
