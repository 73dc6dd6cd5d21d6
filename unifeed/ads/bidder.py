"""One bidder for every bid strategy: the budget and the cost goal as dual variables.

A campaign maximises its results subject to two constraints: spend no more
than the budget (along the day's traffic curve), and, for a cost-per-result or
ROAS goal, pay no more per result than the goal on average. Lagrange
multipliers on the two constraints give the bid per result

    bid = reference × cost_multiplier × pace,     pace = 1 / (1 + λ_budget)

- `pace` is the budget's dual (Balseiro & Gur's dual-gradient pacing): it
  moves against the gap between the spend the traffic curve asked of the last
  interval and what was spent, in log space with a bounded step. With a cost
  goal it is projected onto λ ≥ 0 (pace ≤ 1): a budget can only lower a bid
  the goal allows. Without one, the reference is a guess and pace goes both
  ways, and ahead of the curve it follows the curve closely (`_follows_curve`).
- `cost_multiplier` is the cost goal's dual: it moves with the log of goal over
  cost per result, where results are the EXPECTED results of what was won
  (the sum of p(result), known at once) scaled by how many results those
  expectations have turned into so far (shrunk towards 1). Realised results
  alone arrive one per goal's worth of spend, so one unlucky hour would swing
  the bid by half.
- `reference` is where the goal puts the bid before feedback: the goal itself
  (the truthful bid: in a second-price auction a bid of goal × p(result) never
  pays more than the goal per expected result), or, when the bidder sees the
  prices of the market (`PriceBook`), the threshold under which the
  opportunities cost the goal per result on average, which is what the
  linear programme of the day would bid.

Nothing can freeze it: every step is bounded, the duals have bounds they come
back from in a bounded number of steps, the evidence of a window decays (a
drought forgets the burst before it), a campaign behind its curve and within
its goal climbs a little each step, and a goal's bid never drops below a
share of the truthful one. It is stdlib only: learning steps it, serving reads
its two numbers from the snapshot, and `bench/auctionnet.py` runs it as is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from unifeed.ads.price_book import PriceBook

__all__ = ["Bidder", "BidderSettings", "Observation", "PriceBook", "Strategy", "bid_per_result"]


class Strategy(StrEnum):
    highest_volume = "highest_volume"
    cost_per_result = "cost_per_result"
    roas = "roas"
    bid_cap = "bid_cap"

    @property
    def has_goal(self) -> bool:
        return self in (Strategy.cost_per_result, Strategy.roas)


def clamp(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def bid_per_result(
    strategy: Strategy,
    reference: float,
    pace: float,
    cost_multiplier: float = 1.0,
    cap: float | None = None,
) -> float:
    """The bid per result serving places (minor units): pure, from the bidder's outputs.

    `reference`: the goal's bid per result for a cost goal (or the price
    book's threshold), the value per result over the ROAS goal for ROAS, the
    base bid for highest volume and bid cap."""
    b = reference * cost_multiplier * min(pace, 1.0) if strategy.has_goal else reference * pace
    if strategy is Strategy.bid_cap and cap is not None:
        b = min(b, cap)
    return max(b, 0.0)


@dataclass(frozen=True)
class BidderSettings:
    """The bidder's constants; docs/ads.md ("The bidder") says why each is what it is."""

    # log pace moves by this × the interval's overspend (in intervals' worth
    # of budget, within -1..max_overspend): small, so the bid level holds
    # across the day and the budget goes where results are cheapest, as the
    # day's linear programme would put it (Balseiro & Gur's step).
    budget_step: float = 0.3
    max_overspend: float = 2.0  # it falls faster than it climbs: an overshoot stays spent
    catch_up: float = 0.1  # share of the gap to the curve asked back per interval
    pace_bounds: tuple[float, float] = (0.02, 50.0)  # without a goal; with one, ≤ 1
    cost_gain: float = 0.5  # cost multiplier moves by (goal / cost) ** gain
    max_cost_step: float = math.log(1.5)  # |Δ log cost multiplier| per step
    cost_bounds: tuple[float, float] = (0.7, 4.0)  # × the truthful bid's share
    # Evidence of the cost window halves every this many hours: long enough
    # for a few results' worth of expectations, short enough that a burst of
    # bad luck is forgotten before the day is out.
    half_life_hours: float = 2.0
    # Imaginary results bought at the goal in the window: a few impressions
    # cannot swing the bid, and a window without evidence reads as on goal.
    prior_results: float = 3.0
    # Imaginary results as expected in the calibration of p(result): a
    # prediction is trusted until a fair number of results contradict it.
    calibration_prior: float = 10.0
    # Climb by this much (log) per hour while behind the curve and either
    # within the goal or without evidence in the window: a bid that wins
    # nothing learns nothing, so it must come up until it wins again.
    explore_per_hour: float = 0.25
    # Aim the expected cost per result this far under the goal: realised
    # results are Poisson, and paying over the goal costs more than under it saves.
    aim: float = 0.95
    calibration_bounds: tuple[float, float] = (0.1, 10.0)
    # An interval may spend up to this many times what the curve asks of it
    # (catching up after a quiet hour), not a day's budget at once.
    burst: float = 3.0
    # The price book's level moves by (promised / won) ** gain per step, the
    # p(result) of what the book said the last bid would win against what it
    # won, within these bounds: a book fed a proxy of the price (AuctionNet's
    # least winning cost understates what a lost opportunity would have
    # cost) is calibrated as p(result) is.
    price_gain: float = 0.5
    price_bounds: tuple[float, float] = (0.5, 4.0)


@dataclass(frozen=True)
class Observation:
    """Where a campaign stands (cumulative over its period) at one step."""

    hours: float  # time of the step, hours since any fixed origin
    spent: float  # spend so far, minor units
    expected: float  # sum of p(result) of what it won
    realised: float  # results so far
    due: float  # spend its budget's curve asks by now
    budget: float  # the period's budget (minor units)
    end_hours: float  # when the period ends, on the same clock as `hours`
    # Spend the goal is judged on, matching `expected` (billed impressions
    # only; lifetime for a daily budget); None: `spent`.
    cost_spent: float | None = None
    # What a result is worth against the goal: 1 for a cost per result; for
    # ROAS the value per result so far (the goal is then spend per unit value).
    value_per_result: float = 1.0
    # The sum of p(result) of every opportunity it won, charged or not (an
    # exchange may charge only what was shown); None: `expected`.
    won_results: float | None = None

    @property
    def won(self) -> float:
        return self.expected if self.won_results is None else self.won_results


@dataclass
class Bidder:
    """A campaign's duals, stepped by learning; serving reads `pace` and `cost_multiplier`."""

    strategy: Strategy
    goal: float | None = None  # minor units per result (ROAS: spend per unit of value)
    settings: BidderSettings = field(default_factory=BidderSettings)
    pace: float = 1.0  # 1 / (1 + λ_budget)
    cost_multiplier: float = 1.0  # the cost goal's dual, × the truthful bid
    book: PriceBook | None = None  # the market's prices, where the bidder sees them
    # Pace by the share of auctions entered: for a campaign every viewer is
    # worth the same to, whose bid clears the market for everyone or no one.
    # Its pace is then that share (≤ 1), and what a full share cannot take
    # goes to `lift`, a multiplier on its bid that only climbs: in a
    # second-price auction a bid over the clearing price costs nothing more,
    # and lowering it would only drop the campaign out of every auction at once.
    throttle: bool = False
    lift: float = 1.0
    # The market's prices over the book's (its calibration), and the results
    # (p(result) won) the book promised for the last bid placed through `bid`.
    price_level: float = 1.0
    _promised: float | None = field(default=None, repr=False)
    # The window (decayed) and the day's totals behind the cost dual.
    window_spent: float = 0.0
    window_expected: float = 0.0
    _last: Observation | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.strategy.has_goal and not self.goal:
            raise ValueError("a cost or ROAS goal needs a positive goal")
        self.pace = clamp(self.pace, *self._pace_bounds)

    @property
    def _pace_bounds(self) -> tuple[float, float]:
        lo, hi = self.settings.pace_bounds
        return (lo, 1.0) if self.strategy.has_goal or self.throttle else (lo, hi)

    @property
    def rate(self) -> float:
        """The share of auctions it enters: its pace when it throttles, else 1."""
        return self.pace if self.throttle else 1.0

    @property
    def bid_pace(self) -> float:
        """The pace on its bid: its lift when it throttles, else its pace."""
        return self.lift if self.throttle else self.pace

    def resume(self, pace: float, cost_multiplier: float | None, rate: float = 1.0) -> None:
        """Carry on from a saved state (`bid_pace`, `cost_multiplier`, `rate`);
        the next step only records where it stands."""
        if self.throttle:
            pace, self.lift = rate, clamp(pace, 1.0, self.settings.pace_bounds[1])
        self.pace = clamp(pace, *self._pace_bounds)
        if cost_multiplier is not None:
            self.cost_multiplier = clamp(cost_multiplier, *self.settings.cost_bounds)
        self._last = None
        self._promised = None

    def calibration(self, obs: Observation) -> float:
        """Results per expected result so far, shrunk towards 1."""
        k = self.settings.calibration_prior
        return clamp((obs.realised + k) / (obs.expected + k), *self.settings.calibration_bounds)

    def reference(self, value: float | None = None) -> float:
        """Bid per result before the duals: the goal, or the price book's threshold."""
        if not self.strategy.has_goal:
            return float(value or 0.0)
        goal = float(self.goal or 0.0) if value is None else value
        if self.book is not None and self.book.weight >= self.settings.prior_results:
            # Where everything recent was cheap the threshold runs off the
            # book; past twice the goal, only the cost dual's evidence leads.
            # At a price level ψ every price is ψ × the book's: the bid that
            # buys at the aim is ψ × the book's bid at aim / ψ.
            psi = self.price_level
            return min(psi * self.book.threshold(goal * self.settings.aim / psi), 2.0 * goal)
        return goal

    def bid(
        self,
        value: float | None = None,
        cap: float | None = None,
        opportunities: float | None = None,
        asked: float | None = None,
    ) -> float:
        """Bid per result now. `value`: the base bid (no goal), or the value per
        result over the ROAS goal (ROAS); a cost goal's is its goal.

        With the price book, the number of `opportunities` the next interval
        brings and the spend its curve `asked` of it, the bid is held to what
        would spend at most `burst` × that at recent prices: the duals learn
        only after an interval, and one interval of a busy hour can spend
        a day's budget."""
        b = bid_per_result(
            self.strategy, self.reference(value), self.bid_pace, self.cost_multiplier, cap
        )
        book = self.book
        if book is None or opportunities is None or asked is None or book.weight <= 0:
            return b
        limit = self.settings.burst * asked + 1.0
        psi = self.price_level
        b = psi * book.highest_within(b / psi, opportunities, limit / psi)
        self._promised = book.results_rate(b / psi) * opportunities
        return b

    def _follows_curve(self, obs: Observation) -> bool:
        """Whether the budget dual counts an overspend against the interval's
        ask alone: a campaign without a goal, ahead of its curve. A goal's
        bid level means something, so its dual holds it through a quiet
        hour (the day's linear programme buys where results are cheap); a
        base bid is a guess, and ahead of the curve the budget of the hours
        to come is being spent."""
        return not self.strategy.has_goal and obs.spent > obs.due

    def step(self, obs: Observation) -> None:
        """Move the duals on what happened since the last step (the first only records)."""
        last, self._last = self._last, obs
        if last is None or obs.hours <= last.hours:
            return
        s = self.settings
        got = max(obs.spent - last.spent, 0.0)
        asked = max(obs.due - last.due + s.catch_up * (last.due - last.spent), 0.0)
        # Budget dual: a bounded step against the interval's overspend,
        # measured in intervals' worth of what the rest of the budget allows
        # per interval, so a quiet night hour's tiny ask does not swing a
        # goal's bid level. Without a goal the curve is the only plan, and a
        # campaign ahead of it is spending hours still to come: the
        # overspend counts against the interval's own ask, so a night's
        # tiny asks bring the pace down at once (`_follows_curve`).
        left = max(obs.end_hours - last.hours, obs.hours - last.hours)
        per_interval = max(obs.budget - last.spent, 0.0) * (obs.hours - last.hours) / left
        follows = self._follows_curve(obs)
        norm = (asked if follows else max(asked, per_interval)) + 1.0
        g_budget = clamp((got - asked) / norm, -1.0, s.max_overspend)
        move = -s.budget_step * g_budget
        if follows and last.spent <= 0 and got > asked:
            # The period's first spend measures a market its starting pace
            # guessed at: the pace falls by the whole ratio at once, not
            # by a bounded step an interval, or a guess that buys several
            # times its ask spends the night's budget in the first hour.
            move = min(move, math.log((asked + 1.0) / (got + 1.0)))
        wanted = self.pace * math.exp(move)
        self.pace = clamp(wanted, *self._pace_bounds)
        if self.throttle and not self.strategy.has_goal:
            self.lift = clamp(self.lift * max(wanted / self.pace, 1.0), 1.0, s.pace_bounds[1])
        promised, self._promised = self._promised, None
        if promised is not None and promised > 0 and self.book is not None:
            # What the book said the last bid would win against what it won
            # (a cushion of a tenth keeps an interval that won nothing from
            # reading as an infinite gap). More promised than won: the
            # market's prices are over the book's. Counting wins, not spend,
            # keeps it one-way: fewer opportunities pass a higher level.
            won = max(obs.won - last.won, 0.0)
            cushion = 0.1 * promised
            ratio = ((promised + cushion) / (won + cushion)) ** s.price_gain
            step = clamp(ratio, math.exp(-s.max_cost_step), math.exp(s.max_cost_step))
            self.price_level = clamp(self.price_level * step, *s.price_bounds)
        if not self.strategy.has_goal:
            return
        # In money per result: a ROAS goal (spend per unit value) times the
        # value per result so far is a cost-per-result goal.
        goal = float(self.goal or 0.0) * obs.value_per_result
        kappa = self.calibration(obs)
        decay = 0.5 ** ((obs.hours - last.hours) / s.half_life_hours)
        cost_now = obs.spent if obs.cost_spent is None else obs.cost_spent
        cost_then = last.spent if last.cost_spent is None else last.cost_spent
        self.window_spent = decay * self.window_spent + max(cost_now - cost_then, 0.0)
        self.window_expected = decay * self.window_expected + max(obs.expected - last.expected, 0)
        if self.book is not None:
            self.book.decay(decay)
        k = s.prior_results
        behind = obs.spent < obs.due
        if goal <= 0:  # ROAS before its first result: no value to weigh spend against
            move = 0.0
            thin = True
            g = 0.0
        else:
            # The day's slack (money under the goal so far; negative: over it)
            # is made up over the spend still planned, not at once: an early
            # overshoot barely moves a day that has most of its budget ahead.
            target = goal * s.aim
            slack = target * kappa * obs.expected - cost_now
            planned = max(obs.budget - obs.spent, target)
            aim = target * clamp(1.0 + slack / planned, 0.5, 1.5)
            # The window's cost per calibrated expected result against that aim.
            window = (self.window_spent + k * aim) / (kappa * self.window_expected + k)
            g = math.log(aim / window)
            move = clamp(s.cost_gain * g, -s.max_cost_step, s.max_cost_step)
            # Spend is evidence too: paying k goals' worth for nothing is not "no news".
            thin = kappa * self.window_expected + self.window_spent / aim < k
        # Exploring brings the bid back up to its reference (the truthful
        # or the price book's bid), never past it: beyond it only evidence leads.
        if behind and (g >= 0 or thin) and self.cost_multiplier < 1.0:
            up = min(s.explore_per_hour * (obs.hours - last.hours), -math.log(self.cost_multiplier))
            move = max(move, up)
        # While the budget binds (pace < 1) the goal does not: results under
        # the goal then say nothing about bidding higher, and a cost dual that
        # kept climbing would be wound up, to be paid for at once when the
        # budget lets go (conditional integration).
        if self.pace < 1.0:
            move = min(move, 0.0)
        lo, hi = s.cost_bounds
        # The floor follows the calibration: a bid of goal × p(result), with
        # p(result) corrected, never pays over the goal per result.
        self.cost_multiplier = clamp(self.cost_multiplier * math.exp(move), lo * kappa, hi)
