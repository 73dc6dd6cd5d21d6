"""What delivery predicts of a viewer and an ad: p(click) and p(result), fitted and frozen.

p(click) is the model's score for the viewer and the creative through a
Platt calibration, rescaled by what billed impressions showed: each
campaign's click level, the wear-out of repeat views, the audience
suggestion's groups and the campaign's lookalike. p(result) multiplies it by
what follows a click (`unifeed.ads.conversion` for results off the platform).
`Predictor` is the learning side, refitted beside the requests; `Prediction`
is its frozen output, what a snapshot serves from. docs/ads.md explains each
factor.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from unifeed.ads.audience import Audience, ModelAudience, in_suggested_groups, reach_worth
from unifeed.ads.calibration import (
    WEAROUT_BUCKETS,
    Calibrator,
    fit_ad_curve,
    fit_click_levels,
    shrunk_ratios,
    wearout_bucket,
)
from unifeed.ads.campaign_state import CampaignState, billed_impressions
from unifeed.ads.campaigns import Campaign
from unifeed.ads.conversion import ConversionCurve, clicks
from unifeed.ads.conversion import fit as fit_conversions
from unifeed.ads.lookalike import Lookalike, fit_lookalikes
from unifeed.store import Store
from unifeed.store.feed_log import FeedLog

log = logging.getLogger(__name__)

MIN_CALIBRATION = 500  # shown items needed before the click calibration is refitted


def converts_after_click(c: Campaign) -> bool:
    """Its result is one thing a viewer does off the platform after clicking
    (unifeed.ads.conversion)."""
    return c.objective.after_click


class CampaignRates(Protocol):
    """What prediction reads of a campaign: a learner's state or a snapshot's copy of it."""

    @property
    def campaign(self) -> Campaign: ...
    @property
    def click_level(self) -> float: ...
    @property
    def suggestion_levels(self) -> tuple[float, float]: ...
    @property
    def click_rate(self) -> float: ...
    @property
    def results_per_click(self) -> float: ...


@dataclass
class Predictor:
    """The learning side: what is fitted on billed impressions, and refitted."""

    audience: Audience = field(default_factory=ModelAudience)
    click: Calibrator = field(default_factory=Calibrator)  # p(click | shown, score)
    # p(click | an ad shown, score) for campaigns holding a goal: `click`
    # until this model's ads have clicks.
    ad_click: Calibrator | None = None
    # p(click) of a viewer who has seen the campaign f times over that of a
    # first view, f = 0 .. FREQUENCY_BUCKETS - 1 (the last: f or more), then
    # the same for viewers who had clicked it (`calibration.wearout_bucket`).
    wearout: np.ndarray = field(default_factory=lambda: np.ones(WEAROUT_BUCKETS))
    conversions: ConversionCurve = field(default_factory=ConversionCurve)
    levels: dict[int, float] = field(default_factory=dict)  # campaign -> click level, last fit
    # What the last model's impressions said of both, the priors of the new one's.
    prior_levels: dict[int, float] = field(default_factory=dict)
    prior_wearout: np.ndarray = field(default_factory=lambda: np.ones(WEAROUT_BUCKETS))
    # Keyed 2 * campaign + (1 if the viewer is in its suggested groups else 0),
    # the last fit and the last model's, the prior of the new one's.
    suggestion: dict[int, float] = field(default_factory=dict)
    prior_suggestion: dict[int, float] = field(default_factory=dict)
    # campaign -> who clicked it, in this model's user space (`unifeed.ads.lookalike`)
    lookalikes: dict[int, Lookalike] = field(default_factory=dict)

    def new_model(self, states: dict[int, CampaignState]) -> None:
        """A new model scores on its own scale: what the last one learned of
        each campaign becomes the prior of its fits."""
        self.prior_levels = {cid: st.click_level for cid, st in states.items()}
        self.prior_wearout = self.wearout.copy()
        self.prior_suggestion = dict(self.suggestion)
        self.ad_click = None
        self.lookalikes = {}  # its vectors are in another space

    def calibrate(self, feed_log: FeedLog, model_version: str | None) -> Calibrator:
        """Refit p(click | score) on what this model showed and what was clicked."""
        scores, labels = feed_log.outcomes(("click",), model_version=model_version)
        if len(scores) >= MIN_CALIBRATION and 0 < sum(labels) < len(labels):
            self.click = Calibrator.fit(np.asarray(scores), np.asarray(labels))
            log.info(
                "click calibration on %d impressions: a=%.3f b=%.3f",
                len(scores),
                self.click.a,
                self.click.b,
            )
        return self.click

    def fit(
        self,
        store: Store,
        states: dict[int, CampaignState],
        model_version: str | None,
        now: datetime,
    ) -> None:
        """Refit the campaigns' click levels, the wear-out curve and the
        conversion rates on their latest billed impressions under the model."""
        b = billed_impressions(store, list(states), model_version)
        first = b.exposures == 0  # the slope, before wear-out muddles it
        self.ad_click = fit_ad_curve(
            b.score[first], b.clicked[first], b.campaign[first], self.click
        )
        # Each impression as its campaign predicts it, so levels sit on its curve.
        goal = np.isin(b.campaign, [cid for cid, st in states.items() if st.campaign.holds_a_goal])
        predicted = np.where(goal, self.ad_click.predict(b.score), self.click.predict(b.score))
        # The baselines predict every viewer alike: a click before is what
        # the model's audience knows of a viewer, not theirs.
        clicked_before = b.clicked_before if self.audience.per_viewer else False
        frequency = wearout_bucket(b.exposures, clicked_before)  # (N,)
        self.levels, self.wearout = fit_click_levels(
            b.campaign,
            predicted,
            frequency,
            b.clicked,
            self.prior_levels,
            self.prior_wearout,
        )
        later = [cid for cid, st in states.items() if converts_after_click(st.campaign)]
        average = {cid: states[cid].results_per_click for cid in later}
        self.conversions = fit_conversions(*clicks(store, b, later, now), average)
        inside = np.array(
            [
                in_suggested_groups(states[int(c)].campaign, v)
                for c, v in zip(b.campaign, b.viewer, strict=True)
            ],
            dtype=np.int64,
        )
        levels = np.array([self.levels.get(int(c), 1.0) for c in b.campaign])  # (N,)
        expected = predicted * levels * self.wearout[frequency]
        group = 2 * b.campaign + inside
        self.suggestion = shrunk_ratios(group, expected, b.clicked, self.prior_suggestion)
        if self.audience.per_viewer:
            hint = np.array([self.suggestion.get(int(g), 1.0) for g in group])
            self.lookalikes = fit_lookalikes(b.campaign, b.query, expected * hint, b.clicked)

    def apply_levels(self, states: dict[int, CampaignState]) -> None:
        for cid, st in states.items():
            st.click_level = self.levels.get(cid, self.prior_levels.get(cid, 1.0))
            st.suggestion_levels = (
                self.suggestion.get(2 * cid, self.prior_suggestion.get(2 * cid, 1.0)),
                self.suggestion.get(2 * cid + 1, self.prior_suggestion.get(2 * cid + 1, 1.0)),
            )

    def p_click(self, st: CampaignRates, *args: Any, **kwargs: Any) -> np.ndarray:
        """p(click) as the fits stand now (`Prediction.p_click`)."""
        return self.frozen().p_click(st, *args, **kwargs)

    def p_result(self, st: CampaignRates, *args: Any, **kwargs: Any) -> np.ndarray:
        """p(result) as the fits stand now (`Prediction.p_result`)."""
        return self.frozen().p_result(st, *args, **kwargs)

    def frozen(self) -> Prediction:
        """The fitted parts as they stand, for a snapshot (each fit replaces
        them with new objects, so a snapshot's never change)."""
        return Prediction(
            self.audience,
            self.click,
            self.ad_click,
            self.wearout,
            self.conversions,
            self.lookalikes,
        )


@dataclass(frozen=True)
class Prediction:
    """The serving side: p(click) and p(result) per viewer, from one snapshot's fits."""

    audience: Audience
    click: Calibrator
    ad_click: Calibrator | None
    wearout: np.ndarray
    conversions: ConversionCurve
    lookalikes: Mapping[int, Lookalike]

    def curve(self, c: Campaign) -> Calibrator:
        """p(click | score) as the campaign reads it. One holding a goal bids an
        absolute price per viewer, goal × p(result), so it reads the slope
        refitted on the ads' own first views: the organic curve, fitted on the
        feed's top items, is too flat where ads reach. The others keep the
        organic curve: their pacing multiplier, not p(click), sets their price."""
        if c.holds_a_goal and self.ad_click is not None:
            return self.ad_click
        return self.click

    def p_click(
        self,
        st: CampaignRates,
        scores: np.ndarray,
        exposures: int = 0,
        suggested: bool = False,
        clicked_before: bool = False,
        query: np.ndarray | None = None,
    ) -> np.ndarray:
        """p(click | this viewer sees the creative): the model's, or the baselines' average.

        `exposures`: how often the viewer has seen the campaign's ads before;
        `suggested`: whether the viewer is in its audience suggestion's groups;
        `clicked_before`: whether the viewer has clicked the campaign's ads;
        `query`: the viewer's model vector, for the campaign's lookalike
        (the baselines look at neither).
        """
        model = self.audience.per_viewer
        fatigue = self.wearout[int(wearout_bucket(exposures, clicked_before and model))]
        if model:
            level = st.click_level * st.suggestion_levels[int(suggested)]
            lookalike = self.lookalikes.get(st.campaign.id)
            if lookalike is not None and query is not None:
                level *= lookalike.factor(query)
            p = self.curve(st.campaign).predict(scores)
            return np.clip(p * level * fatigue, 0.0, 1.0)
        return np.full(len(scores), min(1.0, st.click_rate * fatigue))

    def p_result(
        self,
        st: CampaignRates,
        scores: np.ndarray,
        exposures: int = 0,
        suggested: bool = False,
        clicked_before: bool = False,
        query: np.ndarray | None = None,
    ) -> np.ndarray:
        """p(the campaign's result | this viewer sees the creative)."""
        if st.campaign.objective.is_reach:
            return np.full(len(scores), reach_worth(exposures))
        p = self.p_click(st, scores, exposures, suggested, clicked_before, query)
        if converts_after_click(st.campaign) and self.audience.per_viewer:
            cid = st.campaign.id
            return np.clip(p * self.conversions.rate(cid, st.results_per_click, scores), 0.0, 1.0)
        return np.clip(p * st.results_per_click, 0.0, 1.0)
