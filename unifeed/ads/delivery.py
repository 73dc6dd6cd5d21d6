"""Ad delivery inside a feed request: eligibility, bids, the auction per slot.

For each page the feed service is about to return, `AdDelivery.place` finds
the live campaigns this user may legally see, predicts p(result) for their
creatives with the same model that ranked the page, turns each campaign's
strategy and pacing into an effective bid, and runs one auction per slot the
ad-load policy allows. Nobody picks demographics: who sees an ad follows
from the model's prediction for that user.

Two baseline audiences exist for benchmarks only (`DeliveryConfig.audience`;
the API and settings never select them): "demographic" serves a campaign only
to the age and gender groups of its audience suggestion and "broad" to
everyone, both with the campaign's average response rate in place of a
per-viewer prediction, as delivery worked before a model chose the audience.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from unifeed.ads import pacing_state
from unifeed.ads.auction import AdLoad, Bidder, run_auction
from unifeed.ads.audience import AUDIENCES, Audience, in_suggested_groups, may_see
from unifeed.ads.calibration import Calibrator
from unifeed.ads.campaign_state import CampaignState, load_totals
from unifeed.ads.campaigns import Campaign, Campaigns
from unifeed.ads.ledger import Budget
from unifeed.ads.pacing import GoalHolder, Pacer
from unifeed.ads.prediction import Predictor
from unifeed.ads.traffic import TrafficCurve, midnight
from unifeed.ads.traffic import learn as learn_traffic
from unifeed.ads.unreported import REPORT_LAG, show_rate, unreported_spend
from unifeed.store import Store
from unifeed.store.db import as_utc
from unifeed.store.feed_log import FeedLog

log = logging.getLogger(__name__)

# What every campaign first offers per impression it expects, whatever its
# objective; pacing and goals move it from there (see AdDelivery.base_bid).
BASE_IMPRESSION_VALUE_MINOR = 5.0
# ...and at least this much over the reserve, so a new campaign serves from
# its first minutes instead of waiting for its pacer to climb past it.
START_OVER_RESERVE = 1.25
CALIBRATION_SECONDS = 60.0
# ...or once the service clock has moved this far (a simulation's clock runs fast).
CALIBRATION_CLOCK = timedelta(hours=1)


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


@dataclass
class DeliveryConfig:
    ad_load: AdLoad = field(default_factory=AdLoad)
    engagement_value_minor: float = 2.0  # what one organic engagement is worth
    reserve_minor: float = 0.0
    pacing_interval: timedelta = timedelta(minutes=10)
    audience: Audience = "model"  # the others are benchmark baselines (module docstring)
    # The share of auctions a throttled campaign enters at first (see
    # unifeed.ads.pacing); its pacer moves it from there.
    start_rate: float = 0.1
    # How late an app may report an impression; the pacer counts the spend
    # of ads served since then from the auction's record (unifeed.ads.unreported).
    report_lag: timedelta = REPORT_LAG
    # Served slots hold their price against the budget until reported
    # (unifeed.ads.unreported.held); False only for a benchmark's baseline.
    hold_unreported: bool = True

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise ValueError(f"audience must be one of {list(AUDIENCES)}, got {self.audience!r}")
        if not 0.0 < self.start_rate <= 1.0:
            raise ValueError(f"start_rate must be in (0, 1], got {self.start_rate}")


def _controllers(st: CampaignState) -> pacing_state.Controllers:
    return st.campaign.id, st.pacer, st.goal


class AdDelivery:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        refresh_seconds: float | None,
        config: DeliveryConfig | None = None,
    ) -> None:
        """`refresh_seconds`: how often (wall clock) to reload campaigns; the
        calibration and click levels are refitted every CALIBRATION_SECONDS
        in the background. None for a simulation's clock, where all of it
        follows that clock alone (the pacing steps and CALIBRATION_CLOCK)."""
        self.store = store
        self.campaigns = Campaigns(store)
        self.clock = clock
        self.refresh_seconds = refresh_seconds
        self.config = config or DeliveryConfig()
        self.predict = Predictor(self.config.audience)  # p(click), p(result) per viewer
        self.log = FeedLog(store)
        self._calibrated_at = -float("inf")
        self._calibration_due_at: datetime | None = None
        self._states: dict[int, CampaignState] = {}
        self._checked = -float("inf")
        # The clock time of the next pacing step or campaign start or end: a
        # refresh is due then whatever the wall clock says, so pacing keeps
        # its interval when a simulation runs its clock faster than real time.
        self._due_at: datetime | None = None
        self._lock = threading.Lock()
        self._rng = np.random.default_rng(0)
        self._model_version: str | None = None  # the version place() last served
        self._refitting: threading.Thread | None = None
        self.traffic = TrafficCurve()  # the pacers' target shape, from the feed log
        self._traffic_due: datetime | None = None

    @property
    def _simulated(self) -> bool:
        """On a simulation's clock: everything follows that clock alone."""
        return self.refresh_seconds is None

    def invalidate(self) -> None:
        self._checked = -float("inf")

    def _past(self, since: float, seconds: float, due_at: datetime | None) -> bool:
        """Never done since, `seconds` of wall clock since `since` (unless on
        a simulation's clock), or the service clock at `due_at`."""
        if since == -float("inf"):
            return True
        if not self._simulated and time.monotonic() - since >= seconds:
            return True
        return due_at is not None and as_utc(self.clock()) >= due_at

    def _due(self) -> bool:
        return self._past(self._checked, self.refresh_seconds or 0.0, self._due_at)

    # ------------------------------------------------------------- state
    def calibrate(self, model_version: str | None) -> Calibrator:
        """Refit p(click | score) on what this model showed and what was clicked."""
        self.predict.calibrate(self.log, model_version)
        self._calibrated_at = time.monotonic()
        self._calibration_due_at = as_utc(self.clock()) + CALIBRATION_CLOCK
        return self.predict.click

    def refresh(self, row_of_pk: dict[int, int]) -> None:
        """Reload live campaigns, their spend and results; step their pacers."""
        if not self._due():
            return
        with self._lock:
            if not self._due():
                return  # another request refreshed while this one waited
            self._checked = time.monotonic()
            now = as_utc(self.clock())  # naive UTC, as the store keeps times
            if self._simulated:
                self._learn_traffic(now)  # in step with the simulation's clock
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
                if st is None or now >= st.pacer.end:  # new, or a daily budget's new day
                    goal = self._goal(c)
                    st = CampaignState(c, rows, self._pacer(c, now, goal), goal)
                    fresh.append(st)
                st.campaign, st.creative_rows = c, rows
                st.pacer.curve = self.traffic
                states[c.id] = st
            if fresh:
                resumed = pacing_state.restore(self.store, (_controllers(s) for s in fresh))
                for st in fresh:
                    st.last_update = resumed.get(st.campaign.id)  # its next step is due then
            load_totals(self.store, states, now)
            self._load_unreported(states, now)
            if self._simulated:
                self._fit_click_levels(states)  # in step with the simulation's clock
            self.predict.apply_levels(states)
            stepped: list[CampaignState] = []
            for st in states.values():
                step = st.last_update is None or now - st.last_update >= self.config.pacing_interval
                if step:
                    paced = st.pacing_spent_minor + st.unreported_minor
                    st.pacer.update(now, paced)
                    if st.goal is not None:
                        st.goal.update(
                            st.spent_minor,
                            st.value if st.campaign.roas_goal else st.results,
                            behind=paced < st.pacer.target(now),
                        )
                    st.last_update = now
                    stepped.append(st)
                due.append(st.last_update + self.config.pacing_interval)
            pacing_state.save(self.store, (_controllers(s) for s in stepped), now)
            self._states = states
            self._due_at = min(due, default=None)

    def _pacer(self, c: Campaign, now: datetime, goal: GoalHolder | None) -> Pacer:
        # Every viewer is worth the same to a reach campaign, and to any
        # campaign of a baseline audience: those pace by throttling.
        flat = c.result_actions[0] == "impression" or self.config.audience != "model"
        start, end = c.start_at, c.end_at
        if c.budget_kind == "daily":
            start = midnight(now)
            end = start + timedelta(days=1)
        # A goal campaign's bid starts low through its goal multiplier, and
        # its pacer only ever lowers it (`bid`): a pacer starting low as well
        # would have it bid a quarter of its goal until both had climbed.
        return Pacer(
            c.budget_minor,
            start,
            end,
            throttle=flat,
            start_rate=self.config.start_rate,
            start_multiplier=1.0 if goal is not None else Pacer.start_multiplier,
            curve=self.traffic,
        )

    def _load_unreported(self, states: dict[int, CampaignState], now: datetime) -> None:
        """Each campaign's spend served but not reported yet (a daily
        budget's since midnight only), for its pacer."""
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

    @staticmethod
    def _goal(c: Campaign) -> GoalHolder | None:
        if c.bid_strategy == "cost_per_result" and c.cost_goal_minor:
            return GoalHolder(float(c.cost_goal_minor))
        if c.bid_strategy == "roas" and c.roas_goal:
            return GoalHolder(1.0 / c.roas_goal)
        return None

    def _learn_traffic(self, now: datetime) -> None:
        """Relearn the day's traffic shape from the feed log, once a day (it
        reads whole past days, so it cannot change before midnight). Pacers
        take it up at the next refresh."""
        if self._traffic_due is None or now >= self._traffic_due:
            self.traffic = learn_traffic(self.store, now)
            self._traffic_due = midnight(now) + timedelta(days=1)

    def _fit_click_levels(self, states: dict[int, CampaignState]) -> None:
        self.predict.fit(self.store, states, self._model_version, as_utc(self.clock()))

    def _refit(self, model_version: str | None) -> None:
        """Refit the calibration, then (on the wall clock) the click levels
        and wear-out on it, and relearn the traffic curve when due. On the
        wall clock this runs in a background thread, one at a time, so no
        request waits on it; on a simulation's clock it runs in the request,
        in step with that clock."""
        if self._simulated:
            self.calibrate(model_version)
            return
        if self._refitting is not None and self._refitting.is_alive():
            return
        self._calibrated_at = time.monotonic()  # not due again while this one runs
        states = dict(self._states)

        def run() -> None:
            try:
                self._learn_traffic(as_utc(self.clock()))  # reads a week of the feed log
                self.calibrate(model_version)
                self._fit_click_levels(states)
                with self._lock:
                    self.predict.apply_levels(self._states)
            except Exception:  # the next refit tries again; serving goes on meanwhile
                log.exception("refitting ad calibration and click levels failed")

        self._refitting = threading.Thread(target=run, name="unifeed-ads-refit", daemon=True)
        self._refitting.start()

    def wait_for_refit(self, timeout: float = 60.0) -> None:
        """Block until a background refit is done (tests and benchmarks)."""
        if self._refitting is not None:
            self._refitting.join(timeout)

    def has_live_campaigns(self, row_of_pk: dict[int, int]) -> bool:
        """Refresh if due; True when any campaign could take a slot now."""
        self.refresh(row_of_pk)
        return bool(self._states)

    def budget_of(self, campaign_id: int) -> Budget | None:
        st = self._states.get(campaign_id)
        return None if st is None else st.campaign.budget

    def budgets(self) -> dict[int, Budget]:
        """The live campaigns' budgets, by campaign id."""
        return {cid: st.campaign.budget for cid, st in self._states.items()}

    # ------------------------------------------------------------- bidding
    def base_bid(self, st: CampaignState) -> float:
        """Starting bid per result, minor units.

        Every objective starts at the same value per expected impression, so
        a campaign buying rare results (a purchase) and one buying common ones
        (a click) enter the auction on equal terms; pacing takes it from there.
        """
        value = max(BASE_IMPRESSION_VALUE_MINOR, START_OVER_RESERVE * self.config.reserve_minor)
        if st.campaign.result_actions[0] == "impression":
            return value
        return value / (st.click_rate * st.results_per_click)

    def bid(self, st: CampaignState) -> float:
        """Effective bid per result, minor units."""
        c = st.campaign
        pace = st.pacer.multiplier
        if c.bid_strategy == "cost_per_result" and st.goal is not None:
            return float(c.cost_goal_minor or 0) * st.goal.multiplier * min(pace, 1.0)
        if c.bid_strategy == "roas" and st.goal is not None and c.roas_goal:
            per_result = st.value / st.results if st.results else self.base_bid(st) * c.roas_goal
            return per_result / c.roas_goal * st.goal.multiplier * min(pace, 1.0)
        if c.bid_strategy == "bid_cap" and c.bid_cap_minor:
            return min(float(c.bid_cap_minor), self.base_bid(st) * pace)
        return self.base_bid(st) * pace

    # ------------------------------------------------------------- placing
    def place(
        self,
        *,
        model_version: str | None,
        user: dict[str, Any],
        excluded_rows: np.ndarray,  # (I,) bool: rows this user must not be shown
        views: Mapping[int, int] | None = None,  # item pk -> this user's impressions of it
        clicked: Collection[int] = (),  # item pks this user has clicked
        query: np.ndarray | None = None,  # (D,) the user's model vector
        page_scores: np.ndarray,  # (n,) organic scores of the page, best first
        score_rows: Callable[[np.ndarray], np.ndarray] | None,
        row_of_pk: dict[int, int],
        remaining_minor: Callable[[int], int],
        last_ad_position: int | None = None,
    ) -> list[PlacedAd]:
        if model_version != self._model_version:
            self._model_version = model_version
            self.invalidate()  # a new model: its own scale for every campaign
            self.predict.new_model(self._states)
        self.refresh(row_of_pk)
        views = views or {}
        states = [s for s in self._states.values() if may_see(s.campaign, user)]
        if self.config.audience == "demographic":
            states = [s for s in states if in_suggested_groups(s.campaign, user)]
        if not states or score_rows is None:
            return []
        if self._past(self._calibrated_at, CALIBRATION_SECONDS, self._calibration_due_at):
            self._refit(model_version)
        slots = self.config.ad_load.slots(len(page_scores), last_ad_position)
        if not slots:
            return []
        # Each campaign bids once per page, with the creative this viewer
        # responds to best; the slots then go down the same bidders.
        value_of = self.config.engagement_value_minor
        model = self.config.audience == "model"
        bidders: list[Bidder] = []
        score_of: dict[int, float] = {}  # creative row -> model score
        exposures_of: dict[int, int] = {}  # campaign -> the viewer's earlier views of it
        clicked_of: dict[int, bool] = {}  # campaign -> the viewer had clicked it
        for st in states:
            if st.pacer.rate < 1.0 and self._rng.random() >= st.pacer.rate:
                continue  # a throttled campaign sits this auction out
            rows = st.creative_rows[~excluded_rows[st.creative_rows]]
            if len(rows) == 0:
                continue
            scores = score_rows(rows)
            # The baselines rotate creatives; the model picks the viewer's best.
            best = int(np.argmax(scores)) if model else int(self._rng.integers(len(rows)))
            # Any event on an ad means it was seen, impression received or not.
            exposures = sum(
                max(1, views[pk]) for pk in st.campaign.creative_item_ids if pk in views
            )
            shown = scores[best : best + 1]  # (1,) the creative this viewer would see
            hinted = in_suggested_groups(st.campaign, user)
            again = any(pk in clicked for pk in st.campaign.creative_item_ids)
            p = float(self.predict.p_result(st, shown, exposures, hinted, again, query)[0])
            bid = self.bid(st)
            # Impressions are charged in whole minor units: a bid worth less
            # than one per impression cannot pay for the slot, nor can a
            # budget that cannot cover one more charge.
            if bid * p < 1 or remaining_minor(st.campaign.id) < round(bid * p):
                continue
            p_click = self.predict.p_click(st, shown, exposures, hinted, again, query)
            quality = value_of * float(p_click[0])
            bidders.append(Bidder(st.campaign.id, int(rows[best]), bid, p, quality))
            score_of[int(rows[best])] = float(scores[best])
            exposures_of[st.campaign.id] = exposures
            clicked_of[st.campaign.id] = again
        placed: list[PlacedAd] = []
        for pos in slots:
            displaced = value_of * float(self.predict.click.predict(page_scores[pos]))
            win = run_auction(bidders, displaced, self.config.reserve_minor)
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
                )
            )
        return placed
