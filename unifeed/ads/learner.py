"""Ad learning: what delivery knows of the live campaigns, kept up to date and published.

A refresh reloads the live campaigns with their spend and results, steps
their bidders (saved in the store, so a restarted server carries on) and
relearns the day's traffic curve; serving's auctions feed the bidders'
price books (`observe`); refits calibrate p(click) and fit
the click levels, wear-out, conversion rates and lookalikes on billed
impressions. After each, the learner publishes an immutable `AdSnapshot`,
which is all that serving (`unifeed.ads.delivery`) reads.

Everything follows the injected clock (`unifeed.clock`): timers read it, and
refits run through `Clock.run_beside`, in a thread beside the requests on the
wall clock and at once on a simulation's clock, so a simulated flight is the
same however fast the machine runs it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import numpy as np

from unifeed.ads import pacing_state
from unifeed.ads.bidder import Bidder, BidderSettings, Observation, Strategy
from unifeed.ads.calibration import Calibrator
from unifeed.ads.campaign_state import CampaignState, load_totals
from unifeed.ads.campaigns import Campaign
from unifeed.ads.config import DeliveryConfig
from unifeed.ads.delivery import Quote
from unifeed.ads.pacing import BudgetPlan
from unifeed.ads.prediction import Predictor
from unifeed.ads.price_book import PriceBook
from unifeed.ads.records.campaigns import CampaignRecords
from unifeed.ads.snapshot import AdSnapshot
from unifeed.ads.traffic import TrafficCurve, midnight
from unifeed.ads.traffic import learn as learn_traffic
from unifeed.ads.unreported import HoldWindow, hold_window, show_rate, unreported_spend
from unifeed.clock import Clock, Every
from unifeed.store import Store
from unifeed.store.db import as_utc
from unifeed.store.feed_log import FeedLog

log = logging.getLogger(__name__)


def _controllers(st: CampaignState) -> pacing_state.Controllers:
    return st.campaign.id, st.plan, st.bidder


# The bidders' clock: hours since a fixed origin (naive UTC, as the store keeps times).
EPOCH = datetime(2000, 1, 1)


# Where a new goal campaign's cost dual starts: its floor (docstring of `_bidder`).
START_COST = BidderSettings().cost_bounds[0]
# Where a new campaign without a goal starts its pace: its base bid is a guess
# made before it has bought anything, and a guess that is too high spends
# hours of budget in minutes (a throttled one starts at
# `DeliveryConfig.start_rate` of the auctions instead).
START_PACE = 0.5


def _hours(t: datetime) -> float:
    return (as_utc(t) - EPOCH).total_seconds() / 3600.0


def _observation(st: CampaignState, now: datetime, paced: float) -> Observation:
    """Where a campaign stands for its bidder. The budget counts the
    spend its pace follows (with what is served but not yet reported); the
    goal counts billed spend against the p(result) of those same impressions
    and the results credited so far; ROAS values each at the value per result
    so far (none before the first: until then only spend is evidence)."""
    per_result = 1.0
    if st.campaign.bid_strategy == "roas":
        per_result = st.value / st.results if st.results else 0.0
    return Observation(
        hours=_hours(now),
        spent=paced,
        expected=st.expected,
        realised=float(st.results),
        due=st.plan.target(now),
        budget=float(st.plan.budget_minor),
        end_hours=_hours(st.plan.end),
        cost_spent=float(st.spent_minor),
        value_per_result=per_result,
    )


class AdLearner:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        refresh_seconds: float,
        config: DeliveryConfig | None = None,
    ) -> None:
        """`refresh_seconds`: how often to reload campaigns and spend (other
        servers charge the same budgets); sooner when a pacing step or a
        campaign's start or end is due, or `campaigns_changed` says so."""
        self.store = store
        self.campaigns = CampaignRecords(store)
        self.clock = clock
        self.config = config or DeliveryConfig()
        self.predict = Predictor(self.config.audience)  # p(click), p(result) per viewer
        self.log = FeedLog(store)
        self.traffic = TrafficCurve()  # the budgets' target shape, from the feed log
        self._traffic_due: datetime | None = None
        self._states: dict[int, CampaignState] = {}
        self._snapshot = AdSnapshot()
        self._hold = HoldWindow()  # learnt at each reload, for serving's held slots
        # Also due at the service time of the next pacing step or campaign
        # start or end, so pacing keeps its interval on any clock.
        self._refresh = Every(clock, refresh_seconds)
        self._calibration = Every(clock, self.config.calibrate_every)
        self._fit = Every(clock, self.config.fit_every)
        self._lock = threading.RLock()  # a simulation's clock refits inside the refresh
        self._model_version: str | None = None  # the version the last refresh learned for
        self._learnt = False  # a snapshot has been learnt: later refreshes may run beside
        self._changed_here = False  # this process changed a campaign: reload before serving

    @property
    def snapshot(self) -> AdSnapshot:
        return self._snapshot

    def campaigns_changed(self) -> None:
        """Reload the campaigns at the next request (this process just changed
        one), before it is served, so the change shows at once."""
        self._refresh.reset()
        self._changed_here = True

    def publish(self) -> AdSnapshot:
        """Swap in a snapshot of what is known now."""
        with self._lock:
            self._snapshot = AdSnapshot.of(self._states, self.predict, self._hold)
            return self._snapshot

    # ------------------------------------------------------------ refresh
    def refresh(
        self, now: datetime, model_version: str | None, row_of_pk: dict[int, int]
    ) -> AdSnapshot:
        """The snapshot for a request served by `model_version` at `now`:
        reloaded and stepped when due, relearned when the model is new.

        A refresh that is only due by time runs beside the requests (the
        request that finds it due is served the last snapshot), so no feed
        waits for a reload; the first one, one after this process changed a
        campaign, and one for a new model run before the request is served."""
        model_changed = bool(self._states) and model_version != self._model_version
        if not self._refresh.due() and not model_changed:
            return self._snapshot
        if self._learnt and not model_changed and not self._changed_here:
            self.clock.run_beside("ads-refresh", lambda: self._learn(now, model_version, row_of_pk))
            return self._snapshot
        return self._learn(now, model_version, row_of_pk)

    def _learn(
        self, now: datetime, model_version: str | None, row_of_pk: dict[int, int]
    ) -> AdSnapshot:
        with self._lock:
            now = as_utc(now)  # naive UTC, as the store keeps times
            loaded = False
            if self._refresh.due():  # (another request may have refreshed while this one waited)
                self._reload(now, row_of_pk, self._model_version)
                loaded = True
            if self._states and model_version != self._model_version:
                # A new model scores on its own scale: what the last one
                # learned of each campaign becomes the prior of its fits.
                self._model_version = model_version
                self.predict.new_model(self._states)
                if loaded:
                    self._learn_levels(self._states, model_version)
                else:
                    self._reload(now, row_of_pk, model_version)
            self._learnt = True
            return self.publish()

    def _reload(self, now: datetime, row_of_pk: dict[int, int], version: str | None) -> None:
        """Reload live campaigns, their spend and results; step their bidders."""
        self._refresh.done()
        self._changed_here = False
        if self._traffic_due is None or now >= self._traffic_due:
            # It reads a week of the feed log; the plans take it up at the
            # refresh after it is in.
            self.clock.run_beside("ads-traffic", lambda: self._learn_traffic(now))
        states: dict[int, CampaignState] = {}
        fresh: list[CampaignState] = []  # no controllers in this process yet
        due: list[datetime] = []
        for c in self.campaigns.list(None):
            if c.status == "active" and now < c.start_at:
                due.append(c.start_at)
            if not c.live_at(now) or not c.creative_item_ids:
                continue
            due.append(c.end_at)
            rows = np.array(
                [row_of_pk[p] for p in c.creative_item_ids if p in row_of_pk], dtype=np.int64
            )
            if len(rows) == 0:
                continue
            st = self._states.get(c.id)
            if st is None or now >= st.plan.end:  # new, or a daily budget's new day
                st = CampaignState(c, rows, self._plan(c, now), self._bidder(c))
                fresh.append(st)
            st.campaign, st.creative_rows = c, rows
            st.plan.curve = self.traffic
            states[c.id] = st
        if fresh:
            resumed = pacing_state.restore(self.store, (_controllers(s) for s in fresh))
            for st in fresh:
                st.last_update = resumed.get(st.campaign.id)  # its next step is due then
        load_totals(self.store, states, now)
        self._load_unreported(states, now)
        self._learn_levels(states, version)
        stepped: list[CampaignState] = []
        for st in states.values():
            step = st.last_update is None or now - st.last_update >= self.config.pacing_interval
            if step:
                paced = st.pacing_spent_minor + st.unreported_minor
                st.bidder.step(_observation(st, now, paced))
                st.last_update = now
                stepped.append(st)
            due.append(st.last_update + self.config.pacing_interval)
        pacing_state.save(self.store, (_controllers(s) for s in stepped), now)
        self._states = states
        if self.config.hold_unreported:
            self._hold = hold_window(self.store, states, now, self.config.report_lag)
        self._refresh.at = min(due, default=None)

    def _learn_levels(self, states: dict[int, CampaignState], version: str | None) -> None:
        """Refit the click levels when they are fitted at refreshes and due; apply them."""
        if self.config.fit_every is not None and self._fit.due():
            self._fit.done()
            self.clock.run_beside("ads-fit", lambda: self._fit_click_levels(states, version))
        self.predict.apply_levels(states)

    def _plan(self, c: Campaign, now: datetime) -> BudgetPlan:
        start, end = c.start_at, c.end_at
        if c.budget_kind == "daily":
            start = midnight(now)
            end = start + timedelta(days=1)
        return BudgetPlan(c.budget_minor, start, end, curve=self.traffic)

    def _load_unreported(self, states: dict[int, CampaignState], now: datetime) -> None:
        """Each campaign's spend served but not reported yet (a daily
        budget's since midnight only), for its pace."""
        if not states:
            return
        daily = {cid for cid, st in states.items() if st.campaign.budget_kind == "daily"}
        rest = [cid for cid in states if cid not in daily]
        lag = self.config.report_lag
        # One share of served ads seen for all: it is the app's, not a campaign's.
        rate = show_rate(self.store, list(states), now - lag)
        pending = unreported_spend(self.store, rest, now, lag=lag, rate=rate)
        pending |= unreported_spend(
            self.store, list(daily), now, since=midnight(now), lag=lag, rate=rate
        )
        for cid, st in states.items():
            st.unreported_minor = pending.get(cid, 0.0)

    def _bidder(self, c: Campaign) -> Bidder:
        # Every viewer is worth the same to a reach campaign, and to any
        # campaign of a baseline audience: those pace by throttling.
        flat = c.objective.is_reach or not self.config.audience.per_viewer
        # A new goal campaign's p(result) is its peers' or its objective's
        # prior, not yet its own: it starts at the floor of its cost dual (a
        # prior that is too high would pay over the goal for results that
        # cannot be taken back) and climbs as its expected results show
        # where it stands; its budget dual only ever lowers that bid.
        if c.bid_strategy == "cost_per_result" and c.cost_goal_minor:
            goal = float(c.cost_goal_minor)
            # Its auctions' quotes (`observe`) show it the market's prices.
            return Bidder(
                Strategy.cost_per_result,
                goal,
                cost_multiplier=START_COST,
                book=PriceBook(scale=goal),
                throttle=flat,
            )
        if c.bid_strategy == "roas" and c.roas_goal:
            return Bidder(
                Strategy.roas, 1.0 / c.roas_goal, cost_multiplier=START_COST, throttle=flat
            )
        # Highest volume (and a goal strategy without its goal): the base bid
        # is a guess, so the pace starts low and goes both ways.
        strategy = Strategy.bid_cap if c.bid_strategy == "bid_cap" else Strategy.highest_volume
        pace = self.config.start_rate if flat else START_PACE
        return Bidder(strategy, pace=pace, throttle=flat)

    def observe(self, quotes: list[Quote]) -> None:
        """Add what serving's auctions quoted to the bidders' price books."""
        with self._lock:
            for q in quotes:
                st = self._states.get(q.campaign_id)
                if st is not None and st.bidder.book is not None:
                    st.bidder.book.add(q.price_minor, q.p_result)

    # ------------------------------------------------------------- refits
    def refit(self, model_version: str | None) -> AdSnapshot:
        """Refit the calibration when due (a request has ads to place); the
        snapshot to serve from: the refit's own on a simulation's clock."""
        if self._calibration.due():
            self._calibration.done()
            live = dict(self._states)
            self.clock.run_beside("ads-calibrate", lambda: self._calibrate(model_version, live))
        return self._snapshot

    def calibrate(self, model_version: str | None) -> Calibrator:
        """Refit p(click | score) on what this model showed and what was clicked."""
        self.predict.calibrate(self.log, model_version)
        return self.predict.click

    def _calibrate(self, model_version: str | None, states: dict[int, CampaignState]) -> None:
        self.calibrate(model_version)
        if self.config.fit_every is None:  # the click levels are ratios to it
            self._fit_click_levels(states, model_version)
        self.publish()

    def _fit_click_levels(self, states: dict[int, CampaignState], version: str | None) -> None:
        """Refit the click levels and wear-out on this model's billed impressions."""
        self.predict.fit(self.store, states, version, as_utc(self.clock.now()))
        with self._lock:
            self.predict.apply_levels(self._states)
            self.publish()

    def _learn_traffic(self, now: datetime) -> None:
        """Relearn the day's traffic shape from the feed log (it reads whole
        past days, so it cannot change before midnight)."""
        self.traffic = learn_traffic(self.store, now)
        self._traffic_due = midnight(now) + timedelta(days=1)

    def wait_for_refit(self, timeout: float = 60.0) -> None:
        """Block until the refits running beside the requests are done (tests and benchmarks)."""
        self.clock.wait(timeout)
