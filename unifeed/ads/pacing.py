"""Budget pacing and goal holding: multipliers on the bid, adjusted over time.

The pacing controller compares what a campaign spent in the last interval
with what the flight's target curve asked of that interval (plus a share
of any gap the campaign is behind or ahead of the curve), and scales its bid
multiplier by the square root of that ratio, at most doubling or halving it
per step. Spending behind the curve raises bids, ahead of it lowers them, so
spend tracks the curve and lands on the budget at the end of the flight.
The curve follows the app's traffic (`unifeed.ads.traffic`): an hour is
asked its share of a day's feed requests, not an even share of the day.
Steps are small and frequent because campaigns pace against each other: a
controller that jumps makes its rivals jump too, and the market oscillates.
It climbs more slowly than it falls: spend is seen only once the app reports
its impressions, so a controller that doubles while it waits for them
overshoots, and an overshoot cannot be taken back.

A campaign whose every viewer is worth the same to it (reach, or a baseline
audience with one average response rate) cannot pace by its bid: one bid
clears the market for every viewer or for none, so its spend comes in bursts
while the multiplier crosses that line and back. Such a pacer throttles: it
enters a share of the auctions and moves that share, and raises its bid
only when it enters all of them and is still behind. The bid never falls
(under the market's line it would serve nobody), and the share starts low
and climbs, since climbing costs minutes and an overshoot costs budget.

A pacing multiplier starts at half and climbs (1.25x per step, so about
half an hour to 1). The base bid is a guess made before the campaign has
bought anything, and at 1 it overshot: in the ads benchmark new campaigns
spent two to four times the first hour's target, then nothing for four
hours while the multiplier came back down; at 12,000 users the first hour
was 1.4-1.65x its target and the next three 0.5-0.8x. Spending early cannot
be taken back; starting low costs a campaign whose guess was right a few
steps of climbing. A throttling pacer starts with a low share instead,
and the pacer of a goal campaign at 1: its goal multiplier starts low
already (below), and the pacer only ever lowers such a bid.

A cost-per-result or ROAS goal gets its own multiplier, moved by the log of
the goal over the realised cost per result (or spend per unit of value) so
far. Each move is weighted by the spend since the last one, counted in
results' worth at the goal: without new spend there is no new evidence, so
a campaign that has stopped winning keeps its multiplier instead of sinking
further with every update (which had left goal campaigns bidding nothing).
A campaign that is neither spending nor over its goal knows too little to
win: its p(result) may simply be underestimated (it has no results of its
own yet), so its multiplier climbs a little each update until it wins
impressions and the evidence takes over. So does one over its goal that has
spent less than its prior stands for (`prior_results` at the goal): its own
evidence is a handful of impressions, too few to say the goal cannot be met.
Without this, a goal campaign whose first few impressions brought no result
stopped for good: in the ads benchmark one spent 1% of its budget, won
nothing, and never bid again. It stops looking once it has spent the prior's
worth; what it wins while its multiplier comes down again can take it past.

A goal multiplier starts at half and climbs, as the reach throttle does.
A campaign's first p(result) comes from the model and a population click
rate, not from its own results, and may be high for its audience: starting
at the goal's full bid then pays over the goal for the first results, and
an overshoot cannot be taken back, since a campaign that went over its goal
stops winning and brings no more evidence. Starting low costs a campaign
whose p(result) is right or underestimated about an hour: the climb above
takes seven updates from half the bid to the full one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from unifeed.ads.traffic import TrafficCurve


def clamp(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


@dataclass
class Pacer:
    budget_minor: int
    start: datetime
    end: datetime
    gain: float = 0.5  # the multiplier moves by (asked / spent) ** gain
    # Share of the gap to the curve asked back per interval. Each interval's
    # spend is a few impressions, so the gap is mostly noise: asking much of
    # it back each time makes the spend swing: in the ads benchmark 26-38%
    # of hours landed within 20% of their target at 0.3, 32-57% at 0.1.
    catch_up: float = 0.1
    max_up: float = 1.25  # at most this factor up per update
    max_down: float = 2.0  # ...and down
    bounds: tuple[float, float] = (0.02, 50.0)
    start_multiplier: float = 0.5  # where a bid-pacing multiplier starts (docstring)
    throttle: bool = False  # pace by the share of auctions entered (module docstring)
    start_rate: float = 0.1  # where a throttling pacer's share starts
    min_rate: float = 0.02
    curve: TrafficCurve = field(default_factory=TrafficCurve)  # the target's shape
    # Set from the starts above (a throttling pacer's bid multiplier stays at
    # 1 until its share is full), then by `update` and `resume`.
    multiplier: float = field(default=1.0, init=False)
    rate: float = field(default=1.0, init=False)  # the share of auctions entered
    _last: tuple[datetime, float] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a flight ends after it starts")
        if self.throttle:
            self.rate = self.start_rate
        else:
            self.multiplier = self.start_multiplier

    def resume(self, multiplier: float, rate: float) -> None:
        """Carry on from a saved state (after a restart). The first update
        still only records where the campaign stands: nothing was served
        while the server was down, whatever the multiplier."""
        self.multiplier = clamp(multiplier, *self.bounds)
        self.rate = clamp(rate, self.min_rate, 1.0) if self.throttle else 1.0

    def target(self, t: datetime) -> float:
        """Spend the flight should have reached by t: the share of its traffic before t."""
        return self.budget_minor * self.curve.share(self.start, t, self.end)

    def update(self, t: datetime, spent_minor: float) -> float:
        """New multiplier (and share of auctions, if it throttles) after
        observing the spend so far.

        The first call only records where the campaign stands (after a
        restart too), since a ratio needs an interval behind it.
        """
        last, self._last = self._last, (t, spent_minor)
        if last is None or t <= last[0]:
            return self.multiplier
        t0, s0 = last
        asked = self.target(t) - self.target(t0) + self.catch_up * (self.target(t0) - s0)
        asked = max(asked, 0.0)
        got = max(spent_minor - s0, 0)
        # A cushion of a tenth of the ask (and one minor unit) keeps an
        # interval with nothing spent from reading as an infinite shortfall.
        cushion = 0.1 * asked + 1.0
        ratio = ((asked + cushion) / (got + cushion)) ** self.gain
        step = clamp(ratio, 1 / self.max_down, self.max_up)
        if self.throttle:
            wanted = self.rate * step
            self.rate = clamp(wanted, self.min_rate, 1.0)
            step = max(wanted / self.rate, 1.0)  # what the share could not take
        self.multiplier = clamp(self.multiplier * step, *self.bounds)
        return self.multiplier


@dataclass
class GoalHolder:
    """Keeps the realised cost per result near a goal (ROAS: cost per unit of value)."""

    goal: float  # minor units per result; for ROAS, 1 / roas (spend per unit value)
    gain: float = 0.5
    bounds: tuple[float, float] = (0.05, 5.0)
    multiplier: float = 0.5  # where it starts (module docstring)
    # Results are rare and lumpy early on: the realised cost counts this many
    # imaginary results bought at the goal, so a few unlucky impressions do
    # not drive the bid down before any result could have come.
    prior_results: float = 3.0
    explore: float = 1.1  # the climb per update of a campaign stuck under its goal
    _spent: float = field(default=0.0, repr=False)

    @property
    def spent_seen(self) -> float:
        """The spend at its last update: what later spend is new evidence against."""
        return self._spent

    def resume(self, multiplier: float, spent_seen: float) -> None:
        """Carry on from a saved state (after a restart)."""
        self.multiplier = clamp(multiplier, *self.bounds)
        self._spent = spent_seen

    def update(self, spent_minor: float, results: float, behind: bool = False) -> float:
        """New multiplier from the spend and results so far.

        `behind`: the campaign spends less than its budget's curve asks.
        """
        k = self.prior_results
        realised = (spent_minor + k * self.goal) / (results + k)
        evidence = min(1.0, max(spent_minor - self._spent, 0.0) / self.goal)
        self._spent = max(self._spent, spent_minor)
        step = math.exp(self.gain * evidence * math.log(self.goal / realised))
        thin = realised <= self.goal or spent_minor < k * self.goal
        if behind and evidence < 0.1 and thin:
            step = max(step, self.explore)
        self.multiplier = clamp(self.multiplier * step, *self.bounds)
        return self.multiplier
