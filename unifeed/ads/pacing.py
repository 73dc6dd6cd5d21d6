"""Budget pacing and goal holding: multipliers on the bid, adjusted every pacing interval.

The pacer moves a campaign's bid multiplier by the square root of what the
target curve asked of the last interval (the curve follows the app's traffic,
`unifeed.ads.traffic`) over what it spent, climbing more slowly than it
falls: spend is seen late, and an overshoot cannot be taken back. A campaign
every viewer is worth the same to cannot pace by its bid, which clears the
market for everyone or no one: it throttles, entering a share of the
auctions. A cost-per-result or ROAS goal is held by `unifeed.ads.bidder`,
whose budget dual replaces this multiplier for such a campaign; the pacer
still gives it its target curve. docs/ads.md explains each rule;
docs/benchmarks.md (section "ads design history") has the runs that chose them.
"""

from __future__ import annotations

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
    # it back each time makes the spend swing.
    catch_up: float = 0.1
    max_up: float = 1.25  # at most this factor up per update
    max_down: float = 2.0  # ...and down
    bounds: tuple[float, float] = (0.02, 50.0)
    # A bid-pacing multiplier starts low: the first base bid is a guess made
    # before the campaign has bought anything (a goal campaign's pacer starts
    # at 1: its goal multiplier starts low already, and the pacer only ever
    # lowers such a bid).
    start_multiplier: float = 0.5
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
