"""What delivery knows of a live campaign between refreshes, and how it is loaded.

Spend, results, clicks and billed impressions come from the store at every
refresh as grouped counts; the click levels and the wear-out curve are fitted
on the latest FIT_IMPRESSIONS billed impressions, whose viewers' earlier views
of the campaign the auction logged in its ad slot. So a refresh's work is
bounded however long a campaign has run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from unifeed.ads.bidder import Bidder
from unifeed.ads.campaigns import Campaign
from unifeed.ads.ledger import LIFETIME
from unifeed.ads.pacing import BudgetPlan
from unifeed.ads.records.learning import LearningRecords
from unifeed.ads.records.slots import BilledImpressions, SlotRecords
from unifeed.store import Store
from unifeed.store.db import as_utc

# Until a campaign has results of its own, its results per click are its
# objective's prior (`Objective.prior_results_per_click`) or its peers'
# (`peer_priors`); its own take over as its clicks pass PRIOR_CLICKS.
PRIOR_CLICKS = 20.0
# The baselines' click rate before a campaign has impressions of its own.
PRIOR_CLICK_RATE = 0.05
PRIOR_IMPRESSIONS = 100.0
# The click levels and the wear-out are fitted on at most this many of the
# latest billed impressions: plenty for both, and a bound on a refresh's work.
FIT_IMPRESSIONS = 100_000


@dataclass
class CampaignState:
    campaign: Campaign
    creative_rows: np.ndarray  # (K,) catalogue rows of its creatives
    plan: BudgetPlan  # the budget's curve over its period
    bidder: Bidder  # its duals: the budget's pace and a goal's cost dual
    spent_minor: int = 0  # lifetime
    spent_today_minor: int = 0  # kept for daily budgets only
    results: int = 0
    value: float = 0.0
    clicks: int = 0  # on its creatives, attributed or not
    impressions: int = 0  # billed
    # Each creative's (clicks, billed impressions), by item.
    variants: dict[int, tuple[int, int]] = field(default_factory=dict)
    expected: float = 0.0  # sum of p(result) over its billed impressions
    # Clicks on its billed impressions under the serving model over the
    # clicks the calibrated model predicted for them, shrunk towards 1.
    click_level: float = 1.0
    # The same again by whether the viewer is outside (0) or inside (1) the
    # groups of its audience suggestion, on top of click_level: the hint
    # counts for as much as the campaign's clicks show it is worth.
    suggestion_levels: tuple[float, float] = (1.0, 1.0)
    last_update: datetime | None = None
    # Served but not yet reported, estimated (unifeed.ads.unreported): the
    # budget's pace counts it, the budget does not.
    unreported_minor: float = 0.0
    # What its peers' clicks say of its results per click (`peer_priors`);
    # None: its objective's default.
    peer_results_per_click: float | None = None

    @property
    def pacing_spent_minor(self) -> int:
        """The spend its pace follows: today's for a daily budget, else all of it."""
        return self.spent_today_minor if self.campaign.budget_kind == "daily" else self.spent_minor

    @property
    def click_rate(self) -> float:
        """Its clicks per billed impression, shrunk towards the prior while they are few."""
        return (self.clicks + PRIOR_IMPRESSIONS * PRIOR_CLICK_RATE) / (
            self.impressions + PRIOR_IMPRESSIONS
        )

    @property
    def results_per_click(self) -> float:
        """Its results per click, shrunk towards its peers' (`peer_priors`) while clicks are few."""
        if self.campaign.objective.result_is_the_click:
            return 1.0
        prior = self.peer_results_per_click
        if prior is None:
            prior = default_results_per_click(self.campaign)
        return shrunk(self.results, self.clicks, prior)


def default_results_per_click(c: Campaign) -> float:
    return c.objective.prior_results_per_click


def shrunk(results: float, clicks: float, prior: float) -> float:
    """Results per click, counting PRIOR_CLICKS imaginary clicks at `prior`."""
    return (results + PRIOR_CLICKS * prior) / (clicks + PRIOR_CLICKS)


def peer_priors(states: dict[int, CampaignState]) -> None:
    """Each campaign's prior results per click, from the other live campaigns'
    (in place): those of its objective, shrunk towards those of every
    objective whose result comes after the click (for such a campaign),
    shrunk towards its objective's default.

    How often a click becomes a lead or a sale is a fact of the app and its
    audience as much as of the offer: a new campaign that starts from its
    peers' rate bids near right from its first hour. Only delivery reads
    the pooled rates: no report shows one advertiser's to another.
    """
    totals: dict[str, list[float]] = {}  # objective, or "after click" -> [results, clicks]
    for st in states.values():
        for key in _peer_keys(st.campaign):
            t = totals.setdefault(key, [0.0, 0.0])
            t[0], t[1] = t[0] + st.results, t[1] + st.clicks
    for st in states.values():
        prior = default_results_per_click(st.campaign)
        for key in reversed(_peer_keys(st.campaign)):  # the widest peers first
            results, clicks = totals[key]
            prior = shrunk(results - st.results, clicks - st.clicks, prior)
        st.peer_results_per_click = prior


def _peer_keys(c: Campaign) -> list[str]:
    """Its peer groups, narrowest first."""
    name = c.objective.name
    return [name, "after click"] if c.objective.after_click else [name]


def load_totals(store: Store, states: dict[int, CampaignState], now: datetime) -> None:
    """Spend (lifetime and today's), results and their value, clicks on the
    creatives and billed impressions of every campaign, in place."""
    if not states:
        return
    today = as_utc(now).strftime("%Y-%m-%d")
    for st in states.values():
        st.clicks = st.impressions = 0
        st.variants = {}
    totals = LearningRecords(store).totals(list(states), [LIFETIME, today])
    for (cid, day), spent in totals.spent.items():
        if day == LIFETIME:
            states[cid].spent_minor = spent
        else:
            states[cid].spent_today_minor = spent
    for cid, (n, value) in totals.results.items():
        states[cid].results, states[cid].value = n, value
    for cid, n in totals.clicks.items():
        states[cid].clicks = n
    for cid, n in totals.impressions.items():
        states[cid].impressions = n
    for (cid, item), (clicks, shown) in totals.by_item.items():
        states[cid].variants[item] = (clicks, shown)
    for st in states.values():
        st.expected = totals.expected.get(st.campaign.id, 0.0)
    peer_priors(states)


def billed_impressions(
    store: Store, campaign_ids: Iterable[int], model_version: str | None
) -> BilledImpressions:
    """The latest FIT_IMPRESSIONS billed impressions of these campaigns that
    `model_version` scored (another version's scores are on another scale),
    newest first."""
    return SlotRecords(store).billed_impressions(campaign_ids, model_version, FIT_IMPRESSIONS)
